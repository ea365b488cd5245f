"""Runtime hook (frozen app only): use the bundled eSpeak NG data, whatever the environment says.

Runs before the app's code. ``ESPEAK_DATA_PATH`` from the user's environment would point the
bundled library at another installation's data, whose version may not match
(``Wrong version of espeak-ng-data``), so it is replaced by the bundle's copy. eSpeak NG 1.52
accepts both the ``espeak-ng-data`` folder and its parent here; the folder itself is what
``espeakng_loader.get_data_path()`` returns and what the app passes on.
"""


def _pyi_rthook() -> None:
    import os
    import sys

    data_path = os.path.join(sys._MEIPASS, "espeakng_loader", "espeak-ng-data")  # type: ignore[attr-defined]
    if os.path.isdir(data_path):
        os.environ["ESPEAK_DATA_PATH"] = data_path


_pyi_rthook()
del _pyi_rthook
