"""Build a :class:`~pipeline.models.VideoSpec` in code, one scene at a time.

Example::

    spec = (
        VideoBuilder(title="Getting started")
        .add_title("Getting started", subtitle="In two minutes")
        .add_command("Install", ["pip install videostudio"])
        .add_list("Features", ["Fast", ("Offline", "no network needed")])
        .add_outro("Thanks for watching")
        .build()
    )

There is one ``add_<type>`` per registered scene type, made from the type's descriptor
(:mod:`pipeline.scene_types`; its ``builder`` gives the signature and docstring), plus
:meth:`VideoBuilder.add_scene` for any type by name. Every ``add_*`` takes the scene's own
fields plus the common keyword fields of
:class:`~pipeline.models.SceneBase` (``narration``, ``scene_id``, ``min_duration_s``,
``max_duration_s``, ``voice``). Nothing is validated until :meth:`VideoBuilder.build`, which
raises :class:`~pipeline.errors.InputError` naming the bad field (``scenes[2].items``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict, Unpack, cast

from pipeline.models import VideoSpec, build_spec
from pipeline.scene_types import REGISTRY
from pipeline.scene_types.base import SceneTypeDescriptor
from pipeline.scene_types.listing import ItemLike

__all__ = ["ItemLike", "SceneOptions", "VideoBuilder"]


class SceneOptions(TypedDict, total=False):
    """Fields every scene accepts (see :class:`~pipeline.models.SceneBase`)."""

    narration: str | None
    scene_id: str | None
    min_duration_s: float | None
    max_duration_s: float | None
    voice: str | None


class VideoBuilder:
    """Fluent builder of a spec. Each ``add_*`` returns the builder itself.

    Args:
        title: the video's title.
        **settings: other ``VideoSpec`` fields (``format``, ``voice``, ``theme``, …).
    """

    def __init__(self, title: str, **settings: Any) -> None:
        self._spec: dict[str, Any] = {"title": title, **settings}
        self._scenes: list[dict[str, Any]] = []

    def _add(self, scene_type: str, fields: dict[str, Any], common: SceneOptions) -> VideoBuilder:
        scene = {"scene_type": scene_type, **fields}
        scene.update({k: v for k, v in common.items() if v is not None})
        self._scenes.append(scene)
        return self

    if TYPE_CHECKING:  # ``add_<type>`` methods are made from the registry (below)

        def __getattr__(self, name: str) -> Callable[..., VideoBuilder]: ...

    def add_scene(
        self, scene_type: str, fields: dict[str, Any], **common: Unpack[SceneOptions]
    ) -> VideoBuilder:
        """Add a scene of any registered type from its fields (validated in :meth:`build`)."""
        return self._add(scene_type, dict(fields), common)

    def build(self) -> VideoSpec:
        """The validated spec.

        Raises:
            InputError: naming the first invalid field, e.g. ``scenes[2].items``.
        """
        data = {**self._spec, "scenes": [dict(scene) for scene in self._scenes]}
        return build_spec(data, source="VideoBuilder")


def _adder(described: SceneTypeDescriptor) -> Callable[..., VideoBuilder]:
    """``VideoBuilder.add_<name>``: the descriptor's builder plus the common scene fields."""
    build_fields = described.builder

    def add(self: VideoBuilder, *args: Any, **kwargs: Any) -> VideoBuilder:
        common = cast(SceneOptions, {k: kwargs.pop(k) for k in _COMMON if k in kwargs})
        return self._add(described.name, build_fields(*args, **kwargs), common)

    signature = inspect.signature(build_fields)
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += list(signature.parameters.values())
    params += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None) for name in _COMMON
    ]
    add.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=params, return_annotation="VideoBuilder"
    )
    add.__name__ = add.__qualname__ = f"add_{described.builder_name}"
    add.__doc__ = (build_fields.__doc__ or "") + (
        f"\n\nAdds a ``{described.name}`` scene; also takes the common fields "
        "(narration, scene_id, min_duration_s, max_duration_s, voice)."
    )
    return add


_COMMON = tuple(SceneOptions.__annotations__)

for _described in REGISTRY.values():
    setattr(VideoBuilder, f"add_{_described.builder_name}", _adder(_described))
