"""Code scenes: command (terminal), code comparison (before/after), solution.

Code is drawn as a viewer reads it (issue 9):

* at least :data:`CODE_MIN_PX` px at 1080 (scaled with the layout), wrapped instead of cut,
  and split into pages (:func:`~pipeline.render.code_highlight.paginate_code`) that each stay
  at least ``max(5 s, 0.4 s × lines)``; the scene's minimum length is the sum
  (:attr:`SceneRenderer.min_display_s`, used by the timeline);
* a page's lines appear group by group (blocks between blank lines, at most
  :data:`GROUP_ROWS` rows) over its first seconds, the first at once;
* the window's badge names the language ("Python", "Shell");
* a terminal shows its commands from the start of the scene; a line that already has a
  prompt keeps it (never ``$ $``), comments and output lines are styled as such, and the
  command being talked about is highlighted in turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from pipeline.code_language import language_label
from pipeline.models import CodeComparisonScene, CommandScene, SolutionScene
from pipeline.render.code_highlight import (
    CodeLine,
    CodePages,
    draw_code_line,
    highlight,
    page_durations_s,
    paginate_code,
)
from pipeline.render.engine import Canvas, SceneRenderer
from pipeline.render.geometry import Rect, columns, rows
from pipeline.render.palette import RGB, ensure_contrast, mix
from pipeline.render.reading import ReadingPane
from pipeline.render.shapes import card, disc, rounded_rect
from pipeline.render.text_layout import fit_text
from pipeline.render.widgets import heading, reading_panel

BEFORE_RGB = (240, 113, 120)
AFTER_RGB = (195, 232, 141)
CODE_MIN_PX = 24
"""Smallest code size at 1080 (the issue's floor for readable code)."""
CODE_MAX_PX = 32
GROUP_ROWS = 4
ROW_STEP_S = 0.25
"""Lines of a page appear at this pace (group by group), at most half the page's time."""

_PROMPT_RE = re.compile(r"^(\$|%|>>>|\.\.\.|>|PS(?: [^>]*)?>|[A-Za-z]:\\[^>]*>)(\s|$)")
_OUTPUT_RE = re.compile(r"^(→|=>|->|<-|\.\.\.$)")
DEFAULT_PROMPTS = {"powershell": "PS> ", "batch": "> "}


@dataclass(frozen=True)
class TerminalLine:
    """One line of a terminal: ``kind`` is ``command``, ``continuation``, ``comment`` or
    ``output``; ``prompt`` the prompt drawn before a command (``""`` for the others)."""

    kind: str
    prompt: str
    text: str
    command: int  # index of the command (scene.commands) it belongs to


def classify_terminal(commands: list[str], language: str) -> list[TerminalLine]:
    """Split the scene's command strings into styled terminal lines (module docstring).

    A line starting with a prompt (``$``, ``%``, ``>``, ``>>>``, ``PS>``, ``C:\\>``) keeps
    it; a ``#`` line is a comment; when some lines have prompts, the lines without one are
    output; otherwise every other line is a command and gets the shell's prompt. A line
    after one ending in ``\\`` continues it.
    """
    raw = [(k, line.rstrip()) for k, cmd in enumerate(commands) for line in cmd.split("\n")]
    raw = [(k, line) for k, line in raw if line.strip()]
    has_prompts = any(_PROMPT_RE.match(line.lstrip()) for _, line in raw)
    prompt = DEFAULT_PROMPTS.get(language, "$ ")
    out: list[TerminalLine] = []
    continues = False
    for k, line in raw:
        stripped = line.lstrip()
        match = _PROMPT_RE.match(stripped)
        if continues:
            out.append(TerminalLine("continuation", "", line, k))
        elif match:
            out.append(TerminalLine("command", stripped[: match.end()], stripped[match.end() :], k))
        elif stripped.startswith("#"):
            out.append(TerminalLine("comment", "", stripped, k))
        elif has_prompts or _OUTPUT_RE.match(stripped):
            out.append(TerminalLine("output", "", stripped, k))
        else:
            out.append(TerminalLine("command", prompt, stripped, k))
        continues = out[-1].kind in ("command", "continuation") and line.endswith("\\")
    return out


def code_window(
    canvas: Canvas, rect: Rect, label: str, label_color: RGB | None = None, *, height: int = 0
) -> Rect:
    """A dark window-style card (three dots, a label) filling ``rect`` (or ``height`` px of
    it); returns the area for the code inside it."""
    p, px = canvas.palette, canvas.px
    h = min(rect.h, height) if height else rect.h
    face = card(canvas.image, Rect(rect.x, rect.y, rect.w, h), px(16), p.code_bg, shadow=p.shadow, shadow_px=px(4))  # fmt: skip
    bar_h = px(52)
    for i, color in enumerate(((255, 95, 86), (255, 189, 46), (39, 201, 63))):
        disc(canvas.image, face.x + px(28) + i * px(24), face.y + bar_h // 2, px(14), color)
    if label:
        lx = face.x + px(28) + 3 * px(24) + px(10)
        block = fit_text(
            label, canvas.fonts.bold, face.right - px(20) - lx, bar_h, max_px=px(26), min_px=px(22), max_lines=1
        )  # fmt: skip
        if block.lines:
            color = ensure_contrast(label_color or mix(p.code_text, p.code_bg, 0.2), p.code_bg)
            canvas.draw.text(
                (lx, face.y + bar_h // 2), block.lines[0], font=block.font, fill=color, anchor="lm"
            )
    canvas.draw.line(
        (face.x, face.y + bar_h, face.right - 1, face.y + bar_h),
        fill=mix(p.code_bg, p.code_text, 0.12),
        width=max(1, px(2)),
    )
    return Rect(face.x, face.y + bar_h, face.w, face.h - bar_h).inset(px(28), px(20))


def _groups(rows_: tuple[CodeLine, ...]) -> list[tuple[int, int]]:
    """Row spans ``[a, b)`` that appear together: blocks between blank rows, ≤ GROUP_ROWS."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i, row in enumerate(rows_):
        blank = not "".join(t for t, _ in row).strip()
        if i + 1 - start >= GROUP_ROWS or (blank and i > start):
            spans.append((start, i + 1))
            start = i + 1
    if start < len(rows_):
        spans.append((start, len(rows_)))
    return spans


def place_code_pages(
    renderer: SceneRenderer, canvas: Canvas, inner: Rect, layout: CodePages, *, start_s: float = 0.0
) -> float:
    """Register the pages of ``layout`` in ``inner`` as sprites timed over the scene; returns
    the minimum time they need (seconds)."""
    durations = page_durations_s(
        layout.lines_per_page, max(0.0, renderer.timing.duration_s - start_s)
    )
    t = start_s
    for p, page in enumerate(layout.pages):
        hide = t + durations[p] if p + 1 < len(layout.pages) else None
        step = min(ROW_STEP_S, 0.5 * durations[p] / max(1, len(page)))
        for a, b in _groups(page):
            y = inner.y + a * layout.line_height_px
            h = (b - a - 1) * layout.line_height_px + layout.glyph_h
            layer = canvas.layer(Rect(inner.x, y, inner.w, min(h, inner.bottom - y)))
            for r in range(a, b):
                draw_code_line(
                    layer.draw, page[r], layout.font, layout.char_w, 0, (r - a) * layout.line_height_px
                )  # fmt: skip
            canvas.add_sprite(
                layer, t + step * a, slide=False, hide_s=hide, group="item" if p == 0 else "later"
            )
        t += durations[p]
    return sum(page_durations_s(layout.lines_per_page))


def _code_pages(
    canvas: Canvas, inner: Rect, lines: list[CodeLine], max_px: int = CODE_MAX_PX
) -> CodePages:
    px = canvas.px
    return paginate_code(
        lines,
        inner.w,
        inner.h,
        max_px=px(max_px),
        min_px=px(CODE_MIN_PX),
        marker=canvas.palette.code_muted,
    )


class CommandRenderer(SceneRenderer):
    """Heading, description and a terminal whose lines are on screen from the start; the
    command being talked about is highlighted in turn."""

    scene_type = "command"
    scene: CommandScene

    def build(self, canvas: Canvas) -> None:
        """Draw heading, description and the terminal; highlight sprites per command."""
        c, px, p = canvas.content, canvas.px, canvas.palette
        scene = self.scene
        y = heading(canvas, c, scene.header)
        if scene.description:  # revealed as it is read
            share = 0.3 if scene.commands else 0.7
            rect = Rect(c.x, y + px(22), c.w, round(c.h * share))
            pane = ReadingPane(
                scene.description,
                rect,
                canvas.fonts.regular,
                px(38),
                p.muted,
                p.background,
                self.timing.words,
                self.ctx.fps,
                min_px=px(30),
                line_spacing=1.3,
                end_s=self.timing.narration_end_s,
                base=np.asarray(canvas.image.crop(rect.box), dtype=np.uint8),
                highlight=canvas.palette.accent,
            )
            canvas.add_overlay(pane)
            y += px(22) + pane.height_px
        if not scene.commands:
            return
        top = y + px(36)
        area = Rect(c.x, top, c.w, c.bottom - top)
        terminal = classify_terminal(scene.commands, scene.language)
        prompt_rgb = ensure_contrast(mix(p.accent, (255, 255, 255), 0.35), p.code_bg)
        comment_rgb = ensure_contrast(p.code_muted, p.code_bg)
        output_rgb = ensure_contrast(mix(p.code_text, p.code_bg, 0.25), p.code_bg)
        lines: list[CodeLine] = []
        for line in terminal:
            if line.kind == "command":
                coloured = highlight(line.text, scene.language, p.code_text)
                lines.append(((line.prompt, prompt_rgb), *(run for row in coloured for run in row)))
            elif line.kind == "continuation":
                coloured = highlight(line.text, scene.language, p.code_text)
                lines.append(tuple(run for row in coloured for run in row))
            else:
                lines.append(((line.text, comment_rgb if line.kind == "comment" else output_rgb),))
        bar = px(52)
        probe = Rect(area.x, area.y, area.w, area.h).inset(px(28), px(20))
        layout = _code_pages(canvas, Rect(probe.x, probe.y, probe.w, probe.h - bar), lines, 38)
        rows_h = max(layout.height_px(k) for k in range(len(layout.pages)))
        card_h = bar + rows_h + 2 * px(20) + px(4)
        area = area.moved(0, max(0, (area.h - card_h) // 3))  # a short terminal sits higher
        inner = code_window(canvas, area, language_label(scene.language), height=card_h)
        self.min_display_s = place_code_pages(self, canvas, inner, layout)
        if len(layout.pages) == 1:
            self._highlights(canvas, inner, layout, terminal)

    def _highlights(
        self, canvas: Canvas, inner: Rect, layout: CodePages, terminal: list[TerminalLine]
    ) -> None:
        """A soft band behind the rows of the command being talked about, in turn."""
        p, px = canvas.palette, canvas.px
        band_rgb = mix(p.code_bg, p.accent, 0.16)
        if len(layout.pages[0]) != len(terminal):
            return  # wrapped lines: rows and commands no longer line up one to one
        rows_of: dict[int, list[int]] = {}
        for row, line in enumerate(terminal):
            rows_of.setdefault(line.command, []).append(row)
        commands = sorted(rows_of)
        starts = [max(self.reveal_s(k), 0.6) for k in commands]
        for n, k in enumerate(commands):
            rows_k = rows_of.get(k, [])
            if not rows_k or len(commands) < 2:
                continue
            a, b = min(rows_k), max(rows_k) + 1
            y = inner.y + a * layout.line_height_px - px(4)
            h = (b - a - 1) * layout.line_height_px + layout.glyph_h + px(8)
            layer = canvas.layer(Rect(inner.x - px(12), y, inner.w + px(24), h))
            rounded_rect(layer.image, layer.local, px(8), band_rgb)
            for r in range(a, b):
                draw_code_line(
                    layer.draw, layout.pages[0][r], layout.font, layout.char_w, px(12),
                    px(4) + (r - a) * layout.line_height_px,
                )  # fmt: skip
            hide = starts[n + 1] if n + 1 < len(starts) else None
            canvas.add_sprite(layer, starts[n], slide=False, hide_s=hide, group="answer")


class CodeComparisonRenderer(SceneRenderer):
    """Before and after code side by side (stacked when the frame is not landscape)."""

    scene_type = "code_comparison"
    scene: CodeComparisonScene

    def build(self, canvas: Canvas) -> None:
        """Draw heading, the two code windows (paged) and the improvement note."""
        c, px = canvas.content, canvas.px
        scene = self.scene
        y = heading(canvas, c, scene.header, eyebrow=language_label(scene.language))
        top = y + px(36)
        area = Rect(c.x, top, c.w, c.bottom - top)
        if scene.improvement:
            note, area = area.take_bottom(
                round(area.h * (0.2 if canvas.landscape else 0.16)), px(28)
            )
            reading_panel(self, canvas, note, scene.improvement, max_px=34, min_px=26)
        gap = px(28)
        halves = columns(area, 2, gap) if canvas.landscape else rows(area, 2, gap)
        needed = 0.0
        for half, code, label, color in (
            (halves[0], scene.before_code, scene.before_label, BEFORE_RGB),
            (halves[1], scene.after_code, scene.after_label, AFTER_RGB),
        ):
            inner = code_window(canvas, half, label, color)
            lines = highlight(code, scene.language, canvas.palette.code_text)
            needed = max(needed, place_code_pages(self, canvas, inner, _code_pages(canvas, inner, lines)))  # fmt: skip
        self.min_display_s = needed


class SolutionRenderer(SceneRenderer):
    """Code (paged, badge naming the language) and its explanation revealed as read."""

    scene_type = "solution"
    scene: SolutionScene

    def build(self, canvas: Canvas) -> None:
        """Draw heading, code window and explanation panel."""
        c, px = canvas.content, canvas.px
        scene = self.scene
        label = language_label(scene.language)
        y = heading(canvas, c, scene.title, eyebrow=label)
        top = y + px(36)
        area = Rect(c.x, top, c.w, c.bottom - top)
        has_code = bool(scene.code.strip())
        gap = px(28)
        code_rect: Rect | None = area if has_code else None
        if has_code and scene.explanation:
            if canvas.landscape:
                code_w = round((area.w - gap) * 0.62)
                code_rect = Rect(area.x, area.y, code_w, area.h)
                text_rect = Rect(area.x + code_w + gap, area.y, area.w - code_w - gap, area.h)
            else:
                text_rect, code_rect = area.take_top(round(area.h * 0.3), gap)
            reading_panel(self, canvas, text_rect, scene.explanation, max_px=36, min_px=26)
        elif not has_code:
            reading_panel(self, canvas, area, scene.explanation, max_px=44, min_px=28)
        if code_rect is not None:
            inner = code_window(canvas, code_rect, label)
            lines = highlight(scene.code, scene.language, canvas.palette.code_text)
            self.min_display_s = place_code_pages(
                self, canvas, inner, _code_pages(canvas, inner, lines)
            )
