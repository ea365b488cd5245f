"""When the studio may use QtMultimedia for sound.

Creating a ``QMediaPlayer`` or ``QAudioOutput`` talks to the system's audio service; on a
machine without one (a CI box, a container, the ``offscreen`` platform used by the tests) the
FFmpeg backend can block the GUI thread inside the constructor — seen here in about one run in
six. The studio therefore plays sound only when a display is there to listen to it:

* not on the ``offscreen`` or ``minimal`` Qt platforms, and
* not when ``VIDEOSTUDIO_NO_AUDIO=1`` is set (for machines with a screen but no audio).

Without sound, previews still play (the playhead moves, frames update) and the job panel
still shows the video; only the narration is silent.
"""

from __future__ import annotations

import os

from PySide6.QtGui import QGuiApplication

NO_AUDIO_ENV = "VIDEOSTUDIO_NO_AUDIO"
_SILENT_PLATFORMS = {"offscreen", "minimal"}


def sound_enabled() -> bool:
    """Whether the studio should create audio outputs (see the module docstring)."""
    if os.environ.get(NO_AUDIO_ENV, "").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    return QGuiApplication.platformName() not in _SILENT_PLATFORMS
