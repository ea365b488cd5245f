"""PyInstaller hook for ``pipeline.i18n``: the narration phrase catalogs.

``pipeline.i18n.catalog`` reads ``locales/<language>.po`` beside its module; frozen that is
``<bundle>/_internal/pipeline/i18n/locales``. Without them every language but English would
narrate the rules' phrases in English.
"""

from __future__ import annotations

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("pipeline.i18n", includes=["locales/*.po"])
