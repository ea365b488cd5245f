"""Pixels of Qt images, for comparing what a widget shows with what the pipeline drew."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def image_pixels(image: QImage) -> np.ndarray:
    """``image`` as RGB uint8 ``(height, width, 3)`` (a copy: the converted image's memory
    goes with it)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    return (
        np.frombuffer(image.constBits(), np.uint8)
        .reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
        .reshape(image.height(), image.width(), 3)
        .copy()
    )
