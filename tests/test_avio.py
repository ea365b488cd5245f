"""Encoder probing, segment encoding, concatenation and muxing: every test reopens its output."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import av
import numpy as np
import pytest

from pipeline import avio
from pipeline.errors import Cancelled, EncodeError, EncoderUnavailableError
from pipeline.fsutil import TEMP_PREFIX
from pipeline.preflight import StorageError
from pipeline.progress import CancelToken
from pipeline.speech.base import SAMPLE_RATE_HZ
from pipeline.validate import validate_output

FPS = 30
W, H = 320, 240
SETTINGS = avio.EncodeSettings(fps=FPS, width_px=W, height_px=H)


class SolidScene:
    """Solid colours that change every ``every`` frames; counts how often it is drawn."""

    def __init__(self, colours: list[tuple[int, int, int]], every: int = 10) -> None:
        self.colours = colours
        self.every = every
        self.draws = 0

    def frame_key(self, t_s: float) -> int:
        return round(t_s * FPS) // self.every

    def frame_at(self, t_s: float) -> np.ndarray:
        self.draws += 1
        frame = np.empty((H, W, 3), np.uint8)
        frame[:] = self.colours[self.frame_key(t_s) % len(self.colours)]
        return frame


class Broken(SolidScene):
    def frame_at(self, t_s: float) -> np.ndarray:
        if t_s > 0.5:
            raise RuntimeError("renderer exploded")
        return super().frame_at(t_s)


SEGMENT_FRAMES = [40, 25, 33]
SEGMENT_COLOURS = [(220, 30, 30), (30, 200, 40), (40, 60, 220)]


def sine(duration_s: float) -> np.ndarray:
    t = np.arange(round(duration_s * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]


@pytest.fixture(scope="module")
def encoder() -> avio.EncoderChoice:
    return avio.probe_encoder("x264")


@pytest.fixture(scope="module")
def joined(tmp_path_factory, encoder) -> tuple[Path, list[avio.SegmentInfo]]:
    folder = tmp_path_factory.mktemp("joined")
    infos = [
        avio.encode_segment(
            SolidScene([colour, (128, 128, 128)]), n, SETTINGS, encoder, folder / f"s{i}.mp4"
        )
        for i, (n, colour) in enumerate(zip(SEGMENT_FRAMES, SEGMENT_COLOURS, strict=True))
    ]
    out = folder / "out.mp4"
    avio.concat_and_mux([i.path for i in infos], sine(sum(SEGMENT_FRAMES) / FPS), out, fps=FPS)
    return out, infos


# --- probing ---------------------------------------------------------------------------------


def test_auto_picks_libx264_on_a_machine_without_gpu():
    choice = avio.probe_encoder("auto")
    assert choice.codec_name == "libx264"
    assert not choice.hardware
    assert choice.options["preset"] == SETTINGS.preset
    assert "libx264" in choice.cache_token()
    report = avio.available_encoders()
    assert report["libx264"] is None
    assert report["h264_nvenc"]  # a reason why not


def test_forcing_nvenc_fails_fast_with_a_clear_message():
    started = time.perf_counter()
    with pytest.raises(EncoderUnavailableError) as info:
        avio.probe_encoder("nvenc")
    assert time.perf_counter() - started < 1.0
    text = str(info.value)
    assert "h264_nvenc" in text
    assert "--encoder auto" in info.value.hint and "x264" in info.value.hint


def test_unknown_preference_is_rejected():
    with pytest.raises(EncoderUnavailableError, match="unknown encoder"):
        avio.probe_encoder("divx")


# --- one segment -----------------------------------------------------------------------------


def test_segment_reuses_unchanged_frames_and_reopens_as_h264(tmp_path, encoder):
    scene = SolidScene([(250, 200, 10), (10, 20, 30)], every=10)
    fractions: list[float] = []
    info = avio.encode_segment(
        scene,
        40,
        SETTINGS,
        encoder,
        tmp_path / "seg.mp4",
        progress=lambda f, m: fractions.append(f),
    )
    assert scene.draws == 4 and info.n_drawn == 4  # one draw per distinct frame key
    assert info.n_frames == 40 and info.path.is_file()
    media = avio.probe_media(info.path)
    assert media.video is not None and media.audio is None
    assert (media.video.codec, media.video.pix_fmt) == ("h264", "yuv420p")
    assert (media.video.width_px, media.video.height_px) == (W, H)
    assert media.video.n_frames == 40
    assert media.video.fps == pytest.approx(FPS)
    assert media.duration_s == pytest.approx(40 / FPS, abs=1e-3)
    assert avio.keyframe_indices(info.path)[0] == 0  # starts with an IDR frame
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert avio.decode_check(info.path).video_frames == 40
    # Colours survive the RGB → BT.709 YUV → RGB round trip.
    first = avio.extract_frame(info.path, 0.0).reshape(-1, 3).mean(axis=0)
    second = avio.extract_frame(info.path, 15 / FPS).reshape(-1, 3).mean(axis=0)
    assert np.allclose(first, (250, 200, 10), atol=4)
    assert np.allclose(second, (10, 20, 30), atol=4)
    assert not leftovers(tmp_path)


def test_cancel_during_encoding_leaves_no_file(tmp_path, encoder):
    token = CancelToken()
    out = tmp_path / "seg.mp4"

    def cancel_after_first_batch(fraction: float, message: str) -> None:
        token.cancel()

    with pytest.raises(Cancelled):
        avio.encode_segment(
            SolidScene([(1, 2, 3)]),
            300,
            SETTINGS,
            encoder,
            out,
            progress=cancel_after_first_batch,
            cancel=token,
        )
    assert not out.exists()
    assert not leftovers(tmp_path)


def test_renderer_failure_leaves_no_file(tmp_path, encoder):
    with pytest.raises(RuntimeError, match="exploded"):
        avio.encode_segment(
            Broken([(1, 2, 3), (4, 5, 6)]), 60, SETTINGS, encoder, tmp_path / "s.mp4"
        )
    assert list(tmp_path.iterdir()) == []


def test_wrong_frame_shape_is_reported(tmp_path, encoder):
    small = avio.EncodeSettings(fps=FPS, width_px=W * 2, height_px=H)
    with pytest.raises(ValueError, match="shape"):
        avio.encode_segment(SolidScene([(1, 2, 3)]), 5, small, encoder, tmp_path / "s.mp4")
    assert list(tmp_path.iterdir()) == []


# --- concatenation and muxing ----------------------------------------------------------------


def test_joined_video_passes_validation(joined):
    out, _ = joined
    total_s = sum(SEGMENT_FRAMES) / FPS
    report = validate_output(
        out,
        expected_width_px=W,
        expected_height_px=H,
        expected_fps=FPS,
        expected_duration_s=total_s,
    )
    assert report.passed, report.failed
    report.raise_if_failed()


def test_joined_video_has_every_frame_one_audio_track_and_faststart(joined):
    out, _ = joined
    media = avio.probe_media(out)
    assert media.video is not None and media.audio is not None
    assert media.video.n_frames == sum(SEGMENT_FRAMES)
    assert (media.audio.codec, media.audio.sample_rate_hz, media.audio.channels) == (
        "aac",
        SAMPLE_RATE_HZ,
        1,
    )
    assert abs(media.audio.duration_s - media.video.duration_s) <= 1 / FPS
    assert media.faststart
    kinds = [kind for kind, _, _ in avio.mp4_top_level_boxes(out)]
    assert kinds.index("moov") < kinds.index("mdat")
    decoded = avio.decode_check(out)
    assert decoded.ok
    assert decoded.video_frames == sum(SEGMENT_FRAMES)
    assert decoded.audio_samples / SAMPLE_RATE_HZ == pytest.approx(
        sum(SEGMENT_FRAMES) / FPS, abs=2 * 1024 / SAMPLE_RATE_HZ
    )


def test_each_segment_starts_with_a_keyframe_and_its_own_colour(joined):
    out, _ = joined
    starts = [0, SEGMENT_FRAMES[0], SEGMENT_FRAMES[0] + SEGMENT_FRAMES[1]]
    assert set(starts) <= set(avio.keyframe_indices(out))
    for start, colour in zip(starts, SEGMENT_COLOURS, strict=True):
        mean = avio.extract_frame(out, start / FPS).reshape(-1, 3).mean(axis=0)
        assert np.allclose(mean, colour, atol=4), (start, mean)
    # The last frame of segment 1 is its second colour (grey), not segment 2's.
    before = avio.extract_frame(out, (SEGMENT_FRAMES[0] - 1) / FPS).reshape(-1, 3).mean(axis=0)
    assert np.allclose(before, (128, 128, 128), atol=4)


def test_audio_shorter_than_video_is_padded(tmp_path, joined):
    _, infos = joined
    out = tmp_path / "short.mp4"
    avio.concat_and_mux([i.path for i in infos], sine(1.0), out, fps=FPS)
    media = avio.probe_media(out)
    assert media.audio is not None and media.video is not None
    assert abs(media.audio.duration_s - media.video.duration_s) <= 1 / FPS


def test_disk_full_while_muxing_keeps_the_old_file(tmp_path, joined, monkeypatch):
    _, infos = joined
    out = tmp_path / "out.mp4"
    out.write_bytes(b"previous render")
    real_mux = avio._mux
    calls = {"n": 0}

    def failing_mux(container, packet):
        calls["n"] += 1
        if calls["n"] > 20:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_mux(container, packet)

    monkeypatch.setattr(avio, "_mux", failing_mux)
    with pytest.raises(StorageError, match="disk is full") as info:
        avio.concat_and_mux([i.path for i in infos], sine(3.3), out, fps=FPS)
    assert "free some space" in info.value.hint and str(tmp_path) in info.value.message
    assert out.read_bytes() == b"previous render"
    assert not leftovers(tmp_path)


def test_segments_with_different_sizes_cannot_be_joined(tmp_path, joined, encoder):
    _, infos = joined
    other = avio.EncodeSettings(fps=FPS, width_px=W // 2, height_px=H // 2)

    class Half(SolidScene):
        def frame_at(self, t_s: float) -> np.ndarray:
            return super().frame_at(t_s)[: H // 2, : W // 2].copy()

    odd = avio.encode_segment(Half([(9, 9, 9)]), 10, other, encoder, tmp_path / "odd.mp4")
    with pytest.raises(EncodeError, match="different settings"):
        avio.concat_and_mux([infos[0].path, odd.path], sine(1.0), tmp_path / "o.mp4", fps=FPS)
    assert not (tmp_path / "o.mp4").exists()
    assert not leftovers(tmp_path)


def test_cancel_during_muxing_leaves_no_file(tmp_path, joined):
    _, infos = joined
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        avio.concat_and_mux(
            [i.path for i in infos], sine(3.3), tmp_path / "o.mp4", fps=FPS, cancel=token
        )
    assert list(tmp_path.iterdir()) == []


def test_one_reformatter_per_segment_converts_like_a_fresh_one():
    """encode_segment keeps one swscale context for all its frames: each converted frame
    must equal what a frame's own reformat gives (BT.709, limited range)."""
    rng = np.random.default_rng(5)
    settings = avio.EncodeSettings(fps=FPS, width_px=W, height_px=H, threads=1)
    reformatter = avio.VideoReformatter()
    for _ in range(3):
        rgb = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
        kept = avio._rgb_to_yuv(rgb, settings, reformatter)
        fresh = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
            format="yuv420p", dst_colorspace="ITU709"
        )
        assert kept.format.name == "yuv420p" and kept.color_range == 1  # MPEG (limited)
        for a, b in zip(kept.planes, fresh.planes, strict=True):
            np.testing.assert_array_equal(np.frombuffer(a, np.uint8), np.frombuffer(b, np.uint8))


def decoded_audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.concatenate(
            [f.to_ndarray().reshape(-1) for f in container.decode(container.streams.audio[0])]
        )


def test_audio_encoded_ahead_muxes_to_the_same_sound(tmp_path, joined):
    """The render encodes its sound beside the video (encode_audio) and the mux copies it:
    the file must decode to exactly what encoding in the mux gives."""
    out, infos = joined
    n_samples = round(sum(SEGMENT_FRAMES) * SAMPLE_RATE_HZ / FPS)
    encoded = avio.encode_audio(sine(sum(SEGMENT_FRAMES) / FPS), n_samples, tmp_path / "a.m4a")
    assert encoded.n_samples == n_samples and not leftovers(tmp_path)
    copied = tmp_path / "copied.mp4"
    avio.concat_and_mux([i.path for i in infos], encoded, copied, fps=FPS)
    direct, ahead = avio.probe_media(out), avio.probe_media(copied)
    assert ahead.audio == direct.audio and ahead.duration_s == direct.duration_s
    assert ahead.faststart
    np.testing.assert_array_equal(decoded_audio(copied), decoded_audio(out))
    report = avio.decode_check(copied)
    assert report.ok and report.audio_samples == avio.decode_check(out).audio_samples


def test_audio_encoded_for_another_length_is_refused(tmp_path, joined):
    _, infos = joined
    encoded = avio.encode_audio(sine(1.0), SAMPLE_RATE_HZ, tmp_path / "a.m4a")
    with pytest.raises(ValueError, match="the video needs"):
        avio.concat_and_mux([i.path for i in infos], encoded, tmp_path / "o.mp4", fps=FPS)
    assert not (tmp_path / "o.mp4").exists() and not leftovers(tmp_path)


def test_cancelled_audio_encoding_leaves_no_file(tmp_path):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        avio.encode_audio(sine(2.0), 2 * SAMPLE_RATE_HZ, tmp_path / "a.m4a", cancel=token)
    assert list(tmp_path.iterdir()) == []


# --- parallel segments -----------------------------------------------------------------------


def test_parallel_encoding_keeps_job_order(tmp_path, encoder):
    jobs = [
        avio.SegmentJob(SolidScene([c]), n, tmp_path / f"p{i}.mp4")
        for i, (n, c) in enumerate(zip(SEGMENT_FRAMES, SEGMENT_COLOURS, strict=True))
    ]
    fractions: list[float] = []
    infos = avio.encode_segments_parallel(
        jobs, SETTINGS, encoder, progress=lambda f, m: fractions.append(f)
    )
    assert [i.path for i in infos] == [j.out_path for j in jobs]
    for info, n, colour in zip(infos, SEGMENT_FRAMES, SEGMENT_COLOURS, strict=True):
        assert avio.probe_media(info.path).video.n_frames == n
        mean = avio.extract_frame(info.path, 0.0).reshape(-1, 3).mean(axis=0)
        assert np.allclose(mean, colour, atol=4)
    assert max(fractions) == pytest.approx(1.0)


def test_parallel_failure_raises_the_root_cause_and_cleans_up(tmp_path, encoder):
    jobs = [
        avio.SegmentJob(Broken([(1, 2, 3), (4, 5, 6)]), 90, tmp_path / "bad.mp4"),
        avio.SegmentJob(SolidScene([(7, 8, 9)]), 3000, tmp_path / "long.mp4"),
    ]
    with pytest.raises(RuntimeError, match="exploded"):
        avio.encode_segments_parallel(jobs, SETTINGS, encoder)
    assert not (tmp_path / "bad.mp4").exists()
    assert not (tmp_path / "long.mp4").exists()  # cancelled as soon as its sibling failed
    assert not leftovers(tmp_path)
