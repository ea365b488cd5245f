"""The rules a template must follow — the one place they live.

The loader (:func:`pipeline.templates.library.check_template`, used for the bundled files, the
user's files and ``videostudio templates validate``) and the template editor (live, at every
edit) all call :func:`rule_problems` through :func:`~pipeline.templates.library.check_template`;
the models' own validators call it too, so a template built in code obeys the same rules.

Each broken rule is a :class:`Problem` with the **path** of the value at fault in the
template's data, as in its YAML file — ``("scenes", 0, "duration_s")`` is the hook's duration
range — so the editor shows the message beside that field, and the loader names it
(``scenes[0].duration_s``). Every message says what is wrong and its hint what to change.

Rules (besides the types and limits the pydantic models declare):

* every ``{slot}`` names a declared field (or a common one: title, format, voice,
  accent_color) and is a plain ``{name}``; field names do not repeat or shadow a common one;
  a field's default fits its ``max_chars`` and a colour field's default is a colour;
* ads: the first beat is the hook and shows the product; the hook lasts at most
  ``pacing.hook_max_s`` (1.8 s); every other beat lies within ``pacing.scene_min_s`` –
  ``pacing.scene_max_s`` (2–3 s); the shortest and the longest realisation of all the beats'
  ranges stay within ``pacing.total_target_s ± pacing.total_tolerance_s`` (30 ± 3 s) — the
  pacing of the ad-generator seed;
* persona clips: the id is ``persona.topic`` (the clip's shared cache key comes from it) and
  the AI prompt has no slots (one clip serves every user of a persona × topic);
* tutorials: every scene names a known scene type and, with sample values in its slots, is a
  valid scene of that type (the limits of :mod:`pipeline.models`: 200 characters for short
  fields, 12 list items, …).

Everything here is plain Python on plain data (dicts and lists as read from YAML): no Qt, and
no assumption that the data already has the right types (a value of the wrong type is left
to the models' validation, which reports it at its own path).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from pipeline.models import SCENE_TYPES, Scene, parse_color

Path = tuple[str | int, ...]
"""Where a value sits in a template's data: keys and list indexes, e.g. ``("scenes", 3, "text")``."""

COMMON_FIELD_NAMES: tuple[str, ...] = ("title", "format", "voice", "accent_color")
"""Fields every template takes without declaring them (they set the video's options)."""

FIELD_TYPES: tuple[str, ...] = ("text", "long_text", "image", "colour")
"""The kinds of value a field holds: one line, several lines, an image file, a colour."""

_FORMATTER = string.Formatter()
_SCENE = TypeAdapter(Scene)


@dataclass(frozen=True)
class Problem:
    """One broken rule.

    Attributes:
        path: where the value at fault sits in the template's data (``()`` = the whole
            template).
        message: what is wrong, in the user's terms.
        hint: what to change.
    """

    path: Path
    message: str
    hint: str = ""

    @property
    def location(self) -> str:
        """The path written as ``scenes[3].duration_s`` (``""`` for the whole template)."""
        return format_path(self.path)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.message}" + (f" → {self.hint}" if self.hint else "")


def format_path(path: Sequence[str | int]) -> str:
    """``("scenes", 3, "text")`` → ``"scenes[3].text"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def slots_in(text: str) -> list[str]:
    """The ``{slot}`` names used in ``text``, in order (``{{`` and ``}}`` are literal braces).

    Raises:
        ValueError: for a slot with a conversion, a format spec, attribute or index access,
            or an unbalanced brace.
    """
    names = []
    for _, name, spec, conversion in _FORMATTER.parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"slot {{{name}}} in {text!r} must be a plain {{field_name}}")
        names.append(name)
    return names


# -- where the texts are -------------------------------------------------------------------


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _get(data: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(key, int):
            if not isinstance(data, list) or not -len(data) <= key < len(data):
                return None
            data = data[key]
        else:
            if not isinstance(data, Mapping):
                return None
            data = data.get(key)
    return data


def _walk_strings(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_strings(item, (*path, i))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk_strings(item, (*path, str(key)))


def slot_texts(data: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """Every text of the template that may hold ``{slots}``, with its path.

    The AI prompt of a persona clip is not among them (it may hold no slots at all; see
    :func:`rule_problems`).
    """
    kind = data.get("kind")
    out: list[tuple[Path, str]] = []

    def add(*path: str | int) -> None:
        value = _get(data, *path)
        if isinstance(value, str):
            out.append((path, value))

    if kind == "ad":
        add("title")
        for i, _ in enumerate(_items(data.get("scenes"))):
            for key in ("text", "body", "narration"):
                add("scenes", i, key)
        for i, _ in enumerate(_items(data.get("hooks"))):
            for key in ("text", "narration"):
                add("hooks", i, key)
    elif kind == "persona":
        for key in ("headline", "body", "narration"):
            add(key)
        for key in ("title", "subtitle", "narration"):
            add("intro", key)
        for key in ("main_text", "sub_text", "narration"):
            add("outro", key)
    elif kind == "tutorial":
        add("title")
        for i, scene in enumerate(_items(data.get("scenes"))):
            out += list(_walk_strings(scene, ("scenes", i)))
    return out


# -- the rules -----------------------------------------------------------------------------


def _field_names(data: Mapping[str, Any]) -> list[str]:
    return [str(_get(f, "name")) for f in _items(data.get("fields")) if _get(f, "name")]


def _fields_rules(data: Mapping[str, Any]) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, field in enumerate(_items(data.get("fields"))):
        name = _get(field, "name")
        if not isinstance(name, str) or not name:
            continue
        if name in COMMON_FIELD_NAMES:
            yield Problem(
                ("fields", i, "name"),
                f"{name!r} is a common field every template already takes",
                "rename this field (the common ones are " + ", ".join(COMMON_FIELD_NAMES) + ")",
            )
        elif name in seen:
            yield Problem(
                ("fields", i, "name"),
                f"there are two fields named {name!r}",
                "give each field its own name",
            )
        seen.add(name)
        default = _get(field, "default")
        max_chars = _get(field, "max_chars")
        if isinstance(default, str) and isinstance(max_chars, int) and len(default) > max_chars:
            yield Problem(
                ("fields", i, "default"),
                f"the default is {len(default)} characters, longer than the field's "
                f"maximum of {max_chars}",
                "shorten the default or raise the maximum length",
            )
        if _get(field, "type") == "colour" and isinstance(default, str) and default.strip():
            try:
                parse_color(default)
            except ValueError:
                yield Problem(
                    ("fields", i, "default"),
                    f"the default {default!r} of a colour field is not a colour",
                    "use #rrggbb, #rgb or a name such as blue",
                )


def _slot_rules(data: Mapping[str, Any]) -> Iterator[Problem]:
    declared = set(_field_names(data)) | set(COMMON_FIELD_NAMES)
    known = ", ".join([*_field_names(data), *COMMON_FIELD_NAMES])
    for path, text in slot_texts(data):
        try:
            names = slots_in(text)
        except ValueError:
            yield Problem(
                path,
                f"{text!r} has a brace that is not a plain {{field_name}} slot",
                "write slots as {field_name}; write a literal brace as {{ or }}",
            )
            continue
        for name in dict.fromkeys(names):
            if name not in declared:
                yield Problem(
                    path,
                    f"the slot {{{name}}} names no field",
                    f"declare a field named {name!r}, or use one of: {known}",
                )


def _range(value: Any) -> tuple[float, float] | None:
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return float(value[0]), float(value[1])
    return None


def _number(value: Any, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return default


def _ad_rules(data: Mapping[str, Any]) -> Iterator[Problem]:
    pacing = data.get("pacing") if isinstance(data.get("pacing"), Mapping) else {}
    assert isinstance(pacing, Mapping)
    scene_min = _number(pacing.get("scene_min_s"), 2.0)
    scene_max = _number(pacing.get("scene_max_s"), 3.0)
    hook_max = _number(pacing.get("hook_max_s"), 1.8)
    target = _number(pacing.get("total_target_s"), 30.0)
    tolerance = _number(pacing.get("total_tolerance_s"), 3.0)
    beats = _items(data.get("scenes"))
    if beats and isinstance(beats[0], Mapping):
        if beats[0].get("role") != "hook":
            yield Problem(
                ("scenes", 0, "role"),
                "an ad starts with its hook",
                "make the first beat's role 'hook' (or move the hook beat to the top)",
            )
        if beats[0].get("product") is False:
            yield Problem(
                ("scenes", 0, "product"),
                "the hook must show the product (it is on screen within the first second)",
                "turn the product image on for the hook",
            )
    ranges: list[tuple[float, float]] = []
    for i, beat in enumerate(beats):
        span = _range(_get(beat, "duration_s"))
        if span is None:
            continue  # the model reports the type
        low, high = span
        ranges.append(span)
        path: Path = ("scenes", i, "duration_s")
        role = _get(beat, "role") or "beat"
        if not 0.5 <= low <= high:
            yield Problem(
                path,
                f"the duration range {low:g}–{high:g} s is not [shortest, longest] with a "
                "shortest of at least 0.5 s",
                "make the first number the shortest length and the second the longest",
            )
        elif i == 0 and high > hook_max:
            yield Problem(
                path,
                f"the hook may last at most {hook_max:g} s; this one lasts up to {high:g} s",
                f"lower its longest length to {hook_max:g} s or less",
            )
        elif i > 0 and (low < scene_min or high > scene_max):
            yield Problem(
                path,
                f"beat {i + 1} ({role}) lasts {low:g}–{high:g} s, outside the "
                f"{scene_min:g}–{scene_max:g} s of an ad beat",
                f"keep both lengths between {scene_min:g} and {scene_max:g} s",
            )
    if ranges and len(ranges) == len(beats):
        shortest = sum(low for low, _ in ranges)
        longest = sum(high for _, high in ranges)
        low_limit, high_limit = target - tolerance, target + tolerance
        if shortest < low_limit or longest > high_limit:
            if shortest < low_limit:
                change = (
                    f"add a beat or lengthen beats by {low_limit - shortest:.1f} s "
                    f"(the shortest total must reach {low_limit:g} s)"
                )
            else:
                change = (
                    f"remove a beat or shorten beats by {longest - high_limit:.1f} s "
                    f"(the longest total must stay under {high_limit:g} s)"
                )
            yield Problem(
                ("scenes",),
                f"the beats add up to {shortest:.1f}–{longest:.1f} s; an ad lasts "
                f"{target:g} ± {tolerance:g} s",
                change,
            )


def _persona_rules(data: Mapping[str, Any]) -> Iterator[Problem]:
    persona, topic, template_id = data.get("persona"), data.get("topic"), data.get("id")
    if isinstance(persona, str) and isinstance(topic, str) and persona and topic:
        expected = f"{persona}.{topic}"
        if template_id != expected:
            yield Problem(
                ("id",),
                f"a persona clip's id is 'persona.topic' ({expected!r}), not {template_id!r}",
                f"set the id to {expected!r}, or change the persona or topic",
            )
    prompt = data.get("prompt")
    if isinstance(prompt, str):
        try:
            has_slots = bool(slots_in(prompt))
        except ValueError:
            has_slots = True
        if has_slots:
            yield Problem(
                ("prompt",),
                "the AI prompt has a {slot}: its clip is shared by every user of this "
                "persona × topic, so it cannot depend on their fields",
                "write the prompt without braces",
            )


def sample_fill(value: Any, values: Mapping[str, str]) -> Any:
    """``value`` (a scene's data) with every slot replaced by ``values`` (missing: ``"x"``);
    list entries that end up empty are dropped, as when a template is filled."""
    if isinstance(value, str):
        try:
            return string.Formatter().vformat(value, (), _Default(values))
        except (ValueError, IndexError, KeyError, AttributeError):
            return value
    if isinstance(value, list):
        items = [sample_fill(item, values) for item in value]
        return [item for item in items if item != ""]
    if isinstance(value, Mapping):
        return {key: sample_fill(item, values) for key, item in value.items()}
    return value


class _Default(dict[str, str]):
    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)

    def __missing__(self, key: str) -> str:
        return "x"


def _tutorial_rules(data: Mapping[str, Any], samples: Mapping[str, str]) -> Iterator[Problem]:
    for i, scene in enumerate(_items(data.get("scenes"))):
        if not isinstance(scene, Mapping):
            yield Problem(("scenes", i), "a scene is a mapping of its fields", "")
            continue
        scene_type = scene.get("scene_type")
        if scene_type not in SCENE_TYPES:
            yield Problem(
                ("scenes", i, "scene_type"),
                f"there is no scene type {scene_type!r}",
                "pick one of: " + ", ".join(SCENE_TYPES),
            )
            continue
        filled = dict(sample_fill(scene, samples))
        if filled.get("narration") == "":
            filled["narration"] = None
        try:
            _SCENE.validate_python(filled)
        except PydanticValidationError as error:
            for item in error.errors():
                loc = tuple(item.get("loc", ()))
                if loc and loc[0] == scene_type:  # the discriminator's tag
                    loc = loc[1:]
                yield Problem(
                    ("scenes", i, *loc),
                    f"{item.get('msg', 'invalid value')} (with sample values in its slots)",
                    _hint_for(item),
                )


def _hint_for(item: Mapping[str, Any]) -> str:
    kind = item.get("type", "")
    ctx = item.get("ctx") or {}
    if kind == "string_too_long":
        return f"shorten it to at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return "fill it in"
    if kind == "too_long":
        return f"keep at most {ctx.get('max_length')} entries"
    if kind == "too_short":
        return f"give at least {ctx.get('min_length')} entries"
    if kind == "missing":
        return "fill it in"
    if kind == "extra_forbidden":
        return "remove this field; it is not part of this kind of scene or template"
    if kind in ("literal_error", "enum"):
        return f"use one of: {ctx.get('expected', '')}".rstrip(": ")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "use a value within the limits"
    return "correct this value"


def pydantic_problems(error: PydanticValidationError) -> list[Problem]:
    """Each error of a model validation as a :class:`Problem` at its path, with a hint."""
    problems = []
    for item in error.errors():
        loc = tuple(part for part in item.get("loc", ()) if isinstance(part, str | int))
        message = str(item.get("msg", "invalid value"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        problems.append(Problem(loc, message, _hint_for(item)))
    return problems


RuleSet = Callable[[Mapping[str, Any]], Iterator[Problem]]


def rule_problems(
    data: Mapping[str, Any], samples: Mapping[str, str] | None = None
) -> list[Problem]:
    """Every broken rule of the template ``data`` (as in its YAML file), in path order.

    Args:
        data: the template's data.
        samples: values for the slots when tutorial scenes are checked as real scenes
            (default: each field's default, else ``"x"``).

    A rule that cannot read its values (wrong types) reports nothing: the models' validation
    reports those.
    """
    if samples is None:
        samples = {}
        for field in _items(data.get("fields")):
            name = _get(field, "name")
            if isinstance(name, str):
                default = _get(field, "default")
                samples[name] = default if isinstance(default, str) and default else "x"
    problems = list(_fields_rules(data)) + list(_slot_rules(data))
    kind = data.get("kind")
    if kind == "ad":
        problems += list(_ad_rules(data))
    elif kind == "persona":
        problems += list(_persona_rules(data))
    elif kind == "tutorial":
        problems += list(_tutorial_rules(data, samples))
    return problems


def problems_at(problems: Sequence[Problem], path: Sequence[str | int]) -> list[Problem]:
    """The problems at ``path`` or inside it (``("scenes", 2)`` includes
    ``("scenes", 2, "text")``)."""
    prefix = tuple(path)
    return [p for p in problems if p.path[: len(prefix)] == prefix]
