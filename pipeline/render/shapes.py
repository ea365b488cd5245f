"""Anti-aliased shapes for Pillow RGB images: rounded rectangles and circles.

Pillow's own ``rounded_rectangle`` and ``ellipse`` have jagged edges; these paste a fill
through a mask whose curved parts are drawn 4× larger and downsampled (masks are cached by
size, so repeated cards cost little).
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw

from pipeline.render.geometry import Rect
from pipeline.render.palette import RGB

_SUPERSAMPLE = 4


@lru_cache(maxsize=256)
def _corner_mask(radius: int) -> Image.Image:
    """Top-left quarter disc of ``radius`` pixels, anti-aliased (mode ``L``)."""
    big = Image.new("L", (radius * _SUPERSAMPLE * 2, radius * _SUPERSAMPLE * 2), 0)
    ImageDraw.Draw(big).ellipse((0, 0, big.width - 1, big.height - 1), fill=255)
    quarter = big.crop((0, 0, radius * _SUPERSAMPLE, radius * _SUPERSAMPLE))
    return quarter.resize((radius, radius), Image.Resampling.LANCZOS)


@lru_cache(maxsize=256)
def rounded_mask(w: int, h: int, radius: int) -> Image.Image:
    """Mask (mode ``L``) of a ``w`` × ``h`` rounded rectangle with anti-aliased corners."""
    mask = Image.new("L", (w, h), 255)
    radius = max(0, min(radius, w // 2, h // 2))
    if radius:
        corner = _corner_mask(radius)
        mask.paste(corner, (0, 0))
        mask.paste(corner.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (w - radius, 0))
        mask.paste(corner.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, h - radius))
        mask.paste(corner.transpose(Image.Transpose.ROTATE_180), (w - radius, h - radius))
    return mask


def rounded_rect(image: Image.Image, rect: Rect, radius: int, fill: RGB) -> None:
    """Fill a rounded rectangle on ``image`` (anything outside ``rect`` is untouched)."""
    if rect.w <= 0 or rect.h <= 0:
        return
    image.paste(fill, rect.box, rounded_mask(rect.w, rect.h, radius))


def card(
    image: Image.Image,
    rect: Rect,
    radius: int,
    fill: RGB,
    *,
    border: RGB | None = None,
    border_px: int = 2,
    shadow: RGB | None = None,
    shadow_px: int = 0,
) -> Rect:
    """Draw a card inside ``rect``: optional shadow below, optional border, then the fill.

    The shadow takes the bottom ``shadow_px`` rows of ``rect``. Returns the card's face
    (``rect`` without the shadow rows).
    """
    face = Rect(rect.x, rect.y, rect.w, max(0, rect.h - shadow_px))
    if shadow is not None and shadow_px > 0:
        rounded_rect(image, face.moved(0, shadow_px), radius, shadow)
    if border is not None and border_px > 0:
        rounded_rect(image, face, radius, border)
        rounded_rect(image, face.inset(border_px), max(0, radius - border_px), fill)
    else:
        rounded_rect(image, face, radius, fill)
    return face


@lru_cache(maxsize=128)
def _disc_mask(diameter: int) -> Image.Image:
    big = Image.new("L", (diameter * _SUPERSAMPLE, diameter * _SUPERSAMPLE), 0)
    ImageDraw.Draw(big).ellipse((0, 0, big.width - 1, big.height - 1), fill=255)
    return big.resize((diameter, diameter), Image.Resampling.LANCZOS)


def disc(image: Image.Image, cx: int, cy: int, diameter: int, fill: RGB) -> None:
    """Fill an anti-aliased circle of ``diameter`` pixels centred at ``(cx, cy)``."""
    if diameter <= 0:
        return
    x0 = cx - diameter // 2
    y0 = cy - diameter // 2
    image.paste(fill, (x0, y0, x0 + diameter, y0 + diameter), _disc_mask(diameter))
