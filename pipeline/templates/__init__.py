"""Video templates: ad archetypes, persona × topic clips and tutorials, as data files.

```python
from pipeline.templates import list_templates, instantiate, ad_variants

for info in list_templates():
    print(info.id, info.kind, [f.name for f in info.fields if f.required])
spec = instantiate("problem_solution", {"product": "GlowBrush", "problem": "greasy pans",
                                        "benefit_1": "Cleans in 30 seconds",
                                        "benefit_2": "No harsh chemicals"})
variants = ad_variants("problem_solution", fields)  # 5 specs, only scene 0 differs
```

The structure of every video comes from its template file (``resources/templates/``, or the
user's own templates, which the studio keeps in its data folder: ``studio.templates``); the
user's fields fill the ``{slots}``; the rules every template obeys live in
:mod:`pipeline.templates.rules` (checked by :func:`check_template`); an optional LLM (a
:class:`~pipeline.ai.base.StructuredGenerator`) may only rewrite the slots' text. See
docs/templates.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from pipeline.ai.base import StructuredGenerator
from pipeline.errors import InputError
from pipeline.models import VideoSpec
from pipeline.templates.fill import (
    FALLBACK_ERRORS,
    field_defs,
    fill,
    llm_fill,
    resolve_fields,
    rule_data,
    slot_model,
    to_spec,
)
from pipeline.templates.library import (
    KIND_NAMES,
    TEMPLATES_DIR,
    AdTemplate,
    FieldDef,
    PersonaTemplate,
    Template,
    TemplateCheck,
    TutorialTemplate,
    check_template,
    load_library,
    parse_template,
    persona_cache_key,
    read_template_file,
    template_data,
    template_to_yaml,
)
from pipeline.templates.rules import Problem, format_path, problems_at

MAX_HOOKS = 5


@dataclass(frozen=True)
class FieldInfo:
    """A field a template takes: ``name``, whether it is ``required``, its ``default``, help,
    its on-screen ``label``, its ``type`` (text, long_text, image, colour) and ``max_chars``."""

    name: str
    required: bool
    default: str
    help: str
    label: str = ""
    type: str = "text"
    max_chars: int = 200


def field_infos(template: Template) -> tuple[FieldInfo, ...]:
    """The fields ``template`` takes (its own, then the common ones) as :class:`FieldInfo`."""
    return tuple(
        FieldInfo(f.name, f.required, f.default, f.help, f.display_label, f.type, f.max_chars)
        for f in field_defs(template)
    )


@dataclass(frozen=True)
class TemplateInfo:
    """What the template list shows.

    Attributes:
        id: the template id (``problem_solution``, ``savings_builder.goal_setting``, …).
        name: display name.
        kind: ``"ad"``, ``"persona"`` or ``"tutorial"``.
        description: one or two sentences.
        fields: the fields it takes (required ones first as declared, then the common
            optional ones: title, format, voice, accent_color).
    """

    id: str
    name: str
    kind: Literal["ad", "persona", "tutorial"]
    description: str
    fields: tuple[FieldInfo, ...]

    @property
    def required_fields(self) -> tuple[str, ...]:
        """Names of the fields that must be given."""
        return tuple(f.name for f in self.fields if f.required)


def list_templates() -> list[TemplateInfo]:
    """All bundled templates: ads, then personas, then tutorials, each sorted by id.

    Raises:
        InputError: when a bundled template file is broken (a packaging bug).
    """
    return [template_info(template) for template in load_library().values()]


def template_info(template: Template) -> TemplateInfo:
    """What the template list shows of ``template``."""
    return TemplateInfo(
        template.id, template.name, template.kind, template.description, field_infos(template)
    )


def load_template(template_id: str) -> Template:
    """The parsed template ``template_id`` (an :class:`AdTemplate`, :class:`PersonaTemplate`
    or :class:`TutorialTemplate`).

    Raises:
        InputError: for an unknown id (the hint lists close matches and how to list all).
    """
    library = load_library()
    template = library.get(template_id)
    if template is None:
        close = [tid for tid in library if template_id.lower() in tid or tid in template_id]
        hint = f"did you mean {', '.join(close[:5])}? " if close else ""
        raise InputError(
            f"no template {template_id!r}", hint=hint + "run `videostudio templates` to list them"
        )
    return template


def instantiate(
    template_id: str,
    fields: dict[str, str],
    *,
    generator: StructuredGenerator | None = None,
) -> VideoSpec:
    """A :class:`VideoSpec` from template ``template_id`` and the user's ``fields``.

    Rules fill the slots; with ``generator`` an LLM rewrites the slots' text (never the
    structure), falling back to the rules on ``PaidWorkBlocked``, ``ProviderError``,
    ``QuotaExhausted`` or an answer that does not validate.

    Raises:
        InputError: for an unknown template, missing required fields (all named), unknown
            fields, an invalid product image, or values that make an invalid spec.
    """
    return instantiate_template(load_template(template_id), fields, generator=generator)


def instantiate_template(
    template: Template,
    fields: dict[str, str],
    *,
    generator: StructuredGenerator | None = None,
) -> VideoSpec:
    """:func:`instantiate` for a template object (a bundled one, or the user's own).

    Raises:
        InputError: as :func:`instantiate`.
    """
    values = resolve_fields(template, fields)
    data = rule_data(template, values)
    spec = to_spec(data, template)
    if generator is not None:
        better = llm_fill(template, data, values, generator)
        if better is not None:
            try:
                return to_spec(better, template)
            except InputError:
                return spec
    return spec


def ad_variants(
    template_id: str,
    fields: dict[str, str],
    *,
    n_hooks: int = MAX_HOOKS,
    generator: StructuredGenerator | None = None,
) -> list[VideoSpec]:
    """``n_hooks`` specs of an ad that differ only in scene 0, the hook (A/B testing).

    Each uses one of the template's alternate hook lines for the hook's on-screen text and
    narration; every other scene, the title and all options are identical. Ads cut hard
    (``transition_s == 0``), so only the hook's segment differs between the variants.

    Raises:
        InputError: as :func:`instantiate`, for a template that is not an ad, or for
            ``n_hooks`` outside 1–5.
    """
    return template_variants(
        load_template(template_id), fields, n_hooks=n_hooks, generator=generator
    )


def template_variants(
    template: Template,
    fields: dict[str, str],
    *,
    n_hooks: int = MAX_HOOKS,
    generator: StructuredGenerator | None = None,
) -> list[VideoSpec]:
    """:func:`ad_variants` for a template object (a bundled ad, or the user's own).

    Raises:
        InputError: as :func:`ad_variants`.
    """
    if not isinstance(template, AdTemplate):
        raise InputError(
            f"template {template.id!r} is a {template.kind} template; hooks are for ads",
            hint="pick an ad template (see `videostudio templates`)",
        )
    if not 1 <= n_hooks <= len(template.hooks):
        raise InputError(f"n_hooks must be 1–{len(template.hooks)}, got {n_hooks}")
    base = instantiate_template(template, fields, generator=generator)
    values = resolve_fields(template, fields)
    hooks = [
        (fill(h.text, values).strip(), fill(h.narration, values).strip())
        for h in template.hooks[:n_hooks]
    ]
    if generator is not None:
        hooks = _llm_hooks(template, hooks, values, generator) or hooks
    data = base.model_dump(mode="json")
    variants = []
    for k, (text, narration) in enumerate(hooks):
        variant = json.loads(json.dumps(data))
        hook = variant["scenes"][0]
        hook.update(headline=text, narration=narration, scene_id=f"{template.id}-00-hook-{k + 1}")
        variants.append(to_spec(variant, template))
    return variants


def _llm_hooks(
    template: AdTemplate,
    hooks: list[tuple[str, str]],
    values: dict[str, str],
    generator: StructuredGenerator,
) -> list[tuple[str, str]] | None:
    paths = [(k, attr) for k in range(len(hooks)) for attr in ("headline", "narration")]
    schema = slot_model(template, paths, "HookSlots")
    draft = {f"scene_{k}_{attr}": hooks[k][attr == "narration"] for k, attr in paths}
    facts = {k: v for k, v in values.items() if v}
    try:
        answer = generator.generate(
            system=(
                f"You write scroll-stopping hooks for a '{template.name}' ad "
                f"({template.hook_format}). Each draft field is one alternate hook line "
                "(headline: on-screen, at most six words; narration: at most five spoken "
                "words). Keep each hook's angle, make them distinct, invent no claims."
            ),
            prompt=json.dumps({"inputs": facts, "draft": draft}, ensure_ascii=False, indent=1),
            schema=schema,
            template_id=template.id,
        )
        if not isinstance(answer, schema):
            answer = schema.model_validate(answer)
    except FALLBACK_ERRORS:
        return None
    return [
        (getattr(answer, f"scene_{k}_headline"), getattr(answer, f"scene_{k}_narration"))
        for k in range(len(hooks))
    ]


__all__ = [
    "KIND_NAMES",
    "MAX_HOOKS",
    "TEMPLATES_DIR",
    "AdTemplate",
    "FieldDef",
    "FieldInfo",
    "PersonaTemplate",
    "Problem",
    "Template",
    "TemplateCheck",
    "TemplateInfo",
    "TutorialTemplate",
    "ad_variants",
    "check_template",
    "field_infos",
    "format_path",
    "instantiate",
    "instantiate_template",
    "list_templates",
    "load_template",
    "parse_template",
    "persona_cache_key",
    "problems_at",
    "read_template_file",
    "template_data",
    "template_info",
    "template_to_yaml",
    "template_variants",
]
