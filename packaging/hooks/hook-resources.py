"""PyInstaller hook for Video Studio's ``resources`` package: fonts, templates, samples.

``resources.RESOURCES_DIR`` is the folder of the package's ``__init__``; frozen that is
``<bundle>/_internal/resources``, where every data file of the package is collected (the bundled
fonts with their licence, the YAML templates, the demo document).
"""

from __future__ import annotations

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("resources")
