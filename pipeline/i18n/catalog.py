"""Narration phrases per language, read from gettext catalogs (``locales/<language>.po``).

The offline narration rules (:mod:`pipeline.narration`) write a few fixed phrases ("Here is
the solution in …", "Is it A, B or C?", list lead-ins, number words). Their English text is
``pipeline.narration.PHRASES["en"]``; every other language has a catalog here, one entry per
phrase:

* ``msgctxt`` — the phrase key (``"solution_code"``);
* ``msgid`` — the English text it translates;
* ``msgstr`` — the translation, with the same ``{placeholders}``.

An entry is used only when its ``msgid`` is the current English text and it is not marked
fuzzy, so a phrase whose English changed falls back to English until it is translated again
(:func:`missing_phrases` lists them; a test fails on any). The catalogs are ordinary PO files,
read with polib, so translators can use any PO editor. Their headers say how they were made
(machine-assisted, reviewed phrase by phrase).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import polib

from pipeline.speech.voices import normalize_language

CATALOG_DIR = Path(__file__).resolve().parent / "locales"
"""Where the ``<language>.po`` catalogs live."""

OPTIONAL_PLACEHOLDERS = frozenset({"noun"})
"""Placeholders a translation may leave out (languages that avoid number agreement)."""


def catalog_language(code: str) -> str:
    """The catalog name for a BCP-47 code: the voice table's key (``"pt-BR"`` → ``"pt"``)."""
    return normalize_language(code)


def catalog_languages() -> list[str]:
    """Languages that have a catalog file, sorted."""
    return sorted(path.stem for path in CATALOG_DIR.glob("*.po"))


@lru_cache(maxsize=64)
def load_catalog(language: str) -> dict[str, tuple[str, str]]:
    """``{phrase key: (English msgid, translation)}`` of one catalog (``{}`` if none).

    Fuzzy, obsolete and untranslated entries are left out.

    Raises:
        OSError / ValueError: the catalog file exists but cannot be read or parsed.
    """
    path = CATALOG_DIR / f"{catalog_language(language)}.po"
    if not path.is_file():
        return {}
    entries: dict[str, tuple[str, str]] = {}
    for entry in polib.pofile(str(path), encoding="utf-8"):
        if entry.msgctxt and entry.msgstr and not entry.fuzzy and not entry.obsolete:
            entries[entry.msgctxt] = (entry.msgid, entry.msgstr)
    return entries


def phrase_table(language: str, source: Mapping[str, str]) -> dict[str, str]:
    """The phrases of ``source`` (key → English text) in ``language``.

    Each key takes the catalog's translation when it translates the current English text,
    else the English text itself. English (and any language without a catalog) gets
    ``source`` unchanged.
    """
    entries = load_catalog(language)
    table: dict[str, str] = {}
    for key, english in source.items():
        entry = entries.get(key)
        table[key] = entry[1] if entry is not None and entry[0] == english else english
    return table


def placeholders(text: str) -> set[str]:
    """The ``{names}`` of a ``str.format`` template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def missing_phrases(language: str, source: Mapping[str, str]) -> list[str]:
    """Keys of ``source`` that ``language``'s catalog does not translate correctly.

    A key is missing when it has no entry, its entry translates other English text (the
    English changed since), or its translation's placeholders differ from the English ones
    (only :data:`OPTIONAL_PLACEHOLDERS` may be left out).
    """
    entries = load_catalog(language)
    missing: list[str] = []
    for key, english in source.items():
        entry = entries.get(key)
        if entry is None or entry[0] != english:
            missing.append(key)
            continue
        want, got = placeholders(english), placeholders(entry[1])
        if not got <= want or not want - OPTIONAL_PLACEHOLDERS <= got:
            missing.append(key)
    return missing
