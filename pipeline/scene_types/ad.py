"""The ``ad`` scene type: one short-form ad beat with big text and an optional product image."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from pipeline.scene_types.base import Phrases, SceneBase, SceneTypeDescriptor, ShortText

AdRole = Literal["hook", "problem", "agitate", "reveal", "demo", "benefit", "proof", "offer", "cta"]


class AdScene(SceneBase):
    """A short-form ad beat (2–3 s): big on-screen text, optional product image.

    On-screen text appears ``text_lead_s`` (default 0.3 s) before the voice; the product and
    the text are visible within the first second of the video.

    Attributes:
        role: the beat in the archetype's structure (hook, problem, reveal, …, cta).
        headline: the on-screen text (short, bold).
        body: optional smaller line.
        image_path: a validated product image (PNG/JPEG/WebP), if any.
        text_lead_s: how long before the narration the text is on screen.
    """

    scene_type: Literal["ad"] = "ad"
    role: AdRole = "hook"
    headline: ShortText = Field(min_length=1)
    body: ShortText = ""
    image_path: Annotated[str, StringConstraints(max_length=1024)] | None = None
    text_lead_s: float = Field(default=0.3, ge=0.0, le=1.0)


def _parts(scene: AdScene, p: Phrases) -> list[str]:
    return [scene.headline, scene.body]


def _build(
    headline: str, body: str = "", role: str = "hook", *, image_path: str | None = None
) -> dict[str, Any]:
    """A short-form ad beat."""
    return {"headline": headline, "body": body, "role": role, "image_path": image_path}


def _video_gen(fields: dict[str, Any]) -> None:
    if "headline" not in fields:
        fields["headline"] = fields.get("title") or fields.get("text") or "Headline"
    if "body" not in fields and isinstance(fields.get("subtitle"), str):
        fields["body"] = fields["subtitle"]


DESCRIPTOR = SceneTypeDescriptor(
    name="ad",
    model=AdScene,
    renderer="pipeline.render.scenes.ad:AdRenderer",
    narration_parts=_parts,
    default_content={"role": "hook", "headline": "Your hook here"},
    builder=_build,
    video_gen_fix=_video_gen,
    yaml_aliases=("ad_beat",),
)
