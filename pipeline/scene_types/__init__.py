"""The scene-type registry: one :class:`~pipeline.scene_types.base.SceneTypeDescriptor` per type.

Each scene type lives in its own module of this package (model, renderer reference, narration
parts, revealable items, YAML names, builder method, default content). To add one, write its
module (copy ``quote.py``) and add the module to :data:`_MODULES` below; nothing else changes:
the scene union of :mod:`pipeline.models`, the renderer registry, narration, the timeline's
reveals, the YAML adapter, :class:`~pipeline.adapters.builder.VideoBuilder` and the studio's
"Add scene" menu all read :data:`REGISTRY`.
"""

from __future__ import annotations

from types import MappingProxyType

from pipeline.scene_types import (
    ad,
    checkpoint,
    clip,
    code_comparison,
    command,
    exercise,
    learning_objectives,
    listing,
    outro,
    problem,
    quiz,
    quote,
    solution,
    title,
)
from pipeline.scene_types.base import SceneTypeDescriptor

_MODULES = (
    title,
    command,
    listing,
    code_comparison,
    quote,
    outro,
    learning_objectives,
    problem,
    solution,
    quiz,
    checkpoint,
    exercise,
    clip,
    ad,
)

REGISTRY: MappingProxyType[str, SceneTypeDescriptor] = MappingProxyType(
    {module.DESCRIPTOR.name: module.DESCRIPTOR for module in _MODULES}
)
"""Descriptor per ``scene_type``, in menu order."""

_BY_NAME: dict[str, SceneTypeDescriptor] = {}
for _descriptor in REGISTRY.values():
    for _name in (_descriptor.name, *_descriptor.yaml_aliases):
        _key = _name.lower().replace("-", "_")
        if _key in _BY_NAME:  # pragma: no cover - a programming error caught at import
            raise ValueError(f"scene type name {_name!r} is used twice")
        _BY_NAME[_key] = _descriptor


def descriptor(scene_type: str) -> SceneTypeDescriptor:
    """The descriptor of ``scene_type`` (the canonical name only).

    Raises:
        KeyError: an unknown scene type.
    """
    return REGISTRY[scene_type]


def lookup(name: str) -> SceneTypeDescriptor | None:
    """The descriptor for a name used in a scene file: the type or one of its aliases.

    Case and ``-``/``_`` do not matter (``Code-Comparison`` finds ``code_comparison``).
    """
    return _BY_NAME.get(name.strip().lower().replace("-", "_"))


__all__ = ["REGISTRY", "SceneTypeDescriptor", "descriptor", "lookup"]
