"""Animated infographics: the local fallback of an AI clip (meter, bars, pie, progress, calendar).

:func:`validate_infographic` checks the data before anything is drawn (so a bad template
fails in ``make_renderer``, not in the middle of an encode). :class:`InfographicAnimation`
draws the chart into a fixed rectangle at an integer animation *step* ``0 .. n_steps``
(one step per frame of the animation), so the frame key of an animated scene is the step and
everything after the animation (the static tail) shares one key.

Each chart is drawn at 2× on a nearest-neighbour upscale of the static pixels under it and
box-downscaled back, which anti-aliases the shapes while leaving untouched pixels exactly as
they were.

Animations (``progress`` 0 → 1, eased):

* meter — a half-circle gauge: the value arc and the needle sweep from 0 to the value, the
  percentage counts up;
* bars — bars grow one after another from the baseline, values count up above them, labels
  below;
* pie — a donut whose slices sweep in clockwise, with a legend of labels and shares;
* progress — a rounded bar fills to the value while the percentage counts up;
* calendar — a month grid where the marked days pop in one after another.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from pipeline.errors import InputError
from pipeline.models import Infographic, InfographicKind
from pipeline.render.base import RGBFrame
from pipeline.render.fonts import FontSet
from pipeline.render.palette import RGB, Palette, mix
from pipeline.render.text_layout import TextBlock, draw_block, fit_text
from pipeline.render.textlog import new_draw

SUPERSAMPLE = 2
"""Charts are drawn at this multiple of the frame's resolution, then reduced."""
ANIMATION_S: dict[InfographicKind, float] = {
    InfographicKind.METER: 1.6,
    InfographicKind.BARS: 2.0,
    InfographicKind.PIE: 1.8,
    InfographicKind.PROGRESS: 2.0,
    InfographicKind.CALENDAR: 2.4,
}
"""Length of each kind's animation, seconds (shortened to fit a short scene)."""
WEEKDAYS = ("M", "T", "W", "T", "F", "S", "S")
CALENDAR_DAYS = 31
_HINT = "fix the infographic data of the template, or render the scene as a text card"


def validate_infographic(info: Infographic) -> None:
    """Check that ``info`` can be drawn; raise before any frame is rendered.

    The model already checks label counts, negative values and the 0–1 range of meters and
    progress bars; this adds what each drawing needs.

    Raises:
        InputError: (a ``ValueError``) naming the problem: non-finite values, a meter or
            progress bar with more than one value, bars or a pie that add up to zero, calendar
            days that are not whole numbers 1–31 or repeat.
    """
    kind = info.kind

    def fail(message: str) -> InputError:
        return InputError(f"infographic ({kind.value}): {message}", hint=_HINT)

    if not all(math.isfinite(v) for v in info.values):
        raise fail("values must be finite numbers")
    if kind in (InfographicKind.METER, InfographicKind.PROGRESS) and len(info.values) != 1:
        raise fail(f"shows exactly one value between 0 and 1, got {len(info.values)}")
    if kind in (InfographicKind.BARS, InfographicKind.PIE) and sum(info.values) <= 0:
        raise fail("needs at least one value above 0")
    if kind is InfographicKind.CALENDAR:
        days = info.values
        if any(d != int(d) or not 1 <= d <= CALENDAR_DAYS for d in days):
            raise fail(f"days to mark must be whole numbers 1–{CALENDAR_DAYS}, got {days}")
        if len(set(days)) != len(days):
            raise fail(f"days to mark repeat: {days}")


def animation_s(info: Infographic, available_s: float) -> float:
    """The animation length of ``info`` for a scene with ``available_s`` seconds left."""
    return max(0.3, min(ANIMATION_S[info.kind], available_s))


def ease_out(x: float) -> float:
    """Cubic ease-out of ``x`` clamped to 0–1."""
    x = max(0.0, min(1.0, x))
    return 1.0 - (1.0 - x) ** 3


def series_colors(accent: RGB, n: int) -> list[RGB]:
    """``n`` distinct colours starting with ``accent`` (hue steps of the golden angle)."""
    h, l_, s = colorsys.rgb_to_hls(*(c / 255 for c in accent))
    colors = []
    for k in range(n):
        hue = (h + k * 0.381966) % 1.0
        light = min(0.62, max(0.42, l_)) if k else l_
        r, g, b = colorsys.hls_to_rgb(hue, light, max(0.55, s) if k else s)
        colors.append((round(r * 255), round(g * 255), round(b * 255)))
    return colors


def format_value(value: float, unit: str) -> str:
    """A value with its unit: ``$1,200``, ``45%``, ``3.5 months``."""
    if abs(value) >= 100 or float(value).is_integer():
        number = f"{value:,.0f}"
    else:
        number = f"{value:,.1f}".rstrip("0").rstrip(".")
    if not unit:
        return number
    if unit in ("$", "€", "£", "¥"):
        return f"{unit}{number}"
    if unit == "%":
        return f"{number}%"
    return f"{number} {unit}"


@dataclass(frozen=True)
class ChartStyle:
    """Colours, fonts and scale a chart is drawn with.

    Attributes:
        palette: the theme's colours.
        fonts: the theme's faces.
        scale: pixels per 1080-pixel unit *at the drawing resolution* (frame unit × 2).
        fill: the colour under the chart (the card it sits on).
    """

    palette: Palette
    fonts: FontSet
    scale: float
    fill: RGB

    def px(self, value: float) -> int:
        """``value`` (at 1080 px) at the drawing resolution, at least 1."""
        return max(1, round(value * self.scale))

    @property
    def track(self) -> RGB:
        """The colour of empty tracks and grid lines."""
        return mix(self.fill, self.palette.muted, 0.22)


def _text(
    style: ChartStyle, text: str, w: int, h: int, size: int, *, bold: bool = False, lines: int = 1
) -> TextBlock:
    return fit_text(
        text,
        style.fonts.bold if bold else style.fonts.regular,
        max(1, w),
        max(1, h),
        max_px=style.px(size),
        min_px=style.px(min(size, 14)),
        max_lines=lines,
        line_spacing=1.15,
    )


def _center(draw: ImageDraw.ImageDraw, block: TextBlock, cx: float, y: float, fill: RGB) -> None:
    if block.lines:
        draw_block(
            draw, block, round(cx - block.width_px / 2), round(y), fill, align="center",
            box_w=block.width_px,
        )  # fmt: skip


def draw_meter(image: Image.Image, info: Infographic, progress: float, style: ChartStyle) -> None:
    """Half-circle gauge; the arc and needle sweep to the value, the percentage counts up."""
    draw = new_draw(image)
    w, h = image.size
    p = style.palette
    value = info.values[0] * ease_out(progress)
    label = info.labels[0] if info.labels else ""
    value_h = round(h * 0.2)
    label_h = round(h * 0.1) if label else 0
    cy = h - value_h - label_h - style.px(12)
    r = max(4, min(round(w * 0.44), cy - style.px(8)))
    cx = w // 2
    thick = max(2, round(r * 0.2))
    box = (cx - r, cy - r, cx + r, cy + r)
    draw.arc(box, 180, 360, fill=style.track, width=thick)
    end = 180 + 180 * value
    if value > 0:
        draw.arc(box, 180, end, fill=p.accent, width=thick)
    for k in range(11):  # ticks every 10 %
        a = math.radians(180 + 18 * k)
        r0, r1 = r - thick - style.px(6), r - thick - style.px(6 + (18 if k % 5 == 0 else 9))
        draw.line(
            (cx + r0 * math.cos(a), cy + r0 * math.sin(a), cx + r1 * math.cos(a), cy + r1 * math.sin(a)),
            fill=mix(style.fill, p.muted, 0.6),
            width=style.px(3),
        )  # fmt: skip
    a = math.radians(end)
    needle = r - thick // 2
    draw.line(
        (cx, cy, cx + needle * math.cos(a), cy + needle * math.sin(a)),
        fill=p.text,
        width=max(2, style.px(8)),
    )
    hub = max(3, style.px(18))
    draw.ellipse((cx - hub, cy - hub, cx + hub, cy + hub), fill=p.text)
    number = _text(style, f"{round(value * 100)}%", w, value_h, 96, bold=True)
    _center(draw, number, cx, cy + hub + style.px(8), p.text)
    if label:
        _center(draw, _text(style, label, w, label_h, 34), cx, h - label_h, p.muted)


def draw_bars(image: Image.Image, info: Infographic, progress: float, style: ChartStyle) -> None:
    """Bars growing one after another, values counting up above them, labels below."""
    draw = new_draw(image)
    w, h = image.size
    p = style.palette
    n = len(info.values)
    top_v = max(info.values)
    value_h = round(h * 0.1)
    label_h = round(h * 0.16) if info.labels else 0
    base_y = h - label_h - style.px(10)
    plot_h = max(1, base_y - value_h - style.px(8))
    slot = w / n
    bar_w = max(2, round(slot * 0.62))
    stagger = min(0.1, 0.45 / max(1, n - 1)) if n > 1 else 0.0
    span = 1.0 - stagger * (n - 1)
    colors = series_colors(p.accent, 2)
    draw.line((0, base_y, w, base_y), fill=style.track, width=style.px(3))
    for k, value in enumerate(info.values):
        local = ease_out((progress - k * stagger) / span)
        cx = slot * (k + 0.5)
        full_h = plot_h * value / top_v
        bar_h = round(full_h * local)
        x0 = round(cx - bar_w / 2)
        color = colors[0] if value == top_v else mix(colors[0], style.fill, 0.35)
        if bar_h > 0:
            radius = min(bar_w // 4, bar_h // 2, style.px(14))
            draw.rounded_rectangle(
                (x0, base_y - bar_h, x0 + bar_w, base_y), radius=radius, fill=color
            )
        if local > 0:
            number = _text(style, format_value(value * local, info.unit), round(slot), value_h, 40, bold=True)  # fmt: skip
            _center(draw, number, cx, base_y - bar_h - style.px(8) - number.height_px, p.text)
        if info.labels:
            block = _text(style, info.labels[k], round(slot * 0.96), label_h, 30, lines=2)
            _center(draw, block, cx, base_y + style.px(12), p.muted)


def draw_pie(image: Image.Image, info: Infographic, progress: float, style: ChartStyle) -> None:
    """A donut whose slices sweep in clockwise from 12 o'clock, with a legend."""
    draw = new_draw(image)
    w, h = image.size
    p = style.palette
    n = len(info.values)
    total = sum(info.values)
    colors = series_colors(p.accent, n)
    side = w >= h * 1.15
    if side:
        d = min(h, round(w * 0.48)) - style.px(8)
        cx, cy = d // 2 + style.px(4), h // 2
        legend = (d + style.px(40), 0, w, h)
    else:
        d = min(w, round(h * 0.58)) - style.px(8)
        cx, cy = w // 2, d // 2 + style.px(4)
        legend = (0, d + style.px(28), w, h)
    r = d // 2
    sweep = 360 * ease_out(progress)
    start = -90.0
    for value, color in zip(info.values, colors, strict=True):
        extent = 360 * value / total
        end = min(start + extent, -90 + sweep)
        if end > start:
            draw.pieslice((cx - r, cy - r, cx + r, cy + r), start, end, fill=color)
        start += extent
    hole = round(r * 0.56)
    draw.ellipse((cx - hole, cy - hole, cx + hole, cy + hole), fill=style.fill)
    if info.unit and info.unit != "%":
        total_text = _text(style, format_value(total, info.unit), hole * 2 - style.px(16), hole, 48, bold=True)  # fmt: skip
        _center(draw, total_text, cx, cy - total_text.height_px / 2, p.text)
    # Legend: swatch, label, share.
    lx0, ly0, lx1, ly1 = legend
    n_cols = 1 if side or n <= 4 else 2
    rows = -(-n // n_cols)
    row_h = min(style.px(70), max(1, (ly1 - ly0) // max(1, rows)))
    col_w = (lx1 - lx0) // n_cols
    for k, value in enumerate(info.values):
        col, row = divmod(k, rows)
        x = lx0 + col * col_w
        y = ly0 + row * row_h + (0 if side else 0)
        if side:
            y += max(0, (ly1 - ly0 - rows * row_h) // 2)
        sw = max(2, round(row_h * 0.42))
        draw.rounded_rectangle((x, y + (row_h - sw) // 2, x + sw, y + (row_h + sw) // 2), radius=max(1, sw // 4), fill=colors[k])  # fmt: skip
        share = f"{100 * value / total:.0f}%"
        name = info.labels[k] if info.labels else format_value(value, info.unit)
        text = _text(style, f"{name}  {share}", col_w - sw - style.px(20), row_h, 32)
        if text.lines:
            draw_block(draw, text, x + sw + style.px(12), y + (row_h - text.height_px) // 2, p.text)


def draw_progress(
    image: Image.Image, info: Infographic, progress: float, style: ChartStyle
) -> None:
    """A rounded bar filling to the value while the percentage counts up."""
    draw = new_draw(image)
    w, h = image.size
    p = style.palette
    value = info.values[0] * ease_out(progress)
    label = info.labels[0] if info.labels else ""
    track_h = max(4, min(style.px(64), round(h * 0.16)))
    number = _text(style, f"{round(value * 100)}%", w, round(h * 0.34), 120, bold=True)
    label_block = _text(style, label, w, round(h * 0.14), 34) if label else None
    total = number.height_px + style.px(24) + track_h + style.px(30)
    total += label_block.height_px if label_block is not None else 0
    y = max(0, (h - total) // 2)
    _center(draw, number, w / 2, y, p.text)
    y += number.height_px + style.px(24)
    x0, x1 = style.px(8), w - style.px(8)
    draw.rounded_rectangle((x0, y, x1, y + track_h), radius=track_h // 2, fill=style.track)
    for frac in (0.25, 0.5, 0.75):
        tx = round(x0 + (x1 - x0) * frac)
        draw.line((tx, y + track_h + style.px(6), tx, y + track_h + style.px(16)), fill=style.track, width=style.px(3))  # fmt: skip
    fill_w = round((x1 - x0) * value)
    if fill_w > 0:
        fill_w = max(fill_w, track_h)
        draw.rounded_rectangle((x0, y, x0 + fill_w, y + track_h), radius=track_h // 2, fill=p.accent)  # fmt: skip
    if label_block is not None:
        _center(draw, label_block, w / 2, y + track_h + style.px(30), p.muted)


def draw_calendar(
    image: Image.Image, info: Infographic, progress: float, style: ChartStyle
) -> None:
    """A month grid (Monday first) where the marked days pop in one after another."""
    draw = new_draw(image)
    w, h = image.size
    p = style.palette
    n_rows = -(-CALENDAR_DAYS // 7)
    cell = max(4, min(w // 7, h // (n_rows + 1)))
    gx = (w - 7 * cell) // 2
    gy = (h - (n_rows + 1) * cell) // 2
    head = _text(style, "M", cell, cell, 30, bold=True)
    for k, weekday in enumerate(WEEKDAYS):
        block = TextBlock((weekday,), head.font, head.line_height_px, head.width_px, head.height_px)
        _center(draw, block, gx + cell * (k + 0.5), gy + (cell - head.height_px) / 2, p.muted)
    marked = sorted(int(d) for d in info.values)
    labels = dict(zip((int(d) for d in info.values), info.labels, strict=False))
    n = len(marked)
    window = 0.35 if n > 1 else 1.0
    day_font = _text(style, "31", round(cell * 0.6), round(cell * 0.4), 40)
    for day in range(1, CALENDAR_DAYS + 1):
        row, col = divmod(day - 1, 7)
        x, y = gx + col * cell, gy + (row + 1) * cell
        inset = max(1, round(cell * 0.06))
        draw.rounded_rectangle(
            (x + inset, y + inset, x + cell - inset, y + cell - inset),
            radius=max(1, round(cell * 0.14)),
            outline=style.track,
            width=max(1, style.px(2)),
        )
        color = p.text
        if day in marked:
            k = marked.index(day)
            start = (1.0 - window) * (k / max(1, n - 1)) if n > 1 else 0.0
            pop = ease_out((progress - start) / window)
            if pop > 0:
                rad = (cell / 2 - inset * 2) * pop
                cxm, cym = x + cell / 2, y + cell / 2
                draw.ellipse((cxm - rad, cym - rad, cxm + rad, cym + rad), fill=p.accent_fill)
                if pop > 0.6:
                    color = p.on_accent
        text = TextBlock((str(day),), day_font.font, day_font.line_height_px, 0, day_font.height_px)
        width = day_font.font.getlength(str(day))
        label = labels.get(day, "")
        ty = y + (cell - text.height_px) / 2 - (cell * 0.12 if label and color != p.text else 0)
        draw.text(
            (x + (cell - width) / 2, ty), str(day), font=day_font.font, fill=color, anchor="la"
        )
        if label and color != p.text:
            small = _text(style, label, cell - 2 * inset, round(cell * 0.26), 18)
            _center(draw, small, x + cell / 2, ty + text.height_px, color)


_DRAW = {
    InfographicKind.METER: draw_meter,
    InfographicKind.BARS: draw_bars,
    InfographicKind.PIE: draw_pie,
    InfographicKind.PROGRESS: draw_progress,
    InfographicKind.CALENDAR: draw_calendar,
}


class InfographicAnimation:
    """The animated chart of a scene: pixels of its rectangle per animation step.

    Args:
        info: validated infographic data.
        base: the static pixels under the chart, shape ``(h, w, 3)`` uint8.
        palette, fonts: the theme.
        unit: frame scale (pixels per 1080-pixel unit).
        fill: the colour under the chart.
        n_steps: the animation has steps ``0 .. n_steps`` (``n_steps`` = finished).

    Raises:
        InputError: from :func:`validate_infographic`.
    """

    def __init__(
        self,
        info: Infographic,
        base: RGBFrame,
        *,
        palette: Palette,
        fonts: FontSet,
        unit: float,
        fill: RGB,
        n_steps: int,
    ) -> None:
        validate_infographic(info)
        self.info = info
        self.n_steps = max(1, n_steps)
        self._base = Image.fromarray(base)
        self._style = ChartStyle(palette, fonts, unit * SUPERSAMPLE, fill)
        self._cache: tuple[int, RGBFrame] | None = None
        self._final = self._draw(self.n_steps)  # fails here, not mid-encode

    def progress(self, step: int) -> float:
        """Linear progress 0–1 of ``step``."""
        return max(0, min(self.n_steps, step)) / self.n_steps

    def patch(self, step: int) -> RGBFrame:
        """The chart's pixels at ``step`` (clamped), shape ``(h, w, 3)`` uint8 (do not modify)."""
        step = max(0, min(self.n_steps, step))
        if step == self.n_steps:
            return self._final
        if self._cache is None or self._cache[0] != step:
            self._cache = (step, self._draw(step))
        return self._cache[1]

    def _draw(self, step: int) -> RGBFrame:
        w, h = self._base.size
        big = self._base.resize((w * SUPERSAMPLE, h * SUPERSAMPLE), Image.Resampling.NEAREST)
        _DRAW[self.info.kind](big, self.info, self.progress(step), self._style)
        return np.ascontiguousarray(np.asarray(big.reduce(SUPERSAMPLE), dtype=np.uint8))
