"""The named voices: ``male`` and ``female`` per language, for Edge TTS and eSpeak NG.

How a :class:`~pipeline.speech.base.VoiceRef` resolves (the rule the CLI documents):

1. ``name`` is ``"male"`` or ``"female"`` (any case): the table below, per language.
   ``language`` is a code such as ``"en"``, ``"pt-BR"``, ``"zh_CN"`` or ``"no"``; it is
   lower-cased, ``_`` becomes ``-``, aliases apply (``no`` → ``nb``, ``iw`` → ``he``,
   ``in`` → ``id``) and a region is dropped if the full code is not in the table.
   A language that is not in the table still works with eSpeak NG when eSpeak knows it
   (``"af"``, ``"sw"``, …): its voice id is the code itself (``+f3`` for ``female``).
2. ``name`` looks like an Edge voice short name (``"en-GB-SoniaNeural"``, anything ending in
   ``Neural``): Edge uses it verbatim; the eSpeak fallback uses the language's ``male`` voice.
3. Any other ``name`` is an eSpeak NG voice id used verbatim (``"en-gb"``, ``"en-gb-x-rp+f2"``);
   Edge is not used for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pipeline.errors import SpeechError
from pipeline.speech.base import VoiceRef

NamedVoice = Literal["male", "female"]
"""The voice names every language has."""

NAMED_VOICES: tuple[NamedVoice, ...] = ("male", "female")

ESPEAK_FEMALE_VARIANT = "+f3"
"""eSpeak NG variant appended to a language voice for ``female`` (its default voice is male)."""


@dataclass(frozen=True)
class LanguageVoices:
    """The voices of one language.

    Attributes:
        label: the language's English name, for listings.
        edge_male, edge_female: Edge TTS neural voice short names.
        espeak: eSpeak NG voice (language) name; ``female`` adds :data:`ESPEAK_FEMALE_VARIANT`.
        split_words: True for scripts written without spaces (ja, zh, th): eSpeak word events
            are used to split the text into words instead of whitespace.
    """

    label: str
    edge_male: str
    edge_female: str
    espeak: str
    split_words: bool = False


VOICE_TABLE: dict[str, LanguageVoices] = {
    "en": LanguageVoices("English", "en-US-AndrewNeural", "en-US-AriaNeural", "en-us"),
    "es": LanguageVoices("Spanish", "es-ES-AlvaroNeural", "es-ES-ElviraNeural", "es"),
    "fr": LanguageVoices("French", "fr-FR-HenriNeural", "fr-FR-DeniseNeural", "fr"),
    "de": LanguageVoices("German", "de-DE-ConradNeural", "de-DE-KatjaNeural", "de"),
    "it": LanguageVoices("Italian", "it-IT-DiegoNeural", "it-IT-ElsaNeural", "it"),
    "pt": LanguageVoices("Portuguese", "pt-BR-AntonioNeural", "pt-BR-FranciscaNeural", "pt-br"),
    "nl": LanguageVoices("Dutch", "nl-NL-MaartenNeural", "nl-NL-ColetteNeural", "nl"),
    "ru": LanguageVoices("Russian", "ru-RU-DmitryNeural", "ru-RU-SvetlanaNeural", "ru"),
    "ja": LanguageVoices("Japanese", "ja-JP-KeitaNeural", "ja-JP-NanamiNeural", "ja", True),
    "zh": LanguageVoices("Chinese", "zh-CN-YunxiNeural", "zh-CN-XiaoxiaoNeural", "cmn", True),
    "ko": LanguageVoices("Korean", "ko-KR-InJoonNeural", "ko-KR-SunHiNeural", "ko"),
    "ar": LanguageVoices("Arabic", "ar-SA-HamedNeural", "ar-SA-ZariyahNeural", "ar"),
    "hi": LanguageVoices("Hindi", "hi-IN-MadhurNeural", "hi-IN-SwaraNeural", "hi"),
    "pl": LanguageVoices("Polish", "pl-PL-MarekNeural", "pl-PL-ZofiaNeural", "pl"),
    "tr": LanguageVoices("Turkish", "tr-TR-AhmetNeural", "tr-TR-EmelNeural", "tr"),
    "sv": LanguageVoices("Swedish", "sv-SE-MattiasNeural", "sv-SE-SofieNeural", "sv"),
    "da": LanguageVoices("Danish", "da-DK-JeppeNeural", "da-DK-ChristelNeural", "da"),
    "nb": LanguageVoices("Norwegian", "nb-NO-FinnNeural", "nb-NO-PernilleNeural", "nb"),
    "fi": LanguageVoices("Finnish", "fi-FI-HarriNeural", "fi-FI-NooraNeural", "fi"),
    "el": LanguageVoices("Greek", "el-GR-NestorasNeural", "el-GR-AthinaNeural", "el"),
    "he": LanguageVoices("Hebrew", "he-IL-AvriNeural", "he-IL-HilaNeural", "he"),
    "cs": LanguageVoices("Czech", "cs-CZ-AntoninNeural", "cs-CZ-VlastaNeural", "cs"),
    "hu": LanguageVoices("Hungarian", "hu-HU-TamasNeural", "hu-HU-NoemiNeural", "hu"),
    "ro": LanguageVoices("Romanian", "ro-RO-EmilNeural", "ro-RO-AlinaNeural", "ro"),
    "th": LanguageVoices("Thai", "th-TH-NiwatNeural", "th-TH-PremwadeeNeural", "th", True),
    "vi": LanguageVoices("Vietnamese", "vi-VN-NamMinhNeural", "vi-VN-HoaiMyNeural", "vi"),
    "id": LanguageVoices("Indonesian", "id-ID-ArdiNeural", "id-ID-GadisNeural", "id"),
    "uk": LanguageVoices("Ukrainian", "uk-UA-OstapNeural", "uk-UA-PolinaNeural", "uk"),
    "bn": LanguageVoices("Bengali", "bn-BD-PradeepNeural", "bn-BD-NabanitaNeural", "bn"),
}
"""Language code → voices. Edge names are real Edge TTS short names (``edge-tts --list-voices``)."""

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

_EDGE_ID = re.compile(r"^[a-z]{2,3}-[A-Za-z]{2,}(-[A-Za-z]+)*-[A-Za-z]+Neural$")


def is_edge_voice_id(name: str) -> bool:
    """True if ``name`` looks like an Edge TTS short name (``"en-GB-SoniaNeural"``)."""
    return bool(_EDGE_ID.match(name))


def is_named_voice(name: str) -> bool:
    """True for the table's voice names, ``"male"`` and ``"female"`` (any case)."""
    return name.strip().lower() in NAMED_VOICES


def normalize_language(code: str) -> str:
    """Return the table key for a language code, or the cleaned code if it is not in the table.

    ``"pt_BR"`` → ``"pt"``, ``"no"`` → ``"nb"``, ``"EN-gb"`` → ``"en"``, ``"af"`` → ``"af"``.
    An empty code means English.
    """
    clean = code.strip().lower().replace("_", "-") or "en"
    clean = LANGUAGE_ALIASES.get(clean, clean)
    if clean in VOICE_TABLE:
        return clean
    primary = clean.split("-", 1)[0]
    primary = LANGUAGE_ALIASES.get(primary, primary)
    return primary if primary in VOICE_TABLE else clean


def language_voices(code: str) -> LanguageVoices | None:
    """The table row for a language code (after :func:`normalize_language`), or ``None``."""
    return VOICE_TABLE.get(normalize_language(code))


def edge_voice_id(voice: VoiceRef) -> str:
    """The Edge TTS short name for ``voice``.

    Raises:
        SpeechError: the voice is an eSpeak voice id, or the language has no Edge voice here.
    """
    name = voice.name.strip()
    if is_edge_voice_id(name):
        return name
    if not is_named_voice(name):
        raise SpeechError(
            f"voice {name!r} is not an Edge TTS voice",
            hint="use 'male', 'female' or an Edge short name such as 'en-GB-SoniaNeural'",
        )
    row = language_voices(voice.language)
    if row is None:
        raise SpeechError(
            f"no Edge TTS voice is configured for language {voice.language!r}",
            hint=f"use one of {', '.join(sorted(VOICE_TABLE))} or an Edge voice short name",
        )
    return row.edge_female if name.lower() == "female" else row.edge_male


def espeak_voice_id(voice: VoiceRef) -> str:
    """The eSpeak NG voice id for ``voice`` (not checked against the installed data here).

    A named voice of a table language uses the table; of another language, the code itself.
    An Edge short name falls back to the language's male eSpeak voice (the language is taken
    from ``voice.language``, or from the Edge name's prefix when that is empty).
    """
    name = voice.name.strip()
    language = voice.language
    if is_edge_voice_id(name):
        language = language or name.split("-", 1)[0]
        name = "male"
    if not is_named_voice(name):
        return name
    code = normalize_language(language)
    row = VOICE_TABLE.get(code)
    base = row.espeak if row is not None else code
    return base + ESPEAK_FEMALE_VARIANT if name.lower() == "female" else base


def splits_words_by_events(language: str) -> bool:
    """True if the language is written without spaces between words (ja, zh, th)."""
    row = language_voices(language)
    return row.split_words if row is not None else False


@dataclass(frozen=True)
class VoiceInfo:
    """One row of ``videostudio voices``.

    Attributes:
        language: table language code (``"en"``).
        name: ``"male"`` or ``"female"``.
        provider: ``"edge"`` or ``"espeak"``.
        voice_id: the provider's own voice id.
        offline: True if it works without a network.
    """

    language: str
    name: str
    provider: str
    voice_id: str
    offline: bool


def list_voices() -> list[VoiceInfo]:
    """All table voices: per language, ``male`` and ``female``, Edge then eSpeak NG."""
    rows: list[VoiceInfo] = []
    for code in VOICE_TABLE:
        for name in NAMED_VOICES:
            ref = VoiceRef(language=code, name=name)
            rows.append(VoiceInfo(code, name, "edge", edge_voice_id(ref), offline=False))
            rows.append(VoiceInfo(code, name, "espeak", espeak_voice_id(ref), offline=True))
    return rows
