"""Languages and voice names, shared by every speech provider.

A :class:`~pipeline.speech.base.VoiceRef` is a language code and a voice name. How it resolves
(the rule the CLI documents):

1. ``name`` is a *named voice* (:data:`NAMED_VOICES`: ``male``, ``male_warm``, ``female``,
   ``female_friendly``, any case; the four voices of video_gen's YAML format). Each provider
   maps it, per language, to a voice of its own (its module holds that table), or says it has
   none (then the next provider of the chain speaks it). ``language`` is a code such as
   ``"en"``, ``"pt-BR"``, ``"zh_CN"`` or ``"no"``: it is lower-cased, ``_`` becomes ``-``,
   aliases apply (``no`` → ``nb``, ``iw`` → ``he``, ``in`` → ``id``) and a region is dropped if
   the full code is not in :data:`LANGUAGES`. A language that is not in the table still works
   with eSpeak NG when eSpeak knows it (``"af"``, ``"sw"``, …).
2. Any other ``name`` is one provider's own voice id (``"en-GB-SoniaNeural"`` for Edge TTS,
   ``"en_US-joe-medium"`` for Piper, ``"en-gb-x-rp+f2"`` for eSpeak NG). That provider uses it
   verbatim; the others speak the language's ``male`` voice instead (the language is taken
   from ``VoiceRef.language``, or from the id's prefix when that is empty). Which provider owns
   an id is decided by the providers themselves (``owns_voice_id``), in registry order.

Nothing here knows a provider by name: the providers and their order are in
:mod:`pipeline.speech.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pipeline.speech.base import VoiceRef

if TYPE_CHECKING:
    from pipeline.models import VideoSpec

NamedVoice = Literal["male", "male_warm", "female", "female_friendly"]
"""The voice names every language has (video_gen's four voices)."""

NAMED_VOICES: tuple[NamedVoice, ...] = ("male", "male_warm", "female", "female_friendly")

VOICE_STYLES: dict[str, str] = {
    "male": "male, clear and confident",
    "male_warm": "male, warm and engaging",
    "female": "female, clear and crisp",
    "female_friendly": "female, friendly and pleasant",
}
"""What each named voice is meant to sound like (video_gen's descriptions), for listings."""


@dataclass(frozen=True)
class Language:
    """One language of the table.

    Attributes:
        label: the language's English name, for listings.
        split_words: True for scripts written without spaces (ja, zh, th): word events are
            used to split the text into words instead of whitespace.
    """

    label: str
    split_words: bool = False


LANGUAGES: dict[str, Language] = {
    "en": Language("English"),
    "es": Language("Spanish"),
    "fr": Language("French"),
    "de": Language("German"),
    "it": Language("Italian"),
    "pt": Language("Portuguese"),
    "nl": Language("Dutch"),
    "ru": Language("Russian"),
    "ja": Language("Japanese", True),
    "zh": Language("Chinese", True),
    "ko": Language("Korean"),
    "ar": Language("Arabic"),
    "hi": Language("Hindi"),
    "pl": Language("Polish"),
    "tr": Language("Turkish"),
    "sv": Language("Swedish"),
    "da": Language("Danish"),
    "nb": Language("Norwegian"),
    "fi": Language("Finnish"),
    "el": Language("Greek"),
    "he": Language("Hebrew"),
    "cs": Language("Czech"),
    "hu": Language("Hungarian"),
    "ro": Language("Romanian"),
    "th": Language("Thai", True),
    "vi": Language("Vietnamese"),
    "id": Language("Indonesian"),
    "uk": Language("Ukrainian"),
    "bn": Language("Bengali"),
}
"""Language code → language: the 29 languages of video_gen, each with voices."""

VOICE_TABLE = LANGUAGES
"""Former name of :data:`LANGUAGES` (rows have ``.label``)."""

LANGUAGE_ALIASES: dict[str, str] = {
    "no": "nb",
    "nn": "nb",
    "iw": "he",
    "in": "id",
    "cmn": "zh",
    "zh-cn": "zh",
    "zh-hans": "zh",
    "pt-br": "pt",
    "en-us": "en",
}
"""Other spellings of table languages."""


def is_named_voice(name: str) -> bool:
    """True for the table's voice names (:data:`NAMED_VOICES`, any case)."""
    return name.strip().lower() in NAMED_VOICES


def voice_gender(name: str) -> Literal["male", "female"]:
    """``"female"`` for ``female`` and ``female_friendly``, else ``"male"``."""
    return "female" if name.strip().lower().startswith("female") else "male"


def normalize_language(code: str) -> str:
    """Return the table key for a language code, or the cleaned code if it is not in the table.

    ``"pt_BR"`` → ``"pt"``, ``"no"`` → ``"nb"``, ``"EN-gb"`` → ``"en"``, ``"af"`` → ``"af"``.
    An empty code means English.
    """
    clean = code.strip().lower().replace("_", "-") or "en"
    clean = LANGUAGE_ALIASES.get(clean, clean)
    if clean in LANGUAGES:
        return clean
    primary = clean.split("-", 1)[0]
    primary = LANGUAGE_ALIASES.get(primary, primary)
    return primary if primary in LANGUAGES else clean


def language_info(code: str) -> Language | None:
    """The table row for a language code (after :func:`normalize_language`), or ``None``."""
    return LANGUAGES.get(normalize_language(code))


def splits_words_by_events(language: str) -> bool:
    """True if the language is written without spaces between words (ja, zh, th)."""
    row = language_info(language)
    return row.split_words if row is not None else False


def as_named(voice: VoiceRef) -> VoiceRef:
    """The named voice a provider speaks for ``voice`` when the name is another provider's id.

    A named voice is returned as it is (name lower-cased); any other name becomes ``male`` of
    ``voice.language``, or of the id's language prefix (``"de-DE-KatjaNeural"`` → ``de``,
    ``"en_US-joe-medium"`` → ``en``) when the language is empty.
    """
    name = voice.name.strip()
    if is_named_voice(name):
        return VoiceRef(voice.language, name.lower())
    language = voice.language or name.replace("_", "-").split("-", 1)[0]
    return VoiceRef(language, "male")


@dataclass(frozen=True)
class VoiceInfo:
    """One row of ``videostudio voices``.

    Attributes:
        language: table language code (``"en"``).
        name: a named voice (``"male"``, ``"female_friendly"``, …).
        provider: the provider's registry name (``"edge"``, ``"piper"``, ``"espeak"``).
        voice_id: the provider's own voice id.
        offline: True if it works without a network.
    """

    language: str
    name: str
    provider: str
    voice_id: str
    offline: bool


def list_voices() -> list[VoiceInfo]:
    """Every named voice of every table language, per provider in chain order.

    A provider that has no voice for a language (Piper speaks English only) has no row for
    it. Loads no speech engine.
    """
    from pipeline.speech.registry import provider_classes

    rows: list[VoiceInfo] = []
    classes = provider_classes()
    for code in LANGUAGES:
        for name in NAMED_VOICES:
            for entry_name, cls in classes:
                voice_id = cls.table_voice_id(VoiceRef(code, name))
                if voice_id is not None:
                    rows.append(VoiceInfo(code, name, entry_name, voice_id, not cls.online))
    return rows


def voice_problem(name: str) -> str | None:
    """Why ``name`` is not a usable voice name, or ``None`` if it is.

    Valid: a named voice (:data:`NAMED_VOICES`) or a voice id some registered provider owns
    (an Edge short name, a Piper voice, an eSpeak NG voice of the bundled data). Checked when
    a spec is loaded, so a bad voice fails before any work starts.
    """
    from pipeline.errors import SpeechError
    from pipeline.speech.registry import provider_classes

    clean = name.strip()
    if is_named_voice(clean):
        return None
    try:
        if any(cls.owns_voice_id(clean) for _, cls in provider_classes()):
            return None
    except SpeechError:
        pass  # a provider that cannot load cannot own the id
    return (
        f"unknown voice {clean!r}; use one of {', '.join(NAMED_VOICES)}, or a voice id "
        "listed by `videostudio voices` (an Edge name such as 'en-GB-SoniaNeural', "
        "'en_US-joe-medium', or an eSpeak NG voice such as 'en-gb')"
    )


def language_problem(code: str) -> str | None:
    """Why no provider can speak language ``code``, or ``None`` if one can (a table language,
    or one a provider's data knows, such as eSpeak NG's ``af`` or ``sw``)."""
    from pipeline.errors import SpeechError
    from pipeline.speech.base import resolve_voice_id
    from pipeline.speech.registry import provider_classes

    if normalize_language(code) in LANGUAGES:
        return None
    try:
        for _, cls in provider_classes():
            voice_id = resolve_voice_id(cls, VoiceRef(code, "male"))
            if voice_id is not None and cls.owns_voice_id(voice_id):
                return None
    except SpeechError:
        pass
    return (
        f"no voice speaks language {code!r}; use one of {', '.join(LANGUAGES)} "
        "(`videostudio voices` lists them)"
    )


def override_voice(spec: VideoSpec, voice: str, *, keep_scene_voices: bool = False) -> VideoSpec:
    """``spec`` spoken by ``voice`` (what ``--voice`` does).

    Every scene takes ``voice``, unless ``keep_scene_voices`` is set and the scene pins a voice
    of its own (``voice:`` in the scene), which it then keeps.

    Raises:
        InputError: ``voice`` is not a usable voice name (names the valid ones; exit code 2).
    """
    from pipeline.errors import InputError

    problem = voice_problem(voice)
    if problem is not None:
        raise InputError(problem, source="--voice", hint="run `videostudio voices` to list them")
    scenes = [
        scene if keep_scene_voices and scene.voice else scene.model_copy(update={"voice": None})
        for scene in spec.scenes
    ]
    return spec.model_copy(update={"voice": voice.strip(), "scenes": scenes})
