"""PyInstaller hook for ``espeakng-loader``: the eSpeak NG library and its voice data.

``espeakng_loader`` finds both beside its own ``__init__`` (``Path(__file__).parent``):
``libespeak-ng.so`` (``.dylib``, ``espeak-ng.dll``) and the ``espeak-ng-data`` folder. Frozen,
``__file__`` is ``<bundle>/_internal/espeakng_loader/__init__.pyc``, so both are collected into an
``espeakng_loader`` folder of the bundle. The Linux wheel holds three identical copies of the
library (``libespeak-ng.so``, ``.so.1``, ``.so.1.52.0``: a wheel cannot hold symlinks); only the
one ``get_library_path()`` names is loaded, so only that one is collected (saves 1.3 MB).

The runtime hook ``rthooks/pyi_rth_espeakng_loader.py`` points ``ESPEAK_DATA_PATH`` at the
bundled data before the app starts.
"""

from __future__ import annotations

import espeakng_loader
from PyInstaller.utils.hooks import collect_data_files

# The library is loaded with ctypes, so no import analysis finds it: collect it as a binary
# (its own dependencies, libstdc++ and libgcc_s, are then found by binary analysis).
binaries = [(espeakng_loader.get_library_path(), "espeakng_loader")]
datas = collect_data_files("espeakng_loader", subdir="espeak-ng-data")
