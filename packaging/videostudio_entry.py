"""Entry script of the frozen app (PyInstaller): the ``videostudio`` executable of the bundle.

Same behaviour as the ``videostudio`` console script (:func:`ui.launcher.main`: no arguments →
the desktop studio, else the command line). Two things only a frozen program needs happen
first:

* ``multiprocessing.freeze_support()``: PDFs are parsed in a child process started with the
  ``spawn`` method (:mod:`pipeline.adapters.pdf`); frozen, that child is this executable started
  again with ``--multiprocessing-fork``, and this call runs the child's work instead of the app.
* ``sys.dont_write_bytecode``: Alembic loads the migration scripts from source files inside the
  bundle; the bundle may be read-only, and must not grow ``__pycache__`` folders when it is not.

``videostudio --bundle-self-test [SAMPLES.json]`` checks what a demo render does not reach:
the bundled speech engines load their data from inside the bundle (eSpeak NG, in English and
in each language of the voice table; Piper with its voice when the voice pack is installed in
the user's data folder, else the fallback to eSpeak NG with a note naming the fix) and speak;
ICU's line breaker (trimmed data, ``packaging/trim_icu_data.py``) cuts Thai, Japanese and
Chinese at dictionary words and phrases; QtMultimedia's FFmpeg backend loads and opens a WAV file (the
embedded player); and, given a JSON file ``{language: [text, ...]}`` (the smoke test writes
``tests/language_samples.py``'s), every character of each language's samples is in the
bundled font chain of each of its four faces and draws ink. ``packaging/smoke_test.sh`` runs it.
``videostudio --bundle-self-test-piper`` runs only the Piper check.
"""

from __future__ import annotations

import multiprocessing
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.speech.base import SpeechAudio

SELF_TEST_FLAG = "--bundle-self-test"
PIPER_TEST_FLAG = "--bundle-self-test-piper"
"""Only the Piper check of the self-test (the smoke test runs it before and after installing
the voice pack)."""
SELF_TEST_SENTENCE = "Video Studio works offline."


LINE_BREAK_SAMPLES = {
    "th": "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "ja": "東京都に住んでいます。ビデオスタジオで動画を作ります。",
    "zh": "我们使用视频工作室制作视频。",
}
"""Text in scripts without spaces; ICU must cut each into several pieces (its dictionaries)."""


def self_test(samples_path: str | None = None) -> int:
    """Run the checks of the module docstring; print one line per check.

    Args:
        samples_path: a JSON file ``{language: [text, ...]}`` for the font check (skipped
            without it).

    Returns 0 when every check passed (each engine produced at least 0.5 s of audio), else 1.
    """
    import importlib.util
    import os

    from pipeline.speech.base import VoiceRef
    from pipeline.speech.espeak import EspeakProvider
    from pipeline.speech.voices import VOICE_TABLE

    failures = 0
    espeak = EspeakProvider()
    audio = espeak.synthesize(SELF_TEST_SENTENCE, VoiceRef("en", "male"))
    ok = audio.duration_s >= 0.5
    failures += not ok
    print(
        f"espeak {espeak.library_version()}: {audio.duration_s:.2f} s "
        f"(data {os.environ.get('ESPEAK_DATA_PATH', '?')}) {'ok' if ok else 'FAILED'}"
    )
    silent = [
        language
        for language in sorted(VOICE_TABLE)
        if espeak.synthesize("1 2 3", VoiceRef(language, "female")).duration_s < 0.3
    ]
    failures += bool(silent)
    print(
        f"espeak in {len(VOICE_TABLE)} languages: "
        f"{'ok' if not silent else 'FAILED (silent: ' + ', '.join(silent) + ')'}"
    )
    wav = _write_wav(audio)
    if importlib.util.find_spec("piper"):
        failures += not _piper_ok()
    else:
        print("piper: not bundled")
    failures += not _line_breaking_ok()
    failures += not _media_backend_ok(wav)
    if samples_path:
        failures += not _fonts_ok(samples_path)
    return 1 if failures else 0


def _piper_ok() -> bool:
    """The bundled Piper engine speaks with its voice when the voice is installed (the voice
    pack in the user's data folder, or the voice package in a bundle built with it), through
    the app's own lookup and SHA-256 check; without the voice, the offline speech chain falls
    back to eSpeak NG with a note naming the fix (``videostudio voices install FILE``)."""
    from pipeline.speech import piper
    from pipeline.speech.base import VoiceRef
    from pipeline.speech.chain import SpeechEngine
    from studio.paths import export_voices_dir

    voices = export_voices_dir()  # as the command line and the studio do when they start
    found = piper.find_model()
    if found is None:
        audio = SpeechEngine("offline", offline_voice="piper").synthesize(
            SELF_TEST_SENTENCE, VoiceRef("en", "male")
        )
        note = next((n for n in audio.notes if "piper" in n), "")
        ok = audio.provider == "espeak" and audio.duration_s >= 0.5
        ok = ok and piper.INSTALL_HINT in note
        print(
            f"piper: engine bundled, voice not installed in {voices}: {audio.provider} spoke "
            f"{audio.duration_s:.2f} s instead, note {note!r} {'ok' if ok else 'FAILED'}"
        )
        return ok
    model, source = found
    audio = piper.PiperProvider().synthesize(SELF_TEST_SENTENCE, VoiceRef("en", "male"))
    ok = audio.duration_s >= 0.5 and len(audio.words) >= 4
    print(
        f"piper ({source}, {model}): {audio.duration_s:.2f} s, {len(audio.words)} words "
        f"{'ok' if ok else 'FAILED'}"
    )
    return ok


def _write_wav(audio: SpeechAudio) -> str:
    """Write the speech ``audio`` to a temporary WAV file (16-bit mono) for the media check;
    returns its path."""
    import tempfile
    import wave

    import numpy as np

    samples = np.asarray(audio.samples, dtype=np.float32)
    handle, path = tempfile.mkstemp(suffix=".wav")
    with open(handle, "wb") as file, wave.open(file, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(audio.sample_rate_hz))
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _line_breaking_ok() -> bool:
    """ICU (icu4py, trimmed data) cuts each of :data:`LINE_BREAK_SAMPLES` into several pieces."""
    from pipeline.i18n.scripts import break_opportunities

    counts = {
        lang: len(break_opportunities(text, lang)) for lang, text in LINE_BREAK_SAMPLES.items()
    }
    ok = all(count >= 3 for count in counts.values())
    pieces = ", ".join(f"{lang} {count}" for lang, count in counts.items())
    print(f"icu line breaking: {pieces} pieces {'ok' if ok else 'FAILED'}")
    return ok


def _media_backend_ok(wav_path: str) -> bool:
    """QtMultimedia's FFmpeg backend is loaded and a player opens ``wav_path`` (its duration)."""
    import os

    from PySide6.QtCore import QCoreApplication, QElapsedTimer, QUrl
    from PySide6.QtMultimedia import QMediaFormat, QMediaPlayer

    app = QCoreApplication.instance() or QCoreApplication([])
    player = QMediaPlayer()  # loads the backend; the bundle has only FFmpeg's
    reads_mp4 = QMediaFormat.FileFormat.MPEG4 in QMediaFormat().supportedFileFormats(
        QMediaFormat.ConversionMode.Decode
    )
    player.setSource(QUrl.fromLocalFile(wav_path))
    timer = QElapsedTimer()
    timer.start()
    loaded = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.InvalidMedia)
    while player.mediaStatus() not in loaded and timer.elapsed() < 15_000:
        app.processEvents()
    duration_ms = player.duration()
    del player
    os.unlink(wav_path)
    ok = reads_mp4 and duration_ms > 500
    print(
        f"qt multimedia (ffmpeg backend): reads MP4 {reads_mp4}, "
        f"WAV opened {duration_ms} ms {'ok' if ok else 'FAILED'}"
    )
    return ok


def _fonts_ok(samples_path: str) -> bool:
    """Every character of each language's samples is in its four faces' bundled font chains,
    and each sample draws ink with the regular face."""
    import json
    from pathlib import Path

    from PIL import Image, ImageDraw

    from pipeline.models import Theme
    from pipeline.render.fonts import font_set, load_font, missing_characters

    samples: dict[str, list[str]] = json.loads(Path(samples_path).read_text(encoding="utf-8"))
    bad: list[str] = []
    for language, texts in sorted(samples.items()):
        faces = font_set(Theme(font_family="sans"), language)
        text = " ".join(texts)
        for face_name in (faces.regular, faces.bold, faces.mono, faces.mono_bold):
            missing = missing_characters(text, face_name)
            if missing:
                bad.append(f"{language} {face_name} lacks {''.join(missing[:5])}")
        image = Image.new("L", (1200, 60))
        ImageDraw.Draw(image).text((4, 4), texts[0], font=load_font(faces.regular, 32), fill=255)
        if not image.getbbox():
            bad.append(f"{language}: no ink")
    print(
        f"fonts for {len(samples)} languages: "
        f"{'ok' if not bad else 'FAILED: ' + '; '.join(bad[:5])}"
    )
    return not bad


def main() -> int:
    """Run the app or, in a multiprocessing child, the child's work; returns the exit code."""
    multiprocessing.freeze_support()
    sys.dont_write_bytecode = True
    if sys.argv[1:2] == [SELF_TEST_FLAG] and len(sys.argv) <= 3:
        return self_test(*sys.argv[2:])
    if sys.argv[1:] == [PIPER_TEST_FLAG]:
        import importlib.util

        if importlib.util.find_spec("piper") is None:
            print("piper: not bundled")
            return 0
        return 0 if _piper_ok() else 1
    from ui.launcher import main as launcher_main

    return launcher_main()


if __name__ == "__main__":
    raise SystemExit(main())
