"""Both themes pass WCAG contrast; radio buttons and check boxes stay visible in the dark."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QCheckBox, QRadioButton

from ui import theme

R = QPalette.ColorRole
TEXT_PAIRS = [
    (R.Text, R.Base),
    (R.PlaceholderText, R.Base),
    (R.PlaceholderText, R.AlternateBase),
    (R.WindowText, R.Window),
    (R.ButtonText, R.Button),
    (R.HighlightedText, R.Highlight),
    (R.Link, R.Base),
    (R.ToolTipText, R.ToolTipBase),
]


@pytest.mark.parametrize("name", theme.THEMES)
def test_text_contrast_is_at_least_4_5(name: str):
    pal = theme.palette(name)
    for fg, bg in TEXT_PAIRS:
        ratio = theme.contrast_ratio(pal.color(fg), pal.color(bg))
        assert ratio >= 4.5, f"{name}: {fg.name} on {bg.name} is {ratio:.2f}:1"
    for bg in (R.Window, R.Base):
        ratio = theme.contrast_ratio(pal.color(theme.INDICATOR_ROLE), pal.color(bg))
        assert ratio >= 3.0, f"{name}: indicator outline on {bg.name} is {ratio:.2f}:1"


def test_contrast_ratio_matches_wcag():
    assert theme.contrast_ratio(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert theme.contrast_ratio(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, 0.01)


@pytest.mark.parametrize("kind", [QRadioButton, QCheckBox])
def test_dark_indicators_have_a_visible_outline(qtbot, kind: type):
    theme.apply_theme("dark")
    try:
        button = kind("Option")
        qtbot.addWidget(button)
        button.show()
        image = button.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        window = theme.palette("dark").color(R.Window)
        indicator_width = min(image.height(), 20)
        best = max(
            theme.contrast_ratio(QColor(image.pixel(x, y)), window)
            for x in range(indicator_width)
            for y in range(image.height())
        )
        assert best >= 3.0
    finally:
        theme.apply_theme("light")
