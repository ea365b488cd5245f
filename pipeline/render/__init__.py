"""Scene renderers: draw the frames of each scene type with Pillow/numpy."""

from pipeline.render.engine import SceneRenderer
from pipeline.render.registry import RENDERER_VERSION, RENDERERS, make_renderer

__all__ = ["RENDERERS", "RENDERER_VERSION", "SceneRenderer", "make_renderer"]
