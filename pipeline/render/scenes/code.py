"""Code scenes: command (terminal), code comparison (before/after), solution."""

from __future__ import annotations

from pipeline.models import CodeComparisonScene, CommandScene, SolutionScene
from pipeline.render.code_highlight import CodeLine, draw_code_line, fit_code, highlight
from pipeline.render.engine import Canvas, SceneRenderer
from pipeline.render.geometry import Rect, columns, rows
from pipeline.render.palette import mix
from pipeline.render.shapes import card, disc
from pipeline.render.text_layout import draw_block, fit_text
from pipeline.render.widgets import code_card, heading, text_panel

BEFORE_RGB = (240, 113, 120)
AFTER_RGB = (195, 232, 141)


class CommandRenderer(SceneRenderer):
    """Heading, description and a terminal whose command lines appear one by one."""

    scene_type = "command"
    scene: CommandScene

    def build(self, canvas: Canvas) -> None:
        """Draw heading, description and the terminal; one sprite per command line."""
        c, px, p = canvas.content, canvas.px, canvas.palette
        scene = self.scene
        y = heading(canvas, c, scene.header)
        if scene.description:
            share = 0.22 if scene.commands else 0.6
            block = fit_text(
                scene.description,
                canvas.fonts.regular,
                c.w,
                round(c.h * share),
                max_px=px(34),
                min_px=px(18),
                line_spacing=1.3,
            )
            draw_block(canvas.draw, block, c.x, y + px(22), p.muted)
            y += px(22) + block.height_px
        if not scene.commands:
            return
        top = y + px(36)
        area = Rect(c.x, top, c.w, c.bottom - top)
        bar_h, pad_x, pad_y, shadow = px(48), px(32), px(26), px(4)
        if area.h < bar_h + 2 * pad_y + px(20):
            return
        prompt = mix(p.accent, (255, 255, 255), 0.35)
        lines: list[CodeLine] = []
        for command in scene.commands:
            coloured = highlight(" ".join(command.split()), scene.language, p.code_text)
            flat = tuple(run for line in coloured for run in line)
            lines.append((("$ ", prompt), *flat))
        inner_w = area.w - 2 * pad_x
        inner_h = area.h - bar_h - 2 * pad_y - shadow
        layout = fit_code(
            lines, inner_w, inner_h, max_px=px(34), min_px=px(14), marker=p.code_muted
        )
        card_h = min(area.h, bar_h + 2 * pad_y + layout.height_px + shadow)
        face = card(
            canvas.image,
            Rect(area.x, area.y, area.w, card_h),
            px(16),
            p.code_bg,
            shadow=p.shadow,
            shadow_px=shadow,
        )
        for i, color in enumerate(((255, 95, 86), (255, 189, 46), (39, 201, 63))):
            disc(canvas.image, face.x + px(28) + i * px(24), face.y + bar_h // 2, px(14), color)
        canvas.draw.line(
            (face.x, face.y + bar_h, face.right - 1, face.y + bar_h),
            fill=mix(p.code_bg, p.code_text, 0.12),
            width=px(2),
        )
        x0, y0 = face.x + pad_x, face.y + bar_h + pad_y
        glyph_h = sum(layout.font.getmetrics())
        for k, line in enumerate(layout.lines):
            layer = canvas.layer(Rect(x0, y0 + k * layout.line_height_px, inner_w, glyph_h))
            draw_code_line(layer.draw, line, layout.font, layout.char_w, 0, 0)
            canvas.add_sprite(layer, self.reveal_s(k), slide=False)


class CodeComparisonRenderer(SceneRenderer):
    """Before and after code side by side (stacked when the frame is not landscape)."""

    scene_type = "code_comparison"
    scene: CodeComparisonScene

    def build(self, canvas: Canvas) -> None:
        """Draw heading, the two code cards and the improvement note."""
        c, px = canvas.content, canvas.px
        scene = self.scene
        y = heading(canvas, c, scene.header)
        top = y + px(36)
        area = Rect(c.x, top, c.w, c.bottom - top)
        if scene.improvement:
            note, area = area.take_bottom(
                round(area.h * (0.2 if canvas.landscape else 0.16)), px(28)
            )
            text_panel(canvas, note, scene.improvement, max_px=30, min_px=16)
        gap = px(28)
        halves = columns(area, 2, gap) if canvas.landscape else rows(area, 2, gap)
        code_card(
            canvas,
            halves[0],
            scene.before_code,
            scene.language,
            label=scene.before_label,
            label_color=BEFORE_RGB,
        )
        code_card(
            canvas,
            halves[1],
            scene.after_code,
            scene.language,
            label=scene.after_label,
            label_color=AFTER_RGB,
        )


class SolutionRenderer(SceneRenderer):
    """Solution code and its explanation."""

    scene_type = "solution"
    scene: SolutionScene

    def build(self, canvas: Canvas) -> None:
        """Draw heading, code card and explanation panel."""
        c, px = canvas.content, canvas.px
        scene = self.scene
        y = heading(canvas, c, scene.title, eyebrow="Solution")
        top = y + px(36)
        area = Rect(c.x, top, c.w, c.bottom - top)
        has_code = bool(scene.code.strip())
        gap = px(28)
        if has_code and scene.explanation:
            if canvas.landscape:
                code_w = round((area.w - gap) * 0.6)
                code_rect = Rect(area.x, area.y, code_w, area.h)
                text_rect = Rect(area.x + code_w + gap, area.y, area.w - code_w - gap, area.h)
            else:
                text_rect, code_rect = area.take_bottom(round(area.h * 0.36), gap)
            code_card(canvas, code_rect, scene.code, scene.language, label=scene.language)
            text_panel(canvas, text_rect, scene.explanation, max_px=34, min_px=16)
        elif has_code:
            code_card(canvas, area, scene.code, scene.language, label=scene.language)
        else:
            text_panel(canvas, area, scene.explanation, max_px=44)
