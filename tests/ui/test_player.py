"""The embedded player: play/pause, seek, volume, close; hidden when it has nothing to show."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ui.player import VideoPlayer


def _tiny_video(path: Path, n_frames: int = 30, fps: int = 15) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for i in range(n_frames):
            rgb = np.full((64, 64, 3), (i * 8) % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def test_player_controls(qtbot, tmp_path: Path):
    video = _tiny_video(tmp_path / "tiny.mp4")
    player = VideoPlayer()
    qtbot.addWidget(player)
    player.hide()
    with qtbot.waitSignal(player.player.durationChanged, timeout=10_000):
        player.load(video, autoplay=False)
    assert player.isVisible() and player.title.text() == "tiny.mp4"
    assert 1500 <= player.position.maximum() <= 2500  # 30 frames at 15 fps
    assert not player.playing
    decoded: list[tuple[int, int]] = []
    player.video.videoSink().videoFrameChanged.connect(
        lambda frame: decoded.append((frame.width(), frame.height())) if frame.isValid() else None
    )
    player.toggle()
    qtbot.waitUntil(lambda: player.playing, timeout=5000)
    # Qt's FFmpeg decodes the app's H.264 (its codec list names no H.264, yet it plays)
    qtbot.waitUntil(lambda: (64, 64) in decoded, timeout=5000)
    player.toggle()
    qtbot.waitUntil(lambda: not player.playing, timeout=5000)
    player.player.setPosition(1000)
    qtbot.waitUntil(lambda: player.position.value() >= 900, timeout=5000)
    assert player.time_label.text().startswith("0:01")
    with qtbot.waitSignal(player.closed, timeout=1000):
        player.close_button.click()
    assert player.isHidden()
