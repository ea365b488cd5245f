"""Starting points for the user's own templates: blank ones, copies of bundled ones, a change
of kind, new fields, beats and hooks — all as plain template data (the layout of the YAML
file), which the template editor edits and :func:`~pipeline.templates.check_template` checks.

Every function returns a fresh structure (no shared lists), valid under the rules of
:mod:`pipeline.templates.rules` unless its docstring says otherwise.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection
from typing import Any

from pipeline.templates.library import Template, template_data

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_.]*$")
"""What a template id may look like (lower-case letters, digits, ``_`` and ``.``)."""

AD_ROLES: tuple[str, ...] = (
    "hook",
    "problem",
    "agitate",
    "reveal",
    "demo",
    "benefit",
    "proof",
    "offer",
    "cta",
)
"""The roles of an ad beat, in the order an archetype usually uses them."""

HOOK_DURATION_S = (1.5, 1.8)
"""Duration range of a new hook beat (the pacing allows at most 1.8 s)."""
BEAT_DURATION_S = (2.4, 2.8)
"""Duration range of a new beat (the pacing allows 2–3 s)."""

_COMMON_KEYS = (
    "name",
    "description",
    "format",
    "fps",
    "transition_s",
    "theme",
    "voice",
    "music",
    "caption_style",
    "fields",
)


def suggest_id(name: str, taken: Collection[str] = ()) -> str:
    """An id made from ``name`` (``"My Coffee Ad!"`` → ``my_coffee_ad``), unique among
    ``taken`` (``_2``, ``_3``, … appended when needed)."""
    base = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if not base or not base[0].isalpha():
        base = f"template_{base}" if base else "template"
    return unique_id(base[:70], taken)


def unique_id(base: str, taken: Collection[str]) -> str:
    """``base``, or ``base_2``, ``base_3``, … — the first not in ``taken``."""
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def new_field(taken: Collection[str] = ()) -> dict[str, Any]:
    """A new optional text field with a name not in ``taken``."""
    name = unique_id("field", taken)
    return {
        "name": name,
        "label": "",
        "required": False,
        "default": "",
        "help": "",
        "max_chars": 200,
        "type": "text",
    }


def new_beat(role: str = "benefit") -> dict[str, Any]:
    """A new ad beat of ``role`` (a hook gets the hook's duration range)."""
    low, high = HOOK_DURATION_S if role == "hook" else BEAT_DURATION_S
    return {
        "role": role,
        "duration_s": [low, high],
        "text": "New beat",
        "body": "",
        "narration": "New beat.",
        "product": True,
    }


def new_hook() -> dict[str, Any]:
    """A new alternate hook line."""
    return {"text": "A new hook", "narration": "A new hook.", "angle": ""}


def _blank_ad() -> dict[str, Any]:
    beats = [
        ("hook", "Still putting up with {problem}?", "Still putting up with {problem}?"),
        ("problem", "It happens every day", "It happens every day."),
        ("agitate", "You've tried everything", "You've tried everything."),
        ("agitate", "Nothing really works", "Nothing really works."),
        ("reveal", "Meet {product}", "Then I found {product}."),
        ("demo", "Watch this", "Watch this."),
        ("benefit", "{benefit_1}", "{benefit_1}."),
        ("benefit", "{benefit_2}", "{benefit_2}."),
        ("benefit", "Made to last", "And it's made to last."),
        ("proof", "People love it", "People can't stop talking about it."),
        ("offer", "{offer}", "Right now: {offer}."),
        ("cta", "{cta}", "{cta}. Link below."),
    ]
    scenes = []
    for role, text, narration in beats:
        beat = new_beat(role)
        beat.update(text=text, narration=narration)
        scenes.append(beat)
    scenes[-1]["duration_s"] = [2.5, 3.0]
    scenes[-1]["body"] = "{product}"
    return {
        "format": "9:16",
        "transition_s": 0.0,
        "tone": "relatable, then relieved",
        "target_emotion": "relief",
        "hook_format": "call out the viewer's problem in the first line",
        "title": "{product}",
        "pacing": {
            "scene_min_s": 2.0,
            "scene_max_s": 3.0,
            "hook_max_s": 1.8,
            "text_lead_s": 0.3,
            "total_target_s": 30.0,
            "total_tolerance_s": 3.0,
            "product_visible_by_s": 1.0,
        },
        "fields": [
            {"name": "product", "label": "Product", "required": True,
             "help": "product name, e.g. GlowBrush", "type": "text"},
            {"name": "problem", "label": "Problem", "required": True,
             "help": "the pain it solves, e.g. greasy pans", "type": "text"},
            {"name": "benefit_1", "label": "Main benefit", "required": True,
             "help": "e.g. Cleans in 30 seconds", "type": "text"},
            {"name": "benefit_2", "label": "Second benefit", "required": True,
             "help": "e.g. No harsh chemicals", "type": "text"},
            {"name": "offer", "label": "Offer", "default": "20% off your first order",
             "type": "text"},
            {"name": "cta", "label": "Call to action", "default": "Shop now", "type": "text"},
            {"name": "image_path", "label": "Product image", "default": "", "max_chars": 1024,
             "help": "PNG, JPEG or WebP, at most 10 MB", "type": "image"},
        ],
        "scenes": scenes,
        "hooks": [
            {"angle": "pain", "text": "Tired of {problem}?", "narration": "Tired of {problem}?"},
            {"angle": "curiosity", "text": "This fixed {problem}", "narration": "This fixed it."},
            {"angle": "benefit", "text": "{benefit_1}. Really.", "narration": "{benefit_1}."},
            {"angle": "social proof", "text": "Everyone's switching to {product}",
             "narration": "Everyone's switching."},
            {"angle": "challenge", "text": "Bet you still fight {problem}",
             "narration": "Bet you still fight this."},
        ],
    }  # fmt: skip


def _blank_persona() -> dict[str, Any]:
    return {
        "format": "16:9",
        "transition_s": 0.5,
        "persona": "my_persona",
        "persona_name": "My persona",
        "topic": "my_topic",
        "visual_metaphor": "A progress bar filling up",
        "prompt": "A calm animation of a progress bar filling up with coins. Friendly, clear.",
        "duration_s": 15.0,
        "tone": "Friendly, clear",
        "headline": "One idea, shown simply",
        "body": "A sentence that explains the idea.",
        "narration": "Here is the idea in one or two sentences, spoken over the clip.",
        "infographic": {
            "kind": "progress",
            "title": "Progress",
            "values": [0.6],
            "labels": ["60 %"],
            "unit": "%",
        },
        "intro": {"title": "My topic", "subtitle": "For: my persona", "narration": "My topic."},
        "outro": {
            "main_text": "Small steps add up",
            "sub_text": "Try one change this week",
            "narration": "Small steps add up.",
        },
        "fields": [],
    }


def _blank_tutorial() -> dict[str, Any]:
    return {
        "format": "16:9",
        "transition_s": 0.5,
        "title": "{topic}",
        "fields": [
            {"name": "topic", "label": "Topic", "required": True,
             "help": "what the lesson is about, e.g. Python lists", "type": "text"},
            {"name": "point_1", "label": "First point", "required": True, "type": "text"},
            {"name": "point_2", "label": "Second point", "default": "", "type": "text"},
        ],
        "scenes": [
            {"scene_type": "title", "title": "{topic}", "subtitle": "A short lesson",
             "narration": "Let us look at {topic}."},
            {"scene_type": "list", "header": "Key points", "items": ["{point_1}", "{point_2}"],
             "narration": "{point_1}. {point_2}."},
            {"scene_type": "outro", "main_text": "That is {topic}",
             "sub_text": "Try it yourself", "narration": "Now try it yourself."},
        ],
    }  # fmt: skip


_BLANKS = {"ad": _blank_ad, "persona": _blank_persona, "tutorial": _blank_tutorial}


def blank_template_data(
    kind: str, *, template_id: str = "my_template", name: str = "My template"
) -> dict[str, Any]:
    """A new, valid template of ``kind`` (``ad``, ``persona`` or ``tutorial``) to start from:
    an ad of 12 beats and 5 hooks, a persona clip, or a three-scene lesson.

    A persona clip's id is ``persona.topic``, so ``template_id`` is not used for one.

    Raises:
        KeyError: an unknown kind.
    """
    body = _BLANKS[kind]()
    data: dict[str, Any] = {"id": template_id, "kind": kind, "name": name, "description": ""}
    data.update(body)
    if kind == "persona":
        data["id"] = f"{data['persona']}.{data['topic']}"
    return data


def duplicate_data(
    template: Template, *, taken: Collection[str] = (), name: str | None = None
) -> dict[str, Any]:
    """The data of an editable copy of ``template``, under a new id not in ``taken`` and the
    name ``name`` (default: ``"<name> (copy)"``).

    A persona clip's copy gets a new topic (``<topic>_copy``…): its id is ``persona.topic``
    and its AI clip is cached by persona × topic, so the copy never reuses the original's
    clip once its prompt changes.
    """
    data = copy.deepcopy(template_data(template))
    data["name"] = name or f"{template.name} (copy)"[:120]
    if data["kind"] == "persona":
        topic = data["topic"]
        n = 0
        while True:
            candidate = f"{topic}_copy" + (f"_{n}" if n else "")
            if f"{data['persona']}.{candidate}" not in taken:
                break
            n += 1
        data["topic"] = candidate
        data["id"] = f"{data['persona']}.{candidate}"
    else:
        data["id"] = unique_id(f"{template.id}_copy"[:76], taken)
    return data


def convert_kind(data: dict[str, Any], kind: str) -> dict[str, Any]:
    """``data`` turned into a template of ``kind``: name, description, look and sound, and
    fields are kept; the structure (beats, hooks, clip, scenes) comes from a blank template
    of the new kind.

    Raises:
        KeyError: an unknown kind.
    """
    if data.get("kind") == kind:
        return copy.deepcopy(data)
    new = blank_template_data(kind, template_id=str(data.get("id") or "my_template"))
    for key in _COMMON_KEYS:
        if key in data and key != "fields":
            new[key] = copy.deepcopy(data[key])
    fields = copy.deepcopy(data.get("fields") or [])
    names = {f.get("name") for f in fields if isinstance(f, dict)}
    for field in new.get("fields", []):  # the blank's slots, where the user has none of them
        if field["name"] not in names:
            fields.append(field)
    new["fields"] = fields
    if kind == "persona":
        new["id"] = f"{new['persona']}.{new['topic']}"
    return new


def is_valid_id(text: str) -> bool:
    """True for an id of the right shape (see :data:`ID_PATTERN`, at most 80 characters)."""
    return bool(ID_PATTERN.match(text)) and len(text) <= 80
