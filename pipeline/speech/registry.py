"""The speech provider registry: which providers exist and in which order the chain tries them.

A provider is one class implementing :class:`~pipeline.speech.base.SpeechProvider` in one
module. Adding one means writing that module and adding one :class:`ProviderEntry` to
:data:`BUILTIN_PROVIDERS` (or calling :func:`register`, as a plug-in or a test does); the
chain, ``videostudio voices``, the spec's voice check and the About page pick it up.

Order: online providers come before offline ones (the chain falls back from the network to
the machine); within each group, lower ``order`` first, except that the *offline voice*
preference (:func:`offline_voice_preference`: a setting, or the environment variable
:data:`OFFLINE_VOICE_ENV`) moves the preferred offline provider to the front of its group.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline.speech.base import ProviderAbout, SpeechProvider

OFFLINE_VOICE_ENV = "VIDEOSTUDIO_OFFLINE_VOICE"
"""Environment variable naming the preferred offline provider (``piper`` or ``espeak``)."""


@dataclass(frozen=True)
class ProviderEntry:
    """One registered provider.

    Attributes:
        name: the provider's registry name (equals the class's ``name``).
        load: returns the provider class; built-ins import their module only when called, so
            listing providers does not import an engine's heavy dependencies.
        order: position within its group (online / offline); lower first.
    """

    name: str
    load: Callable[[], type[SpeechProvider]]
    order: int


def _lazy(module: str, attribute: str) -> Callable[[], type[SpeechProvider]]:
    def load() -> type[SpeechProvider]:
        cls: type[SpeechProvider] = getattr(importlib.import_module(module), attribute)
        return cls

    return load


BUILTIN_PROVIDERS: tuple[ProviderEntry, ...] = (
    ProviderEntry("edge", _lazy("pipeline.speech.edge", "EdgeProvider"), 10),
    ProviderEntry("piper", _lazy("pipeline.speech.piper", "PiperProvider"), 20),
    ProviderEntry("espeak", _lazy("pipeline.speech.espeak", "EspeakProvider"), 30),
)
"""The providers that ship with Video Studio: Edge TTS (online), Piper (offline neural,
English), eSpeak NG (offline, every language, the last resort)."""

_LOCK = threading.Lock()
_REGISTRY: dict[str, ProviderEntry] = {entry.name: entry for entry in BUILTIN_PROVIDERS}


def register(entry: ProviderEntry) -> None:
    """Add (or replace) a provider.

    Raises:
        ValueError: ``entry.name`` is empty.
    """
    if not entry.name.strip():
        raise ValueError("a speech provider needs a name")
    with _LOCK:
        _REGISTRY[entry.name] = entry


def unregister(name: str) -> None:
    """Remove a provider (no error if it is not registered)."""
    with _LOCK:
        _REGISTRY.pop(name, None)


def registered_names() -> list[str]:
    """Registry names in ``order`` (online and offline mixed)."""
    with _LOCK:
        return [e.name for e in sorted(_REGISTRY.values(), key=lambda e: (e.order, e.name))]


def offline_voice_preference(env: Mapping[str, str] | None = None) -> str | None:
    """The preferred offline provider named by :data:`OFFLINE_VOICE_ENV`, or ``None``."""
    value = (os.environ if env is None else env).get(OFFLINE_VOICE_ENV, "").strip().lower()
    return value or None


def provider_classes(offline_first: str | None = None) -> list[tuple[str, type[SpeechProvider]]]:
    """``(name, class)`` of every provider in chain order.

    Args:
        offline_first: name of the offline provider to put first among offline providers
            (the user's offline voice); ``None`` keeps the registry order.

    Raises:
        ValueError: ``offline_first`` is not a registered offline provider.
    """
    with _LOCK:
        entries = sorted(_REGISTRY.values(), key=lambda e: (e.order, e.name))
    classes = [(entry.name, entry.load()) for entry in entries]
    online = [(n, c) for n, c in classes if c.online]
    offline = [(n, c) for n, c in classes if not c.online]
    if offline_first is not None:
        if offline_first not in {n for n, _ in offline}:
            raise ValueError(
                f"unknown offline voice {offline_first!r}; "
                f"use one of: {', '.join(n for n, _ in offline)}"
            )
        offline.sort(key=lambda item: item[0] != offline_first)
    return online + offline


def offline_provider_names() -> list[str]:
    """Registered offline providers, in registry order (choices of the offline-voice setting)."""
    return [name for name, cls in provider_classes() if not cls.online]


def about_providers() -> list[ProviderAbout]:
    """What the voice picker and the About/licences page show, one entry per provider, in
    chain order: where the engine and its voices come from, their licences, and limits such
    as the Piper voice's restriction on commercial use."""
    return [cls.about() for _, cls in provider_classes()]
