"""ctypes binding to the eSpeak NG library bundled by the ``espeakng-loader`` wheel.

The library keeps global state and is not thread-safe, so there is exactly one
:class:`EspeakLibrary` per process (:func:`get_library`), and every call into it holds
:data:`LOCK`. It is initialised in ``AUDIO_OUTPUT_SYNCHRONOUS`` mode with the wheel's data
folder and ``espeakINITIALIZE_DONT_EXIT``, so missing data is an error, not a process exit.

Struct layouts follow ``speak_lib.h`` (API revision 12, eSpeak NG 1.52).
"""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pipeline.errors import SpeechError

LOCK = threading.RLock()
"""Serialises every call into the library (it has global state)."""

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_EE_OK = 0

EVENT_WORD = 1
"""``espeakEVENT_WORD``: start of a word."""
EVENT_SENTENCE = 2
EVENT_END = 5
"""``espeakEVENT_END``: end of a sentence or clause."""
EVENT_MSG_TERMINATED = 6
_EVENT_LIST_TERMINATED = 0


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """``espeak_EVENT``."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # characters from the start of the text, 1-based
        ("length", ctypes.c_int),  # word length in characters (WORD events)
        ("audio_position", ctypes.c_int),  # ms within the generated audio
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _Voice(ctypes.Structure):
    """``espeak_VOICE``."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, NUL-terminated string)* then NUL
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class SynthEvent:
    """One eSpeak event: ``type`` (``EVENT_*``), 1-based character position, length, ms."""

    type: int
    text_position: int
    length: int
    audio_ms: int


@dataclass(frozen=True)
class InstalledVoice:
    """A voice in the bundled data: display name, file identifier, language codes."""

    name: str
    identifier: str
    languages: tuple[str, ...]


class EspeakLibrary:
    """The loaded, initialised library. Use :func:`get_library`; call methods under :data:`LOCK`.

    Raises:
        SpeechError: the library or its data cannot be loaded.
    """

    def __init__(self) -> None:
        try:
            import espeakng_loader

            lib_path = espeakng_loader.get_library_path()
            data_path = Path(espeakng_loader.get_data_path())
            lib = ctypes.CDLL(lib_path)
        except (ImportError, OSError, RuntimeError) as exc:
            raise SpeechError(
                f"the bundled eSpeak NG library could not be loaded ({exc})",
                hint="reinstall the 'espeakng-loader' package",
            ) from exc
        self._lib = lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p

        os.environ.setdefault("ESPEAK_DATA_PATH", str(data_path))
        # `path` is the folder that *contains* espeak-ng-data.
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_path.parent).encode(), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise SpeechError(
                f"eSpeak NG failed to initialise with data at {data_path}",
                hint="reinstall the 'espeakng-loader' package",
            )
        self.sample_rate_hz: int = rate
        self.version: str = (lib.espeak_Info(None) or b"unknown").decode()
        self._chunks: list[bytes] = []
        self._events: list[SynthEvent] = []
        self._callback = _SynthCallback(self._on_synth)  # keep a reference: C holds a pointer
        lib.espeak_SetSynthCallback(self._callback)
        self._current_voice = ""

    def _on_synth(self, wav: ctypes._Pointer, n_samples: int, events: ctypes._Pointer) -> int:
        if wav and n_samples > 0:
            self._chunks.append(ctypes.string_at(wav, n_samples * 2))
        if events:
            i = 0
            while events[i].type != _EVENT_LIST_TERMINATED:
                ev = events[i]
                self._events.append(
                    SynthEvent(ev.type, ev.text_position, ev.length, ev.audio_position)
                )
                i += 1
        return 0  # 0 = continue

    def set_voice(self, voice_id: str) -> bool:
        """Select a voice by name, file identifier or language code, with an optional variant
        (``"en-us"``, ``"gmw/en"``, ``"en-gb+m3"``, ``"es+f3"``). False if there is none."""
        if voice_id == self._current_voice:
            return True
        ok = self._lib.espeak_SetVoiceByName(voice_id.encode()) == _EE_OK
        if not ok:  # a language code that is no voice file's name, e.g. "en-gb"
            base, plus, variant = voice_id.partition("+")
            for voice in self.installed_voices():
                if base.lower() in voice.languages:
                    name = voice.identifier + plus + variant
                    ok = self._lib.espeak_SetVoiceByName(name.encode()) == _EE_OK
                    break
        self._current_voice = voice_id if ok else ""
        return ok

    def synthesize(
        self, text: str, rate_wpm: int
    ) -> tuple[npt.NDArray[np.int16], list[SynthEvent]]:
        """Speak ``text`` with the selected voice.

        Returns:
            int16 mono samples at :attr:`sample_rate_hz`, shape ``(n,)``, and the events.

        Raises:
            SpeechError: eSpeak reported an error.
        """
        self._lib.espeak_SetParameter(_PARAM_RATE, int(rate_wpm), 0)
        self._chunks = []
        self._events = []
        data = text.encode("utf-8")
        buf = ctypes.create_string_buffer(data)
        status = self._lib.espeak_Synth(
            buf, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        self._lib.espeak_Synchronize()
        if status != _EE_OK:
            raise SpeechError(f"eSpeak NG failed to synthesise (status {status})")
        audio = np.frombuffer(b"".join(self._chunks), dtype=np.int16).copy()
        events, self._chunks, self._events = self._events, [], []
        return audio, events

    def installed_voices(self) -> list[InstalledVoice]:
        """Every voice in the bundled data, with the language codes it speaks."""
        voices: list[InstalledVoice] = []
        table = self._lib.espeak_ListVoices(None)
        i = 0
        while table[i]:
            entry = table[i].contents
            languages: list[str] = []
            ptr = entry.languages or 0
            while ptr and ctypes.string_at(ptr, 1) != b"\0":
                code = ctypes.string_at(ptr + 1)  # skip the priority byte
                languages.append(code.decode(errors="replace"))
                ptr += 1 + len(code) + 1
            voices.append(
                InstalledVoice(
                    (entry.name or b"").decode(errors="replace"),
                    (entry.identifier or b"").decode(errors="replace"),
                    tuple(languages),
                )
            )
            i += 1
        return voices


_library: EspeakLibrary | None = None
_load_error: SpeechError | None = None


def get_library() -> EspeakLibrary:
    """The process's one :class:`EspeakLibrary`, initialised on first use.

    Raises:
        SpeechError: loading failed (remembered; later calls raise the same error at once).
    """
    global _library, _load_error
    with LOCK:
        if _library is None:
            if _load_error is not None:
                raise _load_error
            try:
                _library = EspeakLibrary()
            except SpeechError as exc:
                _load_error = exc
                raise
        return _library
