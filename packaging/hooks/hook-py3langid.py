"""PyInstaller hook for ``py3langid`` (source-language detection before translating): its
model (``data/model.npz.xz``, read beside the module) is data, which analysis cannot see."""

from __future__ import annotations

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("py3langid")
