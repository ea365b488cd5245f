"""Colours of a rendered scene, derived from the video's :class:`~pipeline.models.Theme`.

All colours are ``(r, g, b)`` tuples with channels 0–255. Code cards are dark in both themes
(syntax colours in :mod:`pipeline.render.code_highlight` are chosen for a dark card).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.models import Theme, hex_to_rgb

RGB = tuple[int, int, int]
"""A colour: ``(r, g, b)``, each channel 0–255."""

CORRECT_RGB: RGB = (22, 163, 74)
"""Green used to mark a quiz's correct answer, whatever the accent."""


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear mix of two colours: ``t == 0`` gives ``a``, ``t == 1`` gives ``b``."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def luminance(color: RGB) -> float:
    """Relative luminance (WCAG) of ``color``, 0 (black) to 1 (white)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG 2.2 contrast ratio of two colours, ``(L1 + 0.05) / (L2 + 0.05)``, 1 to 21."""
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


INK_DARK: RGB = (15, 23, 42)
INK_LIGHT: RGB = (255, 255, 255)


def on_color(background: RGB) -> RGB:
    """White or near-black, whichever contrasts more with ``background`` (WCAG ratio).

    One of the two always reaches at least 4.58:1, so text on any fill meets WCAG AA.
    """
    dark, light = contrast_ratio(INK_DARK, background), contrast_ratio(INK_LIGHT, background)
    return INK_DARK if dark >= light else INK_LIGHT


def fill_for_white(color: RGB, ratio: float = 4.5) -> RGB:
    """``color`` darkened just enough for white text on it to reach ``ratio`` (WCAG)."""
    for step in range(41):
        mixed = mix(color, (0, 0, 0), step / 40)
        if contrast_ratio(INK_LIGHT, mixed) >= ratio:
            return mixed
    return (0, 0, 0)


def ensure_contrast(color: RGB, *backgrounds: RGB, ratio: float = 4.5) -> RGB:
    """``color``, mixed towards black or white just enough to reach ``ratio`` on every fill.

    The direction is away from the backgrounds' mean luminance. Returns pure black/white
    when even that is not enough (then the best that can be had).
    """
    if all(contrast_ratio(color, bg) >= ratio for bg in backgrounds):
        return color
    mean = sum(luminance(bg) for bg in backgrounds) / max(1, len(backgrounds))
    target: RGB = (0, 0, 0) if mean > 0.18 else (255, 255, 255)
    for step in range(1, 41):
        mixed = mix(color, target, step / 40)
        if all(contrast_ratio(mixed, bg) >= ratio for bg in backgrounds):
            return mixed
    return target


BAND_LUMA_STEP = 60
"""How far (Rec. 601 luma, 0–255) a reading band stands off the surface it is drawn on."""


def luma_601(color: RGB) -> float:
    """Rec. 601 luma of ``color``, 0–255 (the Y that H.264 encodes and FFmpeg's
    ``freezedetect`` compares)."""
    return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]


def reading_band(surface: RGB, accent: RGB, text: RGB) -> RGB:
    """The fill that marks the words being read on ``surface``: the accent mixed in until
    the band's luma is :data:`BAND_LUMA_STEP` away from the surface's (at most 80 % accent);
    when the accent is too close to the surface in luma (a yellow accent on white), the
    ``text`` colour is mixed in instead. Text on the band is made to contrast with
    :func:`ensure_contrast`."""
    base = luma_601(surface)
    for toward in (accent, text):
        for step in range(1, 17):
            band = mix(surface, toward, step / 20)
            if abs(luma_601(band) - base) >= BAND_LUMA_STEP:
                return band
    return mix(surface, text, 0.3)


@dataclass(frozen=True)
class Palette:
    """The colours of one theme.

    Attributes:
        background: frame background.
        text: main text.
        muted: secondary text (descriptions, attributions).
        accent: the theme's accent colour.
        accent_text: accent adjusted (towards black or white) until text in it reaches 4.5:1
            on the background, on cards and on the accent tint.
        accent_tint: a faint accent wash (chips, decorations).
        accent_fill: the accent darkened (or lightened) until white text on it reaches 4.5:1;
            used for every accent fill that carries text (badges, pills, chips of the ads).
        on_accent: text colour on ``accent_fill`` (white, or near-black for very light fills).
        card: card fill.
        card_border: card outline.
        shadow: card shadow (drawn opaque, offset below the card).
        code_bg, code_border, code_text, code_muted: the code card.
    """

    background: RGB
    text: RGB
    muted: RGB
    accent: RGB
    accent_text: RGB
    accent_tint: RGB
    accent_fill: RGB
    on_accent: RGB
    card: RGB
    card_border: RGB
    shadow: RGB
    code_bg: RGB
    code_border: RGB
    code_text: RGB
    code_muted: RGB
    dark: bool


def make_palette(theme: Theme) -> Palette:
    """Build the :class:`Palette` of ``theme`` (light by default, dark when ``theme.dark``)."""
    accent = hex_to_rgb(theme.accent_color)
    if theme.dark:
        background: RGB = (15, 23, 42)
        text: RGB = (241, 245, 249)
        muted: RGB = (148, 163, 184)
        card: RGB = (30, 41, 59)
        card_border: RGB = (51, 65, 85)
        shadow: RGB = (9, 14, 27)
        code_bg: RGB = (11, 17, 32)
        code_border: RGB = (51, 65, 85)
    else:
        background = (247, 248, 250)
        text = (15, 23, 42)
        muted = (71, 85, 105)
        card = (255, 255, 255)
        card_border = (226, 232, 240)
        shadow = (228, 231, 236)
        code_bg = (17, 24, 39)
        code_border = (17, 24, 39)
    accent_tint = mix(background, accent, 0.14 if theme.dark else 0.10)
    # Accent-coloured text sits on the background, on cards and on accent-tinted chips.
    accent_text = ensure_contrast(accent, background, card, accent_tint)
    accent_fill = fill_for_white(accent)
    return Palette(
        background=background,
        text=text,
        muted=ensure_contrast(muted, background, card, accent_tint),
        accent=accent,
        accent_text=accent_text,
        accent_tint=accent_tint,
        accent_fill=accent_fill,
        on_accent=on_color(accent_fill),
        card=card,
        card_border=card_border,
        shadow=shadow,
        code_bg=code_bg,
        code_border=code_border,
        code_text=(229, 231, 235),
        code_muted=(127, 140, 152),
        dark=theme.dark,
    )
