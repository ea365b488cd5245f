"""The AI image behind a document scene: cover-scaled, under a scrim that keeps text legible.

A document scene (title, list, quote, …) in tier ``"ai_image"`` draws an AI still generated
from its narration (:func:`pipeline.render_job.resolve_visuals`) as its background instead of
the theme's flat colour. Legibility comes first: the still is scaled to cover the frame
(centred crop) and blended with the theme background at the *weakest* opacity
(:data:`SCRIM_STEPS`, at least :data:`MIN_SCRIM`) for which **every pixel** of the result
still gives each of the theme's text colours (``text``, ``muted``, ``accent_text``) a WCAG
contrast of at least :data:`TARGET_CONTRAST`. That scrim covers everything the scene draws
(found by drawing the scene once on the flat background: its static text, and the
rectangles of its revealed items and reading panes), widened by a reach that covers the
items' slide-in; away from it the scrim fades to :data:`MIN_SCRIM`, so the picture shows
in the free space around the text and only as a faint wash under it. Cards, code panes and
caption boxes are drawn over it as usual, so their text is unaffected.

The backdrop is static (no pan and zoom as for clip scenes): the scene's text is revealed
item by item over it and its layers are cached once per scene.

Code scenes (``command``, ``code_comparison``, ``solution``) get no backdrop: their code
panes cover most of the frame, are read closely for many seconds, and the picture would only
show in the margins. Clip scenes have their own tier chain and ad scenes their own product
image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

from pipeline.render.base import RGBFrame
from pipeline.render.palette import RGB, Palette

BACKDROP_SCENE_TYPES = frozenset(
    {
        "title",
        "list",
        "quote",
        "outro",
        "learning_objectives",
        "problem",
        "quiz",
        "checkpoint",
        "exercise",
    }
)
"""Scene types drawn over an AI image when a render asks for AI images (see the module doc)."""

TARGET_CONTRAST = 4.6
"""Contrast every text colour keeps against every backdrop pixel (WCAG AA 4.5:1, plus a
margin for the encoder's rounding)."""
MIN_SCRIM = 0.55
"""The scrim's weakest opacity (the still never shows at more than 45 %)."""
SCRIM_STEPS = tuple(round(MIN_SCRIM + 0.025 * k, 3) for k in range(19)) + (1.0,)
"""Scrim opacities tried, weakest first; 1.0 (the flat theme colour) always works."""


def _channel_luminance() -> npt.NDArray[np.float64]:
    """Linear-light value of each 8-bit sRGB channel value: shape (256,)."""
    c = np.arange(256, dtype=np.float64) / 255.0
    return np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


_LINEAR = _channel_luminance()
_WEIGHTS = (0.2126, 0.7152, 0.0722)


def _luminance(color: RGB) -> float:
    return float(sum(w * _LINEAR[v] for w, v in zip(_WEIGHTS, color, strict=True)))


def cover(image_path: Path, width_px: int, height_px: int) -> RGBFrame:
    """The still at ``image_path`` scaled to cover ``width_px`` × ``height_px`` (centred crop).

    Returns:
        ``(height_px, width_px, 3)`` uint8.

    Raises:
        ValueError: the file cannot be read as an image.
    """
    try:
        with Image.open(image_path) as opened:
            still = opened.convert("RGB")
    except OSError as error:
        raise ValueError(f"cannot read the AI image {image_path.name}: {error}") from None
    scale = max(width_px / still.width, height_px / still.height)
    w, h = still.width * scale, still.height * scale
    x, y = (w - width_px) / 2 / scale, (h - height_px) / 2 / scale
    box = (x, y, x + width_px / scale, y + height_px / scale)
    resized = still.resize((width_px, height_px), Image.Resampling.LANCZOS, box=box)
    return np.asarray(resized, dtype=np.uint8).copy()


def _blend(image: RGBFrame, color: RGB, alpha: float) -> RGBFrame:
    """``alpha`` × ``color`` + (1 − ``alpha``) × ``image``, rounded: same shape, uint8."""
    mixed = image.astype(np.float32) * (1.0 - alpha) + np.asarray(color, np.float32) * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def _legible(blended: RGBFrame, text_colors: tuple[RGB, ...], ratio: float) -> bool:
    """Whether every pixel of ``blended`` gives every colour in ``text_colors`` ``ratio``."""
    lum = (
        _WEIGHTS[0] * _LINEAR[blended[:, :, 0]]
        + _WEIGHTS[1] * _LINEAR[blended[:, :, 1]]
        + _WEIGHTS[2] * _LINEAR[blended[:, :, 2]]
    )
    lo, hi = float(lum.min()), float(lum.max())
    for color in text_colors:
        lc = _luminance(color)
        darker_ok = (lo + 0.05) >= ratio * (lc + 0.05)  # every pixel lighter than the text
        lighter_ok = (lc + 0.05) >= ratio * (hi + 0.05)  # every pixel darker than the text
        if not (darker_ok or lighter_ok):
            return False
    return True


def text_colors(palette: Palette) -> tuple[RGB, ...]:
    """The colours scenes draw text in directly on the background."""
    return (palette.text, palette.muted, palette.accent_text)


def scrim_alpha(image: RGBFrame, palette: Palette, ratio: float = TARGET_CONTRAST) -> float:
    """The weakest opacity in :data:`SCRIM_STEPS` of the theme background over ``image``
    (``(H, W, 3)`` uint8) that keeps :func:`text_colors` at ``ratio`` on every pixel."""
    colors = text_colors(palette)
    for alpha in SCRIM_STEPS:
        if _legible(_blend(image, palette.background, alpha), colors, ratio):
            return alpha
    return 1.0


_BLOCK_PX = 8
"""The ink mask is dilated and feathered at 1/8 of the frame's resolution (fast)."""


def scrim_weight(ink: npt.NDArray[np.bool_], reach_px: int) -> npt.NDArray[np.float32]:
    """Where the full scrim goes: 1 on every pixel within ``reach_px`` of ``ink`` (``(H, W)``
    bool: what the scene draws), feathered to 0 over another ``reach_px`` beyond.

    Returns:
        ``(H, W)`` float32 in 0..1.
    """
    h, w = ink.shape
    bh, bw = -(-h // _BLOCK_PX), -(-w // _BLOCK_PX)
    padded = np.zeros((bh * _BLOCK_PX, bw * _BLOCK_PX), dtype=bool)
    padded[:h, :w] = ink
    small = padded.reshape(bh, _BLOCK_PX, bw, _BLOCK_PX).any(axis=(1, 3))
    k = max(1, -(-reach_px // _BLOCK_PX))
    mask = Image.fromarray((small * 255).astype(np.uint8), "L").filter(
        ImageFilter.MaxFilter(2 * k + 1)
    )
    feather = mask.filter(ImageFilter.BoxBlur(k))
    full = np.asarray(mask.resize((bw * _BLOCK_PX, bh * _BLOCK_PX), Image.Resampling.NEAREST))
    soft = np.asarray(feather.resize((bw * _BLOCK_PX, bh * _BLOCK_PX), Image.Resampling.BILINEAR))
    weight = np.maximum(full, soft)[:h, :w].astype(np.float32) / 255.0
    return weight


def backdrop_frame(
    image_path: Path,
    width_px: int,
    height_px: int,
    palette: Palette,
    ink: npt.NDArray[np.bool_] | None = None,
    reach_px: int = 0,
) -> RGBFrame:
    """The background of a scene drawn over the AI still at ``image_path``: covered, under
    the scrim of :func:`scrim_alpha` — everywhere, or (``ink``, ``(H, W)`` bool: what the
    scene draws) within ``reach_px`` of what the scene draws, fading to :data:`MIN_SCRIM`
    elsewhere, so the picture shows around the text and never under it.

    Returns:
        ``(height_px, width_px, 3)`` uint8.

    Raises:
        ValueError: the file cannot be read as an image.
    """
    image = cover(image_path, width_px, height_px)
    alpha = scrim_alpha(image, palette)
    if ink is None:
        return _blend(image, palette.background, alpha)
    weight = scrim_weight(ink, reach_px)[:, :, None]
    legible = _blend(image, palette.background, alpha)
    light = _blend(image, palette.background, MIN_SCRIM)
    mixed = light.astype(np.float32) * (1.0 - weight) + legible.astype(np.float32) * weight
    out = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    full = weight[:, :, 0] >= 1.0
    out[full] = legible[full]  # exactly the legible blend wherever text may be
    return out


__all__ = [
    "BACKDROP_SCENE_TYPES",
    "MIN_SCRIM",
    "SCRIM_STEPS",
    "TARGET_CONTRAST",
    "backdrop_frame",
    "cover",
    "scrim_alpha",
    "scrim_weight",
    "text_colors",
]
