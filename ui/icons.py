"""The studio's icons: Font Awesome 6 (free, SIL OFL 1.1 / CC BY 4.0) through qtawesome.

Icons are drawn in the palette's button-text colour, so they follow the light and dark
themes: :func:`apply` remembers which action or button shows which icon, and
:func:`refresh` (called by :func:`ui.theme.apply_theme`) redraws them in the new colours.
Names are the studio's own (``"play"``, ``"render"``, …), mapped in :data:`ICONS`.
"""

from __future__ import annotations

import weakref
from typing import Protocol

import qtawesome
import shiboken6
from PySide6.QtGui import QGuiApplication, QIcon, QPalette

ICONS: dict[str, str] = {
    "new": "fa6s.wand-magic-sparkles",
    "open": "fa6s.file-import",
    "save": "fa6s.floppy-disk",
    "settings": "fa6s.gear",
    "quit": "fa6s.right-from-bracket",
    "undo": "fa6s.rotate-left",
    "redo": "fa6s.rotate-right",
    "add": "fa6s.plus",
    "duplicate": "fa6s.clone",
    "delete": "fa6s.trash-can",
    "left": "fa6s.arrow-left",
    "right": "fa6s.arrow-right",
    "render": "fa6s.clapperboard",
    "critique": "fa6s.comments",
    "dark": "fa6s.moon",
    "play": "fa6s.play",
    "pause": "fa6s.pause",
    "stop": "fa6s.stop",
    "cancel": "fa6s.xmark",
    "retry": "fa6s.rotate",
    "folder": "fa6s.folder-open",
    "copy": "fa6s.copy",
    "volume": "fa6s.volume-high",
    "mute": "fa6s.volume-xmark",
    "search": "fa6s.magnifying-glass",
    "document": "fa6s.file-lines",
    "film": "fa6s.film",
    "refresh": "fa6s.rotate",
    "approve": "fa6s.circle-check",
    "reject": "fa6s.xmark",
    "warning": "fa6s.triangle-exclamation",
    "info": "fa6s.circle-info",
    "text": "fa6s.paste",
    "template": "fa6s.shapes",
}


class _HasIcon(Protocol):
    def setIcon(self, icon: QIcon, /) -> None: ...


_shown: list[tuple[weakref.ref[_HasIcon], str]] = []


def icon(name: str, *, color: str | None = None) -> QIcon:
    """The icon ``name`` (a key of :data:`ICONS`) in the current palette's colours.

    Raises:
        KeyError: unknown name.
    """
    palette = QGuiApplication.palette()
    normal = color or palette.color(QPalette.ColorRole.ButtonText).name()
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText).name()
    return qtawesome.icon(ICONS[name], color=normal, color_disabled=disabled)


def apply(target: _HasIcon, name: str) -> None:
    """Give ``target`` (a QAction or button) the icon ``name`` and keep it in step with the
    theme."""
    target.setIcon(icon(name))
    for k, (ref, _old) in enumerate(_shown):
        if ref() is target:
            _shown[k] = (ref, name)
            return
    _shown.append((weakref.ref(target), name))


def refresh() -> None:
    """Redraw every icon given by :func:`apply` in the current palette (after a theme switch)."""
    alive: list[tuple[weakref.ref[_HasIcon], str]] = []
    for ref, name in _shown:
        target = ref()
        if target is not None and shiboken6.isValid(target):
            target.setIcon(icon(name))
            alive.append((ref, name))
    _shown[:] = alive
