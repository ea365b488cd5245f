"""PyInstaller hook for ``piper-tts`` (module ``piper``): the Piper neural speech engine.

Applied only when ``piper`` is installed and imported by the app. What import analysis misses:

* ``piper/espeak-ng-data``: Piper phonemises with its own statically linked eSpeak NG
  (``espeakbridge``) and passes this folder to it (``phonemize_espeak.ESPEAK_DATA_DIR``, beside
  the module), so it is collected into ``piper/espeak-ng-data`` of the bundle.
* ``piper.espeakbridge``: an extension module imported inside functions (``from . import
  espeakbridge``); listed explicitly so it is always collected.
* the distribution's metadata, for the version recorded with each render.

Left out on purpose, because the app's Piper provider speaks English only (other languages
go to eSpeak NG): the pronunciation dictionaries of the other languages in Piper's
``espeak-ng-data`` (``*_dict`` but ``en_dict``: 17 MB; Piper's eSpeak NG is another version
than ``espeakng_loader``'s, so the two folders cannot be shared), the Hebrew
(``hebrew/nakdimon.onnx``, 21 MB) and Arabic (``tashkeel/model.onnx``, 4.8 MB) diacritisation
models, and ``piper.train`` (needs PyTorch), ``piper.http_server`` (Flask) and their web assets.
"""

from __future__ import annotations

from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

# Large language models and assets that an English voice never loads (see the docstring).
EXCLUDED_DATA = ["hebrew/*.onnx", "tashkeel/*.onnx", "img/*", "templates/*", "train/**"]
KEPT_DICTIONARIES = {"en_dict"}

datas = [
    (source, dest)
    for source, dest in collect_data_files("piper", excludes=EXCLUDED_DATA)
    if not (source.endswith("_dict") and Path(source).name not in KEPT_DICTIONARIES)
] + copy_metadata("piper-tts")
hiddenimports = ["piper.espeakbridge"]
excludedimports = ["piper.train", "piper.http_server", "torch", "lightning", "flask"]
