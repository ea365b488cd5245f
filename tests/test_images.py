"""Product image validation: formats by content, size limits, bombs, truncation, EXIF."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from pipeline.errors import InputError
from pipeline.images import MAX_IMAGE_BYTES, load_product_image, sniff_format


def save(image: Image.Image, path: Path, fmt: str, **kwargs: object) -> Path:
    image.save(path, format=fmt, **kwargs)
    return path


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few hundred bytes whose header declares ``width × height``."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_accepted_formats_load_as_rgba(tmp_path, fmt):
    mode = "RGBA" if fmt != "JPEG" else "RGB"
    image = Image.new(mode, (64, 40), (200, 30, 60) + ((255,) if mode == "RGBA" else ()))
    path = save(image, tmp_path / "product.bin", fmt)  # extension means nothing
    loaded = load_product_image(path)
    assert loaded.mode == "RGBA" and loaded.size == (64, 40)
    r, g, b, a = loaded.getpixel((10, 10))
    assert abs(r - 200) < 8 and abs(g - 30) < 8 and abs(b - 60) < 8 and a == 255


def test_format_is_judged_by_content_not_extension(tmp_path):
    png_named_jpg = save(Image.new("RGB", (8, 8), "red"), tmp_path / "a.jpg", "PNG")
    assert load_product_image(png_named_jpg).size == (8, 8)
    gif_named_png = save(Image.new("P", (8, 8)), tmp_path / "b.png", "GIF")
    with pytest.raises(InputError, match="GIF file; only PNG, JPEG and WebP") as info:
        load_product_image(gif_named_png)
    assert "PNG, JPEG or WebP" in info.value.hint


def test_other_content_is_refused(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("hello, not an image")
    with pytest.raises(InputError, match="not a PNG, JPEG or WebP"):
        load_product_image(text)
    bmp = save(Image.new("RGB", (8, 8)), tmp_path / "c.png", "BMP")
    with pytest.raises(InputError, match="BMP"):
        load_product_image(bmp)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png(50_000, 50_000))
    assert path.stat().st_size < 200
    with pytest.raises(InputError, match="decompression bomb") as info:
        load_product_image(path)  # Pillow itself refuses this one inside Image.open
    assert "40 megapixels" in info.value.hint


def test_just_over_the_pixel_limit_is_refused(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(bomb_png(8_000, 5_001))  # 40.008 MP
    with pytest.raises(InputError, match="at most 40 MP"):
        load_product_image(path)


def test_truncated_file_is_refused(tmp_path):
    buffer = io.BytesIO()
    noise = Image.effect_noise((300, 300), 80).convert("RGB")
    noise.save(buffer, format="PNG")
    data = buffer.getvalue()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt") as info:
        load_product_image(path)
    assert "save it again" in info.value.hint
    jpeg = io.BytesIO()
    noise.save(jpeg, format="JPEG")
    cut_jpeg = tmp_path / "cut.jpg"
    cut_jpeg.write_bytes(jpeg.getvalue()[:200])
    with pytest.raises(InputError, match="not a valid JPEG"):
        load_product_image(cut_jpeg)


def test_file_over_10_mb_is_refused_without_reading(tmp_path):
    path = tmp_path / "huge.png"
    with path.open("wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate(MAX_IMAGE_BYTES + 1)
    with pytest.raises(InputError, match="at most 10 MB") as info:
        load_product_image(path)
    assert "smaller" in info.value.hint


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_product_image(tmp_path / "nope.png")
    with pytest.raises(InputError, match="not a file"):
        load_product_image(tmp_path)


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (60, 20), "white")
    image.paste((255, 0, 0), (0, 0, 10, 20))  # red strip on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = save(image, tmp_path / "phone.jpg", "JPEG", exif=exif, quality=95)
    loaded = load_product_image(path)
    assert loaded.size == (20, 60)
    top = loaded.getpixel((10, 3))
    assert top[0] > 200 and top[1] < 80  # the red strip is now at the top


def test_sniff_format():
    assert sniff_format(b"\x89PNG\r\n\x1a\n....") == "PNG"
    assert sniff_format(b"\xff\xd8\xff\xe0") == "JPEG"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "WEBP"
    assert sniff_format(b"RIFF\x00\x00\x00\x00AVI ") is None
    assert sniff_format(b"GIF89a") is None
