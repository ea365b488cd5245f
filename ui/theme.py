"""Light and dark palettes of the studio, switchable and remembered in QSettings.

Colours are chosen for contrast (WCAG 2.1, :func:`contrast_ratio`): text and placeholder text
at least 4.5:1 against their background, the outlines of radio buttons and check boxes at
least 3:1 (success criterion 1.4.11). Fusion draws those outlines only slightly darker than
the window, which vanishes on a dark window, so :class:`StudioStyle` draws them again in the
palette's :data:`INDICATOR_ROLE` colour.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QRectF, QSettings, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

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
        QPalette.ColorRole.PlaceholderText: "#5f6570",
        QPalette.ColorRole.Text: "#1f2328",
        QPalette.ColorRole.Button: "#e9ebef",
        QPalette.ColorRole.ButtonText: "#1f2328",
        QPalette.ColorRole.BrightText: "#d1242f",
        QPalette.ColorRole.Highlight: "#2563eb",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#2563eb",
        QPalette.ColorRole.Mid: "#c9cdd4",
        QPalette.ColorRole.Dark: "#a0a6b0",
        QPalette.ColorRole.Shadow: "#6b7079",
    },
    "dark": {
        QPalette.ColorRole.Window: "#1e1f22",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#2b2d31",
        QPalette.ColorRole.AlternateBase: "#313338",
        QPalette.ColorRole.ToolTipBase: "#2b2d31",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#a2a7b0",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#35373c",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#2563eb",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#7aa7ff",
        QPalette.ColorRole.Mid: "#4a4d55",
        QPalette.ColorRole.Dark: "#16171a",
        QPalette.ColorRole.Shadow: "#9aa0a8",
    },
}


INDICATOR_ROLE = QPalette.ColorRole.Shadow
"""The palette role the outlines of radio buttons and check boxes are drawn in."""


def relative_luminance(color: QColor) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour (0 black … 1 white)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * linear(color.redF())
        + 0.7152 * linear(color.greenF())
        + 0.0722 * linear(color.blueF())
    )


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2.1 contrast ratio of two colours, 1 … 21 (text needs 4.5, UI outlines 3)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class StudioStyle(QProxyStyle):
    """Fusion, with radio button and check box outlines drawn in :data:`INDICATOR_ROLE`."""

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        """Draw as Fusion does, then a clearly visible outline around the indicators."""
        super().drawPrimitive(element, option, painter, widget)
        radio = element is QStyle.PrimitiveElement.PE_IndicatorRadioButton
        if not radio and element is not QStyle.PrimitiveElement.PE_IndicatorCheckBox:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(option.palette.color(INDICATOR_ROLE))
        pen.setWidthF(1.2)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        rect = QRectF(option.rect).adjusted(0.6, 0.6, -0.6, -0.6)
        if radio:
            painter.drawEllipse(rect)
        else:
            painter.drawRoundedRect(rect, 2.0, 2.0)
        painter.restore()


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
    if not isinstance(app.style(), StudioStyle):
        app.setStyle(StudioStyle())
    app.setPalette(palette(name))
    app.setProperty("videostudio_theme", name)
    if settings is not None:
        settings.setValue(SETTINGS_KEY, name)
    from ui import icons

    icons.refresh()


def current_theme() -> ThemeName:
    """The theme applied now."""
    app = QApplication.instance()
    value = app.property("videostudio_theme") if app is not None else None
    return "dark" if value == "dark" else "light"
