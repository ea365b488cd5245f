"""Every registered scene type through every path: YAML (ours and both video_gen layouts),
the builder, narration, timeline reveals, the renderer registry and the preview."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from pipeline import preview
from pipeline.adapters import load_document
from pipeline.adapters.builder import VideoBuilder
from pipeline.adapters.yaml_scenes import spec_from_yaml
from pipeline.artifacts import DirectoryStore
from pipeline.models import SCENE_TYPES, Scene, VideoSpec
from pipeline.narration import narrate_scene, script_stage
from pipeline.render import RENDERERS
from pipeline.scene_types import REGISTRY, lookup
from pipeline.timeline import revealable_items

NAMES = list(REGISTRY)


def content(name: str) -> dict[str, Any]:
    return dict(REGISTRY[name].default_content)


def expected(name: str) -> Scene:
    return REGISTRY[name].default_scene()  # type: ignore[return-value]


def only_scene(spec: VideoSpec) -> Any:
    assert len(spec.scenes) == 1
    return spec.scenes[0]


def test_registry_is_the_single_source() -> None:
    assert tuple(NAMES) == SCENE_TYPES
    assert {"clip", "ad"} <= set(NAMES) and len(NAMES) == 14
    for name, described in REGISTRY.items():
        assert RENDERERS[name] is described.renderer_class()
        assert RENDERERS[name].scene_type == name
        assert lookup(name) is described
        for alias in described.yaml_aliases:
            assert lookup(alias.upper().replace("_", "-")) is described


@pytest.mark.parametrize("name", NAMES)
def test_yaml_our_schema(name: str) -> None:
    text = yaml.safe_dump({"title": "T", "scenes": [{"scene_type": name, **content(name)}]})
    assert only_scene(spec_from_yaml(text, source="ours.yaml")) == expected(name)


@pytest.mark.parametrize("name", NAMES)
def test_yaml_video_gen_flat(name: str) -> None:
    scene = {"type": name, "id": 7, "min_duration": 2, **content(name), "key_points": ["x"]}
    text = yaml.safe_dump({"video": {"title": "T"}, "scenes": [scene]})
    loaded = only_scene(spec_from_yaml(text, source="flat.yaml"))
    assert loaded.model_copy(update={"scene_id": None, "min_duration_s": None}) == expected(name)
    assert loaded.scene_id == "7" and loaded.min_duration_s == 2.0


@pytest.mark.parametrize("name", NAMES)
def test_yaml_video_gen_nested(name: str) -> None:
    alias = (REGISTRY[name].yaml_aliases or (name,))[0]
    scene = {"scene_type": alias, "narration": "Spoken.", "visual_content": content(name)}
    text = yaml.safe_dump({"video": {"title": "T", "accent_color": "green"}, "scenes": [scene]})
    loaded = only_scene(spec_from_yaml(text, source="nested.yaml"))
    assert loaded == expected(name).model_copy(update={"narration": "Spoken."})


def test_video_gen_clip_file_loads_from_disk(tmp_path: Path) -> None:
    """A video_gen-style file with ``type: clip`` used to crash with a KeyError (exit 1)."""
    path = tmp_path / "clip.yaml"
    path.write_text(
        "video: {title: Clips}\nscenes:\n"
        "  - type: clip\n    title: Saving money\n    description: A piggy bank fills up\n"
        "  - type: ad\n    headline: Buy now\n"
    )
    spec = load_document(path)
    clip, ad = spec.scenes
    assert clip.scene_type == "clip" and clip.headline == "Saving money"
    assert clip.prompt == "A piggy bank fills up"
    assert ad.scene_type == "ad" and ad.headline == "Buy now"


@pytest.mark.parametrize("name", NAMES)
def test_builder_method_per_type(name: str) -> None:
    add = getattr(VideoBuilder(title="T"), f"add_{REGISTRY[name].builder_name}")
    spec = add(**content(name), narration="Said.").build()
    assert only_scene(spec) == expected(name).model_copy(update={"narration": "Said."})


@pytest.mark.parametrize("name", NAMES)
def test_narration_mentions_every_revealed_item_in_order(name: str) -> None:
    scene = expected(name)
    text = narrate_scene(scene)
    assert text and text[-1] in ".!?"
    position = 0
    for item in revealable_items(scene):
        first_word = item.replace("$", "").split()[0].lower()
        found = text.lower().find(first_word, position)
        assert found >= 0, (item, text)
        position = found


def test_preview_draws_every_type(tmp_path: Path) -> None:
    scenes = [{"scene_type": n, **content(n), "narration": "Hi."} for n in NAMES]
    spec = VideoSpec.model_validate({"title": "All types", "format": "1:1", "scenes": scenes})
    assert len(script_stage(spec)) == len(NAMES)
    store = DirectoryStore(tmp_path / "store")
    try:
        for index, name in enumerate(NAMES):
            frame = preview.preview_frame(spec, index, 5.0, store)
            assert frame.shape == (1080, 1080, 3), name
            assert float(np.std(frame)) > 2.0, f"{name} drew a blank frame"
    finally:
        preview.clear_caches()
