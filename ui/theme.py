"""Light and dark palettes of the studio, switchable and remembered in QSettings."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ThemeName = Literal["light", "dark"]
THEMES: tuple[ThemeName, ...] = ("light", "dark")
SETTINGS_KEY = "ui/theme"

_COLORS: dict[ThemeName, dict[QPalette.ColorRole, str]] = {
    "light": {
        QPalette.ColorRole.Window: "#f4f5f7",
        QPalette.ColorRole.WindowText: "#1f2328",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#eef0f3",
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: "#1f2328",
        QPalette.ColorRole.PlaceholderText: "#8a9099",
        QPalette.ColorRole.Text: "#1f2328",
        QPalette.ColorRole.Button: "#e9ebef",
        QPalette.ColorRole.ButtonText: "#1f2328",
        QPalette.ColorRole.BrightText: "#d1242f",
        QPalette.ColorRole.Highlight: "#3b82f6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#2563eb",
        QPalette.ColorRole.Mid: "#c9cdd4",
        QPalette.ColorRole.Dark: "#a0a6b0",
    },
    "dark": {
        QPalette.ColorRole.Window: "#1e1f22",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#2b2d31",
        QPalette.ColorRole.AlternateBase: "#313338",
        QPalette.ColorRole.ToolTipBase: "#2b2d31",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#80848e",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#35373c",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3b82f6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#7aa7ff",
        QPalette.ColorRole.Mid: "#4a4d55",
        QPalette.ColorRole.Dark: "#16171a",
    },
}


def palette(name: ThemeName) -> QPalette:
    """The palette of theme ``name`` (disabled text greyed out)."""
    pal = QPalette()
    for role, color in _COLORS[name].items():
        pal.setColor(role, QColor(color))
    grey = QColor(_COLORS[name][QPalette.ColorRole.PlaceholderText])
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, grey)
    return pal


def saved_theme(settings: QSettings) -> ThemeName:
    """The theme remembered in ``settings`` (default light)."""
    value = str(settings.value(SETTINGS_KEY, "light"))
    return "dark" if value == "dark" else "light"


def apply_theme(name: ThemeName, settings: QSettings | None = None) -> None:
    """Switch the whole application to theme ``name`` and remember it in ``settings``."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    app.setStyle("Fusion")
    app.setPalette(palette(name))
    app.setProperty("videostudio_theme", name)
    if settings is not None:
        settings.setValue(SETTINGS_KEY, name)


def current_theme() -> ThemeName:
    """The theme applied now."""
    app = QApplication.instance()
    value = app.property("videostudio_theme") if app is not None else None
    return "dark" if value == "dark" else "light"
