"""Loading user-supplied product images safely.

:func:`load_product_image` is the only way a product image (of an ad template) enters the
pipeline. It accepts PNG, JPEG and WebP, recognised by their content (the file name's
extension is ignored), refuses files over :data:`MAX_IMAGE_BYTES` (10 MB) and images over
:data:`MAX_IMAGE_PIXELS` (40 megapixels, checked from the header before any pixel is
decoded, so a small file that declares a huge size — a decompression bomb — is refused
cheaply), applies the EXIF orientation and returns an RGBA image. Every refusal is an
:class:`~pipeline.errors.InputError` that says what to do.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from pipeline.errors import InputError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest accepted image file, bytes (10 MB)."""
MAX_IMAGE_PIXELS = 40_000_000
"""Largest accepted image, pixels (40 MP, e.g. 8000 × 5000)."""
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
"""Pillow format names accepted (recognised by content)."""

_HINT_FORMAT = "save the image as PNG, JPEG or WebP and try again"
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"<svg", "SVG"),
    (b"<?xml", "XML/SVG"),
)


def sniff_format(head: bytes) -> str | None:
    """The accepted format (``"PNG"``, ``"JPEG"``, ``"WEBP"``) whose signature starts ``head``.

    Returns ``None`` for anything else.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _describe(head: bytes) -> str:
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return f"a {name} file"
    return "not a PNG, JPEG or WebP image"


def load_product_image(path: str | Path) -> Image.Image:
    """Load and validate a product image; returns it as an RGBA Pillow image, upright.

    Args:
        path: the image file.

    Raises:
        InputError: when the file is missing or unreadable, larger than 10 MB, not a PNG,
            JPEG or WebP image by content, truncated or corrupt, or larger than 40 megapixels
            (including files whose header declares such a size). The message names the file
            and the hint says what to do.
    """
    file = Path(path)
    source = str(file)
    try:
        size_bytes = file.stat().st_size
        if not file.is_file():
            raise InputError(
                "the product image is not a file", source=source, hint="choose an image file"
            )
        if size_bytes > MAX_IMAGE_BYTES:
            raise InputError(
                f"the product image is {size_bytes / 1_048_576:.1f} MB; at most 10 MB is accepted",
                source=source,
                hint="export it smaller (e.g. 2000 px wide, JPEG quality 85) and try again",
            )
        with file.open("rb") as handle:
            data = handle.read(MAX_IMAGE_BYTES + 1)
    except FileNotFoundError as error:
        raise InputError(
            "the product image does not exist", source=source, hint="check the path"
        ) from error
    except OSError as error:
        raise InputError(
            f"the product image cannot be read: {error.strerror or error}",
            source=source,
            hint="check the file's permissions",
        ) from error
    if len(data) > MAX_IMAGE_BYTES:  # grew since stat()
        raise InputError(
            "the product image is larger than 10 MB", source=source, hint="export it smaller"
        )
    kind = sniff_format(data[:16])
    if kind is None:
        raise InputError(
            f"the product image is {_describe(data[:16])}; only PNG, JPEG and WebP are accepted",
            source=source,
            hint=_HINT_FORMAT,
        )
    return _decode(data, kind, source)


def _decode(data: bytes, kind: str, source: str) -> Image.Image:
    corrupt = InputError(
        f"the product image is not a valid {kind} file (truncated or corrupt)",
        source=source,
        hint="open it in an image editor, save it again as PNG, JPEG or WebP, and retry",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size
            if width <= 0 or height <= 0:
                raise corrupt
            if width * height > MAX_IMAGE_PIXELS:
                raise InputError(
                    f"the product image is {width} × {height} pixels "
                    f"({width * height / 1e6:.0f} MP); at most 40 MP is accepted",
                    source=source,
                    hint="scale it down (2000–4000 px on the long side is plenty) and try again",
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
            return upright.convert("RGBA")
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InputError(
            "the product image declares an enormous size (a decompression bomb)",
            source=source,
            hint="use a normal image of at most 40 megapixels",
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise corrupt from error
