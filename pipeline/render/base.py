"""What a renderer is, as the encoder and the preview see it.

A renderer draws one scene. It answers two questions for any time ``t_s`` (seconds from the
scene's start, ``0 <= t_s < duration_s``): "what does the frame look like" (:meth:`frame_at`)
and "is it the same frame as at another time" (:meth:`frame_key`). Equal keys guarantee equal
pixels, so the encoder reuses the previous frame instead of drawing and converting it again.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from pipeline.models import Theme

RGBFrame = npt.NDArray[np.uint8]
"""A frame: shape ``(height_px, width_px, 3)``, dtype uint8, RGB order, C-contiguous."""


@dataclass(frozen=True)
class RenderContext:
    """Frame geometry and styling shared by all scenes of one video.

    Attributes:
        width_px, height_px: frame size.
        fps: frame rate (frames per second).
        theme: accent colour, font family, light/dark.
        captions: draw burned-in captions.
        caption_style: ``"highlight"`` (the word being spoken in yellow) or ``"plain"``
            (see :mod:`pipeline.render.captions`).
    """

    width_px: int
    height_px: int
    fps: int
    theme: Theme
    captions: bool
    caption_style: str = "highlight"


class FrameSource(Protocol):
    """Frames of one scene, by time. Implemented by every scene renderer."""

    def frame_key(self, t_s: float) -> Hashable:
        """A value equal for two times exactly when their frames are pixel-identical."""
        ...

    def frame_at(self, t_s: float) -> RGBFrame:
        """The frame shown at ``t_s`` seconds after the scene's start, shape (H, W, 3) uint8."""
        ...
