"""Layer compositing with numpy: sprites over a static layer, crossfades.

A :class:`Sprite` is a rectangle of pixels that appears at a given frame with a short fade
and slide-in. It is stored as the finished pixels of its rectangle (drawn over the static
layer) plus a mask of the pixels it changes, so fading it in is an exact blend between the
static layer and the finished pixels, and only its rectangle is touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pipeline.render.base import RGBFrame
from pipeline.render.geometry import Rect


@dataclass(frozen=True)
class Sprite:
    """An element that fades in.

    Attributes:
        rect: where it sits once shown (frame pixels).
        rgb: its finished pixels, shape ``(rect.h, rect.w, 3)`` uint8.
        mask: which of those pixels differ from the static layer, shape ``(rect.h, rect.w)``
            bool.
        reveal_frame: first frame index at which it is (partly) visible.
        fade_frames: frames from first visible to fully shown (>= 1).
        slide_px: how far below its place it starts (pixels, >= 0).
        hide_frame: first frame index at which it is hidden again (``None``: never).
    """

    rect: Rect
    rgb: npt.NDArray[np.uint8]
    mask: npt.NDArray[np.bool_]
    reveal_frame: int
    fade_frames: int
    slide_px: int
    hide_frame: int | None = None

    def phase(self, frame_index: int) -> int:
        """``0`` hidden, ``1 .. fade_frames - 1`` fading, ``fade_frames`` fully shown."""
        if self.hide_frame is not None and frame_index >= self.hide_frame:
            return 0
        return max(0, min(self.fade_frames, frame_index - self.reveal_frame + 1))


def _div255(x: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """Exact rounded division by 255 for integers in ``0 .. 255 * 255``."""
    x = x + 128
    eight = np.uint32(8)  # numpy's stubs type ``uint32 array >> int`` as signed; this keeps uint32
    return (x + (x >> eight)) >> eight


def paste_sprite(frame: RGBFrame, sprite: Sprite) -> None:
    """Put ``sprite`` fully shown into ``frame`` (in place)."""
    r = sprite.rect
    region = frame[r.y : r.bottom, r.x : r.right]
    np.copyto(region, sprite.rgb, where=sprite.mask[:, :, None])


def blend_sprite(frame: RGBFrame, sprite: Sprite, phase: int) -> None:
    """Draw ``sprite`` at fade ``phase`` (see :meth:`Sprite.phase`) into ``frame`` in place.

    Opacity is ``phase / fade_frames`` (eased); the sprite sits ``slide_px * (1 - eased)``
    below its place, clipped to the frame.
    """
    if phase <= 0:
        return
    if phase >= sprite.fade_frames:
        paste_sprite(frame, sprite)
        return
    linear = phase / sprite.fade_frames
    eased = 1.0 - (1.0 - linear) ** 3  # ease-out cubic
    weight = round(255 * linear)
    dy = round(sprite.slide_px * (1.0 - eased))
    r = sprite.rect
    y0 = r.y + dy
    y1 = min(frame.shape[0], r.bottom + dy)
    if y1 <= y0:
        return
    rows = y1 - y0
    region = frame[y0:y1, r.x : r.right]
    src = sprite.rgb[:rows].astype(np.uint32)
    alpha = sprite.mask[:rows, :, None].astype(np.uint32) * weight
    dst = region.astype(np.uint32)
    region[...] = _div255(dst * (255 - alpha) + src * alpha).astype(np.uint8)


def crossfade(
    previous: RGBFrame | npt.NDArray[np.uint16],
    current: RGBFrame,
    weight_256: int,
    *,
    out: RGBFrame | None = None,
) -> RGBFrame:
    """``previous`` blended towards ``current`` by ``weight_256 / 256`` (0 gives ``previous``).

    ``previous`` may be given as uint16 (values 0–255) to skip one conversion per frame.
    ``out``: write the result there (it may be ``current`` itself) instead of a new array.

    Raises:
        ValueError: when the frames differ in shape.
    """
    if previous.shape != current.shape or (out is not None and out.shape != current.shape):
        raise ValueError(f"crossfade of frames with shapes {previous.shape} and {current.shape}")
    weight = max(0, min(256, weight_256))
    mixed = np.multiply(previous, np.uint16(256 - weight), dtype=np.uint16)
    mixed += np.multiply(current, np.uint16(weight), dtype=np.uint16)
    mixed >>= 8
    if out is None:
        return mixed.astype(np.uint8)
    np.copyto(out, mixed, casting="unsafe")  # values are 0..255 after the shift
    return out


def blend_rgba(frame: RGBFrame, rgba: npt.NDArray[np.uint8], x: int, y: int) -> None:
    """Alpha-blend an RGBA patch ``(h, w, 4)`` onto ``frame`` at ``(x, y)`` in place (clipped)."""
    h, w = rgba.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(frame.shape[1], x + w), min(frame.shape[0], y + h)
    if x1 <= x0 or y1 <= y0:
        return
    patch = rgba[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.uint32)
    region = frame[y0:y1, x0:x1]
    alpha = patch[:, :, 3:4]
    region[...] = _div255(region.astype(np.uint32) * (255 - alpha) + patch[:, :, :3] * alpha)
