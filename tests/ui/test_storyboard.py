"""The storyboard draws thumbnails lazily off the GUI thread and caches them by content."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.models import VideoSpec
from pipeline.preview import scene_thumbnail
from studio.service import Studio
from tests.support.qt_images import image_pixels
from ui.document import ProjectDocument
from ui.storyboard import StoryboardModel, StoryboardPanel


def test_every_card_gets_its_thumbnail_and_a_copy_draws_nothing_again(
    qtbot, studio: Studio, small_spec: VideoSpec, tmp_path: Path
):
    scenes = [
        s.model_copy(update={"scene_id": f"s{k}"}) for k in range(4) for s in small_spec.scenes
    ]
    spec = small_spec.model_copy(update={"scenes": scenes})
    document = ProjectDocument()
    panel = StoryboardPanel(document, lambda: studio.cache)
    qtbot.addWidget(panel)
    panel.resize(500, 260)  # two or three cards on screen, the rest off screen
    panel.show()
    model = panel.model
    with qtbot.waitSignal(model.thumbnails_ready, timeout=60_000):
        document.load(spec)
    assert model.thumbnail_count() == 12
    image = model.index(4, 0).data(StoryboardModel.ThumbnailRole)
    expected = scene_thumbnail(spec, 4)
    assert expected is not None and np.array_equal(image_pixels(image), expected)

    document.duplicate_scene(1)
    assert model.thumbnail_loader.idle  # the copy looks the same: nothing to draw
    assert model.thumbnail_count() == 13
    assert model.index(2, 0).data(StoryboardModel.ThumbnailRole) is not None
    qtbot.waitUntil(lambda: None not in model.durations_s(), timeout=60_000)
    assert panel.summary.text().startswith("13 scenes · ")
