"""Draw Video Studio's application icon: an SVG and PNGs at the usual freedesktop sizes.

Usage::

    python packaging/linux/make_icon.py [OUT_FOLDER]   # default: packaging/linux/icons

The icon is a dark rounded square with an orange play button, two sound waves (narration) and
two caption bars. One list of shapes (:data:`SHAPES`, coordinates on a 256-unit canvas) is both
written as SVG and drawn with Pillow (at 4× size, then reduced with a Lanczos filter for smooth
edges), so the two never disagree. The output is deterministic for a given Pillow version.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

CANVAS = 256
SIZES_PX = (16, 24, 32, 48, 64, 128, 256, 512)
SUPERSAMPLE = 4
HERE = Path(__file__).resolve().parent

BACKGROUND = "#1f2a44"
ACCENT = "#ff7a1a"
WHITE = "#ffffff"
CAPTION_2 = "#9fb3d9"


@dataclass(frozen=True)
class Shape:
    """One shape on the 256-unit canvas.

    ``kind`` is ``rect`` (``box`` = x0, y0, x1, y1; ``radius``), ``polygon`` (``points``) or
    ``arc`` (``box`` of its circle; ``start_deg``/``end_deg`` clockwise from 3 o'clock, as
    Pillow measures them; ``width``).
    """

    kind: str
    fill: str
    box: tuple[float, float, float, float] = (0, 0, 0, 0)
    radius: float = 0
    points: tuple[tuple[float, float], ...] = ()
    start_deg: float = 0
    end_deg: float = 0
    width: float = 0


SHAPES: tuple[Shape, ...] = (
    Shape("rect", BACKGROUND, box=(12, 12, 244, 244), radius=52),
    Shape("polygon", ACCENT, points=((70, 62), (70, 154), (146, 108))),
    Shape("arc", WHITE, box=(122, 80, 178, 136), start_deg=-50, end_deg=50, width=11),
    Shape("arc", WHITE, box=(104, 60, 200, 156), start_deg=-50, end_deg=50, width=11),
    Shape("rect", WHITE, box=(52, 176, 204, 192), radius=8),
    Shape("rect", CAPTION_2, box=(84, 202, 172, 216), radius=7),
)


def _svg_shape(shape: Shape) -> str:
    if shape.kind == "rect":
        x0, y0, x1, y1 = shape.box
        return (
            f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" '
            f'rx="{shape.radius}" fill="{shape.fill}"/>'
        )
    if shape.kind == "polygon":
        points = " ".join(f"{x},{y}" for x, y in shape.points)
        return f'<polygon points="{points}" fill="{shape.fill}" stroke-linejoin="round"/>'
    import math

    x0, y0, x1, y1 = shape.box
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 - shape.width / 2
    start, end = math.radians(shape.start_deg), math.radians(shape.end_deg)
    sx, sy = cx + r * math.cos(start), cy + r * math.sin(start)
    ex, ey = cx + r * math.cos(end), cy + r * math.sin(end)
    return (
        f'<path d="M {sx:.2f} {sy:.2f} A {r:.2f} {r:.2f} 0 0 1 {ex:.2f} {ey:.2f}" '
        f'fill="none" stroke="{shape.fill}" stroke-width="{shape.width}"/>'
    )


def svg() -> str:
    """The icon as an SVG document (256×256 view box)."""
    body = "\n  ".join(_svg_shape(shape) for shape in SHAPES)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CANVAS}" height="{CANVAS}" '
        f'viewBox="0 0 {CANVAS} {CANVAS}">\n  <title>Video Studio</title>\n  {body}\n</svg>\n'
    )


def png(size_px: int) -> Image.Image:
    """The icon as an RGBA image of ``size_px`` × ``size_px`` pixels."""
    big = size_px * SUPERSAMPLE
    scale = big / CANVAS
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for shape in SHAPES:
        if shape.kind == "rect":
            box = tuple(v * scale for v in shape.box)
            draw.rounded_rectangle(box, radius=shape.radius * scale, fill=shape.fill)
        elif shape.kind == "polygon":
            draw.polygon([(x * scale, y * scale) for x, y in shape.points], fill=shape.fill)
        else:
            box = tuple(v * scale for v in shape.box)
            draw.arc(
                box,
                shape.start_deg,
                shape.end_deg,
                fill=shape.fill,
                width=max(1, round(shape.width * scale)),
            )
    return image.resize((size_px, size_px), Image.Resampling.LANCZOS)


def write_icons(folder: Path) -> list[Path]:
    """Write ``videostudio.svg`` and ``videostudio-<N>.png`` for :data:`SIZES_PX` into
    ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "videostudio.svg"]
    written[0].write_text(svg(), encoding="utf-8")
    for size in SIZES_PX:
        path = folder / f"videostudio-{size}.png"
        png(size).save(path, optimize=True)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "icons"
    for path in write_icons(target):
        print(path)
