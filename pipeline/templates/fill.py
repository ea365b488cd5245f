"""Turning a template and the user's fields into a :class:`~pipeline.models.VideoSpec`.

Rules fill the slots by default: each ``{slot}`` is replaced by the field's value (string
formatting; values are inserted verbatim, never re-interpreted). With a
:class:`~pipeline.ai.base.StructuredGenerator` an LLM may rewrite the *text* of the slots —
on-screen lines and narration — through a pydantic model with one string field per text; it
never sees or decides the structure (scene types, roles, order, durations, the AI prompt,
code, quiz answers). Any provider failure, or an answer that does not validate, falls back
to the rule-filled spec.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, create_model
from pydantic import ValidationError as PydanticValidationError

from pipeline.ai.base import PaidWorkBlocked, ProviderError, QuotaExhausted, StructuredGenerator
from pipeline.errors import InputError
from pipeline.images import load_product_image
from pipeline.models import Theme, VideoSpec, build_spec, parse_color
from pipeline.templates.library import (
    COMMON_FIELD_NAMES,
    COMMON_FIELDS,
    AdTemplate,
    FieldDef,
    PersonaTemplate,
    Template,
    TutorialTemplate,
)

FALLBACK_ERRORS = (PaidWorkBlocked, ProviderError, QuotaExhausted, PydanticValidationError)
"""Errors of a generator after which the rules' text is used instead."""
LLM_LIMITS: dict[str, int] = {
    "headline": 70,
    "body": 160,
    "narration": 300,
    "title": 90,
    "subtitle": 140,
    "main_text": 90,
    "sub_text": 140,
}
"""Longest text the LLM may write per kind of text, characters."""
_AD_NARRATION_CHARS = 90  # an ad beat is 2–3 s: about six spoken words


def field_defs(template: Template) -> list[FieldDef]:
    """The template's own fields followed by the common ones."""
    return [*template.fields, *COMMON_FIELDS]


def resolve_fields(template: Template, fields: dict[str, str]) -> dict[str, str]:
    """Defaults applied, values stripped and checked.

    Raises:
        InputError: naming every missing required field, or an unknown field, or a value
            that is too long.
    """
    defs = {f.name: f for f in field_defs(template)}
    unknown = sorted(set(fields) - set(defs))
    if unknown:
        raise InputError(
            f"unknown field{'s' if len(unknown) > 1 else ''} for template {template.id!r}: "
            + ", ".join(unknown),
            hint="known fields: " + ", ".join(defs),
        )
    values: dict[str, str] = {}
    for name, spec in defs.items():
        value = str(fields.get(name, "") or "").strip()
        if len(value) > spec.max_chars:
            raise InputError(
                f"field {name!r} is {len(value)} characters; at most {spec.max_chars}",
                hint="shorten it",
            )
        values[name] = value or spec.default
        if spec.type == "colour" and values[name]:
            try:
                values[name] = parse_color(values[name])
            except ValueError as error:
                raise InputError(
                    f"field {name!r}: {error}", hint="use #rrggbb, #rgb or a name such as blue"
                ) from error
    missing = [f.name for f in template.fields if f.required and not values[f.name]]
    if missing:
        raise InputError(
            f"template {template.id!r} needs field{'s' if len(missing) > 1 else ''}: "
            + ", ".join(missing),
            hint="give them with --set "
            + " ".join(f"{name}=…" for name in missing)
            + " (see `videostudio templates`)",
        )
    return values


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with every ``{slot}`` replaced by its value (slots were checked on load)."""
    return text.format_map(values) if text else ""


def _clean_spaces(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text).strip()


def _common(template: Template, values: dict[str, str], default_title: str) -> dict[str, Any]:
    theme: dict[str, Any] = template.theme.model_dump() if template.theme is not None else {}
    if values["accent_color"]:
        try:
            theme["accent_color"] = parse_color(values["accent_color"])
        except ValueError as error:
            raise InputError(str(error), hint="use #rrggbb or a colour name") from error
    data: dict[str, Any] = {
        "title": values["title"] or _clean_spaces(default_title) or template.name,
        "description": template.description,
        "format": values["format"] or template.format.value,
        "fps": template.fps,
        "transition_s": template.transition_s,
        "theme": Theme(**theme).model_dump(),
    }
    voice = values["voice"] or template.voice
    if voice:
        data["voice"] = voice
    return data


def product_image_field(template: Template) -> str | None:
    """The field whose image an ad shows as its product: the first field of type ``image``,
    else one named ``image_path``; ``None`` when there is none."""
    for field in template.fields:
        if field.type == "image":
            return field.name
    return "image_path" if any(f.name == "image_path" for f in template.fields) else None


# -- rules -------------------------------------------------------------------------------


def _ad_data(template: AdTemplate, values: dict[str, str]) -> dict[str, Any]:
    image_field = product_image_field(template)
    image = values.get(image_field, "") if image_field else ""
    if image:
        load_product_image(image)  # validates now: InputError before any work
        image = str(Path(image).expanduser().resolve())
    scenes = []
    for i, beat in enumerate(template.scenes):
        scenes.append(
            {
                "scene_type": "ad",
                "scene_id": f"{template.id}-{i:02d}-{beat.role}",
                "role": beat.role,
                "headline": _clean_spaces(fill(beat.text, values)),
                "body": _clean_spaces(fill(beat.body, values)),
                "narration": _clean_spaces(fill(beat.narration, values)),
                "image_path": image if beat.product and image else None,
                "min_duration_s": beat.duration_s[0],
                "max_duration_s": beat.duration_s[1],
                "text_lead_s": template.pacing.text_lead_s,
            }
        )
    return {**_common(template, values, fill(template.title, values)), "scenes": scenes}


def _persona_data(template: PersonaTemplate, values: dict[str, str]) -> dict[str, Any]:
    intro, outro = template.intro, template.outro
    scenes: list[dict[str, Any]] = [
        {
            "scene_type": "title",
            "scene_id": f"{template.id}-intro",
            "title": fill(intro.title, values),
            "subtitle": fill(intro.subtitle, values),
            "narration": fill(intro.narration, values) or None,
        },
        {
            "scene_type": "clip",
            "scene_id": f"{template.id}-clip",
            "prompt": template.prompt,
            "cache_key": template.cache_key,
            "template_id": template.id,
            "headline": fill(template.headline, values),
            "body": fill(template.body, values),
            "narration": fill(template.narration, values),
            "infographic": template.infographic.model_dump(mode="json"),
            "clip_seconds": template.clip_seconds,
            "min_duration_s": template.duration_s,
        },
        {
            "scene_type": "outro",
            "scene_id": f"{template.id}-outro",
            "main_text": fill(outro.main_text, values),
            "sub_text": fill(outro.sub_text, values),
            "narration": fill(outro.narration, values) or None,
        },
    ]
    return {**_common(template, values, fill(intro.title, values)), "scenes": scenes}


def _fill_tree(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, list):
        items = [_fill_tree(item, values) for item in value]
        return [item for item in items if item != ""]  # optional list entries
    if isinstance(value, dict):
        return {key: _fill_tree(item, values) for key, item in value.items()}
    return value


def _tutorial_data(template: TutorialTemplate, values: dict[str, str]) -> dict[str, Any]:
    scenes = []
    for i, scene in enumerate(template.scenes):
        filled = _fill_tree(scene, values)
        filled.setdefault("scene_id", f"{template.id}-{i:02d}-{scene.get('scene_type', '')}")
        if filled.get("narration") == "":
            filled["narration"] = None
        scenes.append(filled)
    return {**_common(template, values, fill(template.title, values)), "scenes": scenes}


def rule_data(template: Template, values: dict[str, str]) -> dict[str, Any]:
    """The spec of ``template`` as a plain dict, slots filled by the rules."""
    if isinstance(template, AdTemplate):
        return _ad_data(template, values)
    if isinstance(template, PersonaTemplate):
        return _persona_data(template, values)
    return _tutorial_data(template, values)


# -- LLM -----------------------------------------------------------------------------------

TextPath = tuple[int, str]
"""``(scene index, attribute)`` of a text the LLM may rewrite."""


def llm_paths(template: Template, data: dict[str, Any]) -> list[TextPath]:
    """The texts an LLM may rewrite: on-screen lines and narration, never structure or code."""
    attrs: dict[str, tuple[str, ...]] = {
        "ad": ("headline", "body", "narration"),
        "title": ("title", "subtitle", "narration"),
        "clip": ("headline", "body", "narration"),
        "outro": ("main_text", "sub_text", "narration"),
    }
    paths: list[TextPath] = []
    for i, scene in enumerate(data["scenes"]):
        names: tuple[str, ...] = ("narration",)
        if not isinstance(template, TutorialTemplate):
            names = attrs.get(scene["scene_type"], ("narration",))
        paths += [(i, name) for name in names if scene.get(name)]
    return paths


def _slot_name(path: TextPath) -> str:
    return f"scene_{path[0]}_{path[1]}"


def _limit(template: Template, attr: str) -> int:
    if isinstance(template, AdTemplate) and attr == "narration":
        return _AD_NARRATION_CHARS
    return LLM_LIMITS.get(attr, 600)


def slot_model(template: Template, paths: list[TextPath], name: str) -> type[BaseModel]:
    """A pydantic model with one bounded string field per text path (extra fields refused)."""
    definitions: dict[str, Any] = {
        _slot_name(path): (
            Annotated[
                str,
                StringConstraints(
                    strip_whitespace=True, min_length=1, max_length=_limit(template, path[1])
                ),
            ],
            ...,
        )
        for path in paths
    }
    return create_model(name, __config__=ConfigDict(extra="forbid"), **definitions)


def _system(template: Template) -> str:
    tone = getattr(template, "tone", "") or "clear and friendly"
    extra = ""
    if isinstance(template, AdTemplate):
        extra = (
            f" Target emotion: {template.target_emotion}. Hook format: {template.hook_format}."
            " Each beat lasts 2-3 seconds: narration of at most six words, on-screen text of at"
            " most six words. Never invent prices, ratings, statistics or claims not given."
        )
    return (
        f"You write the words of a '{template.name}' video. Tone: {tone}.{extra}"
        " Rewrite each JSON field of the draft in better words, keeping its meaning, its"
        " facts and its language. Fill every field; add none."
    )


def llm_fill(
    template: Template,
    data: dict[str, Any],
    values: dict[str, str],
    generator: StructuredGenerator,
) -> dict[str, Any] | None:
    """``data`` with its texts rewritten by ``generator``; ``None`` on any fallback error."""
    paths = llm_paths(template, data)
    if not paths:
        return None
    schema = slot_model(template, paths, f"{_model_name(template)}Slots")
    draft = {_slot_name(p): data["scenes"][p[0]][p[1]] for p in paths}
    facts = {k: v for k, v in values.items() if v and k not in COMMON_FIELD_NAMES}
    prompt = json.dumps({"inputs": facts, "draft": draft}, ensure_ascii=False, indent=1)
    try:
        answer = generator.generate(
            system=_system(template), prompt=prompt, schema=schema, template_id=template.id
        )
        if not isinstance(answer, schema):
            answer = schema.model_validate(answer)
    except FALLBACK_ERRORS:
        return None
    new = json.loads(json.dumps(data))
    for path in paths:
        new["scenes"][path[0]][path[1]] = getattr(answer, _slot_name(path))
    return new


def _model_name(template: Template) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^a-z0-9]+", template.id))


def to_spec(data: dict[str, Any], template: Template) -> VideoSpec:
    """Validate ``data`` into a :class:`VideoSpec`; :class:`InputError` names the field."""
    return build_spec(data, source=f"template {template.id}")
