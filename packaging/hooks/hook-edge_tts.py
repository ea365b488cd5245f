"""PyInstaller hook for ``edge-tts``: the online Microsoft Edge speech provider.

Its code is found by import analysis (``aiohttp`` and ``certifi``, whose own hook collects the
CA bundle ``cacert.pem`` that ``edge_tts`` hands to its SSL context). What analysis misses is the
distribution's metadata: the app reads ``importlib.metadata.version("edge-tts")`` for the speech
cache key and each render's ``metadata.json``, which would say ``unknown`` without it and so
never share cached speech with a source install of the same version.
"""

from __future__ import annotations

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("edge-tts")
hiddenimports = ["certifi"]
