"""Cost of the font chain and script-aware line breaking, per language.

Prints, for each language of the voice table, the time to draw a title scene and a list
scene with a burned-in caption (1920x1080, first draw includes opening its fonts), and the
overhead of the fallback chain on English text layout against plain Pillow fonts.

    nice -n 10 .venv/bin/python benchmarks/languages_bench.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PIL import ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.models import ListScene, Theme, TitleScene
from pipeline.render import make_renderer
from pipeline.render.base import RenderContext
from pipeline.render.fonts import load_font
from pipeline.render.text_layout import wrap_text
from pipeline.timeline import Caption, SceneTiming
from resources import font_path
from tests.language_samples import SAMPLES


def draw_scenes(language: str) -> float:
    title, item, sentence = SAMPLES[language]
    ctx = RenderContext(1920, 1080, 30, Theme(), True, language=language)
    timing = SceneTiming(0, 0.0, 90, 30, 0.2, 2.0, 0.0, (Caption(0.0, 3.0, sentence),), (), (0.3,))
    started = time.perf_counter()
    for scene in (
        TitleScene(title=title, subtitle=item),
        ListScene(header=title, items=[{"title": item}, {"title": sentence}]),
    ):
        make_renderer(scene, ctx, timing).frame_at(1.0)
    return time.perf_counter() - started


def main() -> None:
    print("language  first draw (s)  second draw (s)")
    for language in SAMPLES:
        first = draw_scenes(language)
        second = draw_scenes(language)
        print(f"{language:8}  {first:13.3f}  {second:15.3f}")
    text = " ".join(SAMPLES["en"]) * 3
    plain = ImageFont.truetype(str(font_path("DejaVuSans.ttf")), 40)
    chained = load_font("DejaVuSans.ttf", 40)
    for name, font in (("plain Pillow", plain), ("fallback chain", chained)):
        started = time.perf_counter()
        for width in range(300, 1300, 10):
            wrap_text(text, font, width)
        print(f"English wrap_text x100, {name}: {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
