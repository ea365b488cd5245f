"""Sample values, estimated lengths and thumbnails of templates (for the gallery and the
template editor's previews).

A template has no content of its own until the user fills its fields; to show what it makes,
:func:`sample_values` invents plausible values (a field's default, else the example in its
help text — ``"product name, e.g. GlowBrush"`` gives ``GlowBrush`` — else its label), and
:func:`sample_spec` fills the template with them exactly as a render would
(:func:`~pipeline.templates.instantiate_template`). Thumbnails and beat previews are drawn
from that spec by the encoder's own renderers (:mod:`pipeline.preview`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from PIL import Image

from pipeline.artifacts import ArtifactStore, content_key
from pipeline.fsutil import atomic_path
from pipeline.models import NAMED_ACCENTS, VideoSpec
from pipeline.narration import script_stage
from pipeline.render.base import RGBFrame
from pipeline.templates.fill import resolve_fields, rule_data, to_spec
from pipeline.templates.library import AdTemplate, PersonaTemplate, Template
from pipeline.timeline import LEAD_IN_S, TAIL_S

WORDS_PER_S = 2.5
"""Speaking rate assumed when a length is estimated before any speech is synthesised
(the wizard's figure; eSpeak NG at its default rate speaks about 2.5–3 words a second)."""

GALLERY_THUMBNAIL_WIDTH_PX = 240
"""Width of a gallery card's thumbnail."""

_EXAMPLE = re.compile(r"\be\.g\.\s*(.+)$", re.IGNORECASE)


def sample_values(template: Template) -> dict[str, str]:
    """A plausible value for each of the template's own fields (never the common ones).

    Default if there is one; else the example after ``e.g.`` in the help text; else, for a
    required field, its label (an optional one stays empty, as a user would leave it).
    Colour fields without a default get the blue accent; image fields stay empty (no product
    image). Each value fits the field's ``max_chars``.
    """
    values: dict[str, str] = {}
    for field in template.fields:
        match = _EXAMPLE.search(field.help)
        example = match.group(1).strip() if match else ""
        if field.type == "image":
            value = field.default
        elif field.type == "colour":
            value = field.default or NAMED_ACCENTS["blue"]
        else:
            value = field.default or example or (field.display_label if field.required else "")
        values[field.name] = value[: field.max_chars]
    return values


def sample_spec(template: Template, values: Mapping[str, str] | None = None) -> VideoSpec:
    """The spec ``template`` makes with ``values`` (default: :func:`sample_values`); missing
    required values are taken from the samples.

    Raises:
        InputError: the values do not fit the template (too long, a bad colour or image), or
            the filled spec is invalid (the message names the field).
    """
    samples = sample_values(template)
    given = {k: v for k, v in (values or {}).items() if v}
    for name, value in samples.items():
        given.setdefault(name, value)
    resolved = resolve_fields(template, given)
    return to_spec(rule_data(template, resolved), template)


def cover_scene_index(template: Template) -> int:
    """The scene that shows what a template is: the hook of an ad, the clip of a persona
    clip, the first scene of a tutorial."""
    return 1 if isinstance(template, PersonaTemplate) else 0


def estimated_length_s(template: Template, spec: VideoSpec | None = None) -> tuple[float, float]:
    """The video's length, seconds, as ``(shortest, longest)``.

    Ads: the sums of the beats' duration ranges (the pacing rules bound them). Others: each
    scene's narration (of ``spec``, default :func:`sample_spec`) at :data:`WORDS_PER_S` plus
    the timeline's padding, at least the scene's minimum duration; shortest = longest.
    """
    if isinstance(template, AdTemplate):
        return (
            sum(beat.duration_s[0] for beat in template.scenes),
            sum(beat.duration_s[1] for beat in template.scenes),
        )
    spec = spec or sample_spec(template)
    total = 0.0
    for scene, text in zip(spec.scenes, script_stage(spec), strict=True):
        length = LEAD_IN_S + len(text.split()) / WORDS_PER_S + TAIL_S
        if scene.min_duration_s is not None:
            length = max(length, scene.min_duration_s)
        total += length
    return total, total


def format_length(span: tuple[float, float]) -> str:
    """``(27.9, 32.6)`` → ``"28–33 s"``; ``(75, 75)`` → ``"1:15"``."""

    def one(seconds: float) -> str:
        whole = round(seconds)
        return f"{whole // 60}:{whole % 60:02d}" if whole >= 60 else f"{whole} s"

    low, high = span
    if round(low) == round(high):
        return one(low)
    if high < 60:
        return f"{round(low)}–{round(high)} s"
    return f"{one(low)}–{one(high)}"


def template_thumbnail(
    template: Template, *, width_px: int = GALLERY_THUMBNAIL_WIDTH_PX
) -> RGBFrame | None:
    """The gallery thumbnail of ``template``: its cover scene (:func:`cover_scene_index`)
    filled with :func:`sample_values`, drawn by the encoder's renderer at ``width_px`` wide
    (every item revealed, no captions, no speech needed: :func:`pipeline.preview.scene_thumbnail`).
    ``None`` for a scene type without a renderer.

    Returns an RGB uint8 array ``(height_px, width_px, 3)``; the height follows the
    template's format.

    Raises:
        InputError: the sample spec is invalid.
    """
    from pipeline.preview import scene_thumbnail

    return scene_thumbnail(sample_spec(template), cover_scene_index(template), width_px=width_px)


def thumbnail_key(template: Template, width_px: int = GALLERY_THUMBNAIL_WIDTH_PX) -> str:
    """The content key of a template's gallery thumbnail: everything that shapes it (the
    template, the width, the renderers' version)."""
    from pipeline.render import RENDERER_VERSION

    return content_key(
        "template-thumbnail",
        {
            "template": template.model_dump(mode="json"),
            "width_px": width_px,
            "renderer": RENDERER_VERSION,
        },
    )


def cached_template_thumbnail_png(
    template: Template,
    store: ArtifactStore,
    staging: Path,
    *,
    width_px: int = GALLERY_THUMBNAIL_WIDTH_PX,
) -> Path | None:
    """The gallery thumbnail of ``template`` as a PNG file in ``store`` (drawn by
    :func:`template_thumbnail` the first time, then read back: a gallery opens at once).

    Args:
        staging: a folder for the PNG before it is moved into the store.

    Returns ``None`` when the cover scene has no renderer.

    Raises:
        InputError: as :func:`template_thumbnail`.
    """
    key = thumbnail_key(template, width_px)
    found = store.get(key)
    if found is not None:
        return found
    frame = template_thumbnail(template, width_px=width_px)
    if frame is None:
        return None
    png = staging / f"{key}.png"
    with atomic_path(png) as tmp:
        Image.fromarray(frame).save(tmp, format="PNG")
    return store.put(key, "thumbnail", png)
