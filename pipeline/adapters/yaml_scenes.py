"""YAML scene files → :class:`~pipeline.models.VideoSpec`.

Three layouts are accepted:

* **ours** (``docs/yaml-schema.md``): the fields of ``VideoSpec`` at the top level and
  ``scenes`` entries with ``scene_type`` and the scene's own fields. Strict: unknown keys are
  errors.
* **video_gen nested**: a ``video:`` mapping (title, description, accent_color, voice, …) and
  scenes with ``scene_type``, ``narration`` and a ``visual_content:`` mapping.
* **video_gen flat**: scenes with ``type:`` and their fields inline.

video_gen field names are mapped to ours (``min_duration`` → ``min_duration_s``, ``id`` →
``scene_id``, and per scene type by its descriptor's ``video_gen_fix``: quiz
``correct_answer`` → ``correct_index``, …); keys we have no use for (``key_points``,
``key_message``, ``version``, …) are ignored.

Display texts are Markdown: links, emphasis and code spans are rendered as plain text and
emoji shortcodes removed, so ``[Install](#install)`` shows "Install", never the markup. Every registered scene type is accepted,
``clip`` and ``ad`` included, under its name or one of its aliases (:mod:`pipeline.scene_types`).

The file is parsed with PyYAML's safe loader (libyaml's parser when present) after three
guards: its size (at most :data:`MAX_YAML_BYTES`); counts taken while the node graph is
composed (at most :data:`MAX_EXPANDED_NODES` nodes and :data:`~pipeline.models.MAX_SCENES`
scenes, so an oversized file is refused at the first node past a limit, before any model is
built); and the size of the data once aliases are expanded (at most
:data:`MAX_EXPANDED_NODES`), checked on the composed graph *before* anything is expanded, so
"billion laughs" files are refused quickly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
import yaml.composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pipeline.adapters.markdown import plain_text
from pipeline.adapters.textio import read_text
from pipeline.errors import InputError
from pipeline.models import MAX_SCENES, SCENE_TYPES, VideoSpec, build_spec
from pipeline.scene_types import lookup

MAX_YAML_BYTES = 2 * 1024 * 1024
"""Largest scene file accepted (2 MiB)."""
MAX_EXPANDED_NODES = 100_000
"""Most YAML nodes after alias expansion (a real scene file has a few hundred)."""

_HINT_SCHEMA = "see docs/yaml-schema.md for the scene file format"
_RENAMES = {
    "id": "scene_id",
    "min_duration": "min_duration_s",
    "max_duration": "max_duration_s",
}


def load_scene_file(path: Path) -> VideoSpec:
    """Load a YAML scene file in any of the three layouts.

    Raises:
        InputError: unreadable, too large, alias bomb, not a mapping, unknown scene type, or
            invalid fields (the message names the file and ``scenes[i]``).
    """
    source = str(path)
    text = read_text(path, limit_bytes=MAX_YAML_BYTES)
    return spec_from_yaml(text, source=source, fallback_title=path.stem)


def spec_from_yaml(text: str, *, source: str = "", fallback_title: str = "") -> VideoSpec:
    """Parse YAML scene-file text (see :func:`load_scene_file`)."""
    data = safe_load_limited(text, source=source)
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "empty"
        raise InputError(
            f"a scene file must be a mapping with 'title' and 'scenes', not {kind}",
            source=source,
            hint=_HINT_SCHEMA,
        )
    scenes = data.get("scenes")
    if not isinstance(scenes, list) or not scenes:
        raise InputError(
            "the scene file needs a non-empty 'scenes' list",
            source=source,
            location="scenes",
            hint=_HINT_SCHEMA,
        )
    for index, entry in enumerate(scenes):
        if not isinstance(entry, dict):
            raise InputError(
                "each scene must be a mapping with 'scene_type'",
                source=source,
                location=f"scenes[{index}]",
                hint=_HINT_SCHEMA,
            )
    if _is_video_gen(data):
        data = _from_video_gen(data, source=source, fallback_title=fallback_title)
    else:
        for index, entry in enumerate(scenes):
            _check_type(entry.get("scene_type"), source, index)
    return build_spec(_rendered(data), source=source)


_VERBATIM_KEYS = frozenset(
    {
        "code",
        "before_code",
        "after_code",
        "commands",
        "narration",
        "prompt",
        "image_path",
        "scene_id",
        "cache_key",
        "template_id",
        "language",
        "voice",
        "role",
        "scene_type",
        "format",
        "accent_color",
        "font_family",
        "kind",
        "unit",
    }
)
"""Fields kept as written: code, narration (cleaned for speech later), ids and settings."""


def _rendered(value: Any, key: str = "") -> Any:
    """Every display text of a scene file with its Markdown rendered as plain text
    (``[text](#anchor)`` → ``text``, ``**bold**`` → ``bold``, ``:rocket:`` removed)."""
    if key in _VERBATIM_KEYS:
        return value
    if isinstance(value, str):
        return plain_text(value)
    if isinstance(value, dict):
        return {k: _rendered(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_rendered(v, key) for v in value]
    return value


def _is_video_gen(data: dict[Any, Any]) -> bool:
    return "video" in data or any(
        "type" in entry or "visual_content" in entry for entry in data["scenes"]
    )


# --- safe loading ---------------------------------------------------------------------


def safe_load_limited(text: str, *, source: str = "") -> Any:
    """``yaml.safe_load`` with counting, alias-expansion and nesting guards.

    The node graph is composed from libyaml's event stream (PyYAML's pure-Python parser when
    libyaml is missing) by :class:`_CountingComposer`, which refuses the file at the first
    node past :data:`MAX_EXPANDED_NODES` or the first scene past
    :data:`~pipeline.models.MAX_SCENES`, so an oversized file is refused after reading only
    what the limit allows (a 40,000-scene file in milliseconds, not after composing all of
    it). Alias expansion is then counted on the graph before anything is constructed.

    Raises:
        InputError: a YAML syntax error (with its line), more than one document, recursive
            aliases, too many scenes, or more than :data:`MAX_EXPANDED_NODES` nodes after
            expansion.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = _CountingComposer(loader, source).single_node()
        if node is None:
            return None
        _check_expanded_size(node, source)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        location = f"line {mark.line + 1}" if mark is not None else ""
        if "nesting depth" in str(error.problem):  # libyaml's own depth limit
            raise InputError(
                "the YAML is nested too deeply",
                source=source,
                location=location,
                hint="flatten the structure",
            ) from error
        raise InputError(
            f"YAML syntax error: {error.problem or error.context}",
            source=source,
            location=location,
            hint="fix the YAML syntax (indentation, quotes, colons) and try again",
        ) from error
    except yaml.YAMLError as error:
        raise InputError(f"YAML error: {error}", source=source, hint=_HINT_SCHEMA) from error
    except RecursionError as error:
        raise InputError(
            "the YAML is nested too deeply", source=source, hint="flatten the structure"
        ) from error
    finally:
        loader.dispose()


class _CountingComposer:
    """PyYAML's composer (``yaml/composer.py``) over a loader's events, counting as it goes.

    Nodes are counted as they are made (aliases are not: :func:`_check_expanded_size` counts
    their expansion afterwards), and the items of the top-level ``scenes`` sequence too, so
    a limit is hit before the rest of the file is even parsed.
    """

    def __init__(self, loader: Any, source: str) -> None:
        self.loader = loader
        self.source = source
        self.anchors: dict[str, Node] = {}
        self.nodes = 0
        self.root: Node | None = None

    def single_node(self) -> Node | None:
        loader = self.loader
        loader.get_event()  # stream start
        document = None
        if not loader.check_event(yaml.StreamEndEvent):
            loader.get_event()  # document start
            document = self.node(None, None)
            loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                document.start_mark if document is not None else None,
                "but found another document",
                event.start_mark,
            )
        loader.get_event()
        return document

    def node(self, parent: Node | None, index: Any) -> Node:
        loader = self.loader
        if loader.check_event(yaml.AliasEvent):
            event = loader.get_event()
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            return self.anchors[event.anchor]
        event = loader.peek_event()
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                self.anchors[anchor].start_mark,
                "second occurrence",
                event.start_mark,
            )
        self.nodes += 1
        if self.nodes > MAX_EXPANDED_NODES:
            raise _too_many_values(self.source)
        is_scenes = (
            parent is not None
            and parent is self.root
            and isinstance(index, ScalarNode)
            and index.value == "scenes"
        )
        loader.descend_resolver(parent, index)
        if loader.check_event(yaml.ScalarEvent):
            event = loader.get_event()
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(ScalarNode, event.value, event.implicit)
            node: Node = ScalarNode(
                tag, event.value, event.start_mark, event.end_mark, style=event.style
            )
            if anchor is not None:
                self.anchors[anchor] = node
        elif loader.check_event(yaml.SequenceStartEvent):
            node = self.sequence(anchor, limit=MAX_SCENES if is_scenes else None)
        else:
            node = self.mapping(anchor)
        loader.ascend_resolver()
        return node

    def sequence(self, anchor: str | None, *, limit: int | None) -> Node:
        loader = self.loader
        start = loader.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = loader.resolve(SequenceNode, None, start.implicit)
        node = SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        index = 0
        while not loader.check_event(yaml.SequenceEndEvent):
            if limit is not None and index >= limit:
                raise InputError(
                    f"the scene file has more than {limit} scenes; the limit is {limit}",
                    source=self.source,
                    location=f"scenes[{index}]",
                    hint=f"split it into several videos of at most {limit} scenes each",
                )
            node.value.append(self.node(node, index))
            index += 1
        node.end_mark = loader.get_event().end_mark
        return node

    def mapping(self, anchor: str | None) -> Node:
        loader = self.loader
        start = loader.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = loader.resolve(MappingNode, None, start.implicit)
        node = MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if self.root is None:
            self.root = node
        if anchor is not None:
            self.anchors[anchor] = node
        while not loader.check_event(yaml.MappingEndEvent):
            key = self.node(node, None)
            value = self.node(node, key)
            node.value.append((key, value))
        node.end_mark = loader.get_event().end_mark
        return node


def _too_many_values(source: str) -> InputError:
    return InputError(
        f"the YAML expands to more than {MAX_EXPANDED_NODES:,} values "
        "(an alias bomb or far too large)",
        source=source,
        hint="write the scenes out without deeply repeated aliases",
    )


def _check_expanded_size(root: Node, source: str) -> None:
    """Count nodes as if aliases were expanded, without expanding them (memoised per node)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise InputError(
                "the YAML refers to itself (recursive alias)",
                source=source,
                hint="remove the recursive anchor",
            )
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise _too_many_values(source)
        sizes[key] = total
        return total

    size(root)


# --- video_gen mapping ----------------------------------------------------------------


def _check_type(value: object, source: str, index: int, *, aliases: bool = False) -> str:
    """The canonical scene type of ``value`` (aliases only in video_gen files).

    Raises:
        InputError: an unknown type, naming ``scenes[index]``.
    """
    if isinstance(value, str):
        if value in SCENE_TYPES:
            return value
        found = lookup(value) if aliases else None
        if found is not None:
            return found.name
    raise InputError(
        f"unknown scene type {value!r}",
        source=source,
        location=f"scenes[{index}].scene_type",
        hint="use one of: " + ", ".join(SCENE_TYPES),
    )


def _from_video_gen(data: dict[Any, Any], *, source: str, fallback_title: str) -> dict[str, Any]:
    video = data.get("video") if isinstance(data.get("video"), dict) else {}
    assert isinstance(video, dict)
    merged = {**video, **{k: v for k, v in data.items() if k not in ("video", "scenes")}}
    spec: dict[str, Any] = {"title": _text(merged.get("title")) or fallback_title or "Untitled"}
    if merged.get("description"):
        spec["description"] = _text(merged["description"])
    for key in ("voice", "language", "format", "fps", "captions"):
        if key in merged:
            spec[key] = merged[key]
    theme: dict[str, Any] = {}
    accent = merged.get("accent_color")
    if isinstance(accent, str) and accent.strip():
        theme["accent_color"] = accent
    if "dark" in merged:
        theme["dark"] = merged["dark"]
    if theme:
        spec["theme"] = theme
    spec["scenes"] = [
        _scene_from_video_gen(entry, index, source) for index, entry in enumerate(data["scenes"])
    ]
    return spec


def _scene_from_video_gen(entry: dict[Any, Any], index: int, source: str) -> dict[str, Any]:
    scene_type = _check_type(
        entry.get("scene_type", entry.get("type")), source, index, aliases=True
    )
    described = lookup(scene_type)
    assert described is not None
    visual = entry.get("visual_content")
    fields: dict[str, Any] = dict(visual) if isinstance(visual, dict) else {}
    fields.update({k: v for k, v in entry.items() if k not in ("visual_content", "type")})
    for old, new in _RENAMES.items():
        if old in fields and new not in fields:
            fields[new] = fields.pop(old)
    if fields.get("scene_id") is not None:
        fields["scene_id"] = str(fields["scene_id"])
    if described.video_gen_fix is not None:
        described.video_gen_fix(fields)
    allowed = set(described.model.model_fields)
    scene = {k: v for k, v in fields.items() if k in allowed}
    scene["scene_type"] = scene_type
    return scene


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()
