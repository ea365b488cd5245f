"""Every registered scene type in the studio: "Add scene" menu, default content, properties."""

from __future__ import annotations

from pipeline.models import VideoSpec
from pipeline.scene_types import REGISTRY
from ui.document import ProjectDocument, new_scene
from ui.properties import PropertiesPanel, scene_field_order
from ui.storyboard import scene_label


def test_every_type_is_added_and_edited_in_the_properties_panel(qtbot) -> None:
    spec = VideoSpec.model_validate(
        {"title": "All", "scenes": [{"scene_type": "title", "title": "Start"}]}
    )
    document = ProjectDocument(spec)
    panel = PropertiesPanel(document)
    qtbot.addWidget(panel)
    for name, described in REGISTRY.items():
        assert new_scene(name) == described.default_scene()
        assert scene_label(name) == described.label
        document.add_scene(name)
        index = len(document.require().scenes) - 1
        document.set_current(index)
        scene = document.require().scenes[index]
        assert scene.scene_type == name
        editors = panel.scene_form.editors
        assert set(editors) == set(scene_field_order(described.model)), name
        for field, value in described.default_content.items():
            shown = editors[field].value()
            again = described.model.model_validate({**scene.model_dump(), field: shown})
            assert again == scene, (name, field, shown)  # the editor shows the scene's value
            if isinstance(value, str):
                assert shown == value
    assert [s.scene_type for s in document.require().scenes[1:]] == list(REGISTRY)
