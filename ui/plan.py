"""The render plan the preview and the storyboard follow, made by the studio's one request
builder.

"Preview = render": what the preview shows and plays, and the scene lengths the storyboard
prints, come from the render request the Render button would queue for the open project
(``studio.make_request(spec, overrides=<the project's render choices>)``): its spec (format,
captions, voice, language, theme and transitions as the settings and the project's choices
decide them), its speech options (speech mode, offline voice), its sound (music, loudness)
and its paid choices (an LLM's narration, AI clips). A :class:`RenderPlan` carries what the
preview needs of it; a :data:`PlanSource` makes one for a spec (on a worker thread: building a
request validates the whole spec).

The preview keeps every scene of the project: when the render condenses the video to a target
length, the plan is built with ``condense=False`` and :attr:`RenderPlan.condensed` says what
the render will do instead, for the label under the preview.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from pipeline.models import VideoSpec
from pipeline.render_job import RenderOptions
from pipeline.speech.chain import offline_forced
from pipeline.speech.registry import offline_voice_preference
from studio.api import RenderRequest

_PLANS_KEPT = 4
_PROBE = VideoSpec.model_validate(
    {"title": "probe", "scenes": [{"scene_type": "title", "title": "probe"}]}
)


@dataclass(frozen=True)
class RenderPlan:
    """What a render of a spec decides, as the preview uses it.

    Attributes:
        spec: the spec the render would draw, every scene kept (settings' defaults and the
            project's render choices applied, no condensing).
        options: the render's options (speech mode and offline voice resolved as the render
            resolves them in this process: ``VIDEOSTUDIO_OFFLINE`` forces offline speech).
        llm_narration: an LLM writes the narration at render time.
        ai_clips: clip scenes ask a paid Videos API at render time.
        condensed: what the render does to fit its target length (the request's note), or
            ``""`` when it renders every scene as they are.
        forced_offline: offline speech is forced (settings or ``VIDEOSTUDIO_OFFLINE``), so the
            render speaks with the offline voice too.
    """

    spec: VideoSpec
    options: RenderOptions = field(default_factory=lambda: RenderOptions(speech_mode="offline"))
    llm_narration: bool = False
    ai_clips: bool = False
    condensed: str = ""
    forced_offline: bool = False


class PlanSource(Protocol):
    """Makes the render plan of a spec. Thread-safe; may raise ``InputError`` (a render choice
    of the project does not validate).

    Attributes:
        speech_key: changes whenever the plans would speak differently (speech mode, offline
            voice, a voice the project's render choices force): the storyboard measures scene
            lengths again then.
    """

    speech_key: str

    def __call__(self, spec: VideoSpec) -> RenderPlan:
        """The render plan of ``spec``."""
        ...


def _speech_key(options: RenderOptions, voice: str = "", language: str = "") -> str:
    return "|".join(
        [options.speech_mode, options.offline_voice or "", f"{options.edge_timeout_s:g}", voice]
        + [language]
    )


def resolved_options(options: RenderOptions) -> RenderOptions:
    """``options`` with what the environment decides at render time made explicit (forced
    offline speech, the offline voice), so the preview helper — started earlier, with its own
    environment — speaks exactly as a render started now would."""
    changes: dict[str, object] = {}
    if offline_forced() and options.speech_mode != "offline":
        changes["speech_mode"] = "offline"
    if options.offline_voice is None and offline_voice_preference() is not None:
        changes["offline_voice"] = offline_voice_preference()
    return options.model_copy(update=changes) if changes else options


class FixedPlan:
    """A plan source without a studio: the spec as it is, with ``speech_mode`` speech (panels
    built on their own, tests)."""

    def __init__(self, speech_mode: str = "offline") -> None:
        self.options = resolved_options(RenderOptions(speech_mode=speech_mode))  # type: ignore[arg-type]
        self.speech_key = _speech_key(self.options)

    def __call__(self, spec: VideoSpec) -> RenderPlan:
        """The spec itself, with this source's speech."""
        forced = self.options.speech_mode == "offline"
        return RenderPlan(spec, self.options, forced_offline=forced)


def fixed_plan(speech_mode: str = "offline") -> PlanSource:
    """A :class:`FixedPlan` with ``speech_mode`` speech."""
    return FixedPlan(speech_mode)


class RequestPlans:
    """The plans of the open project, from the studio's request builder (cached per spec).

    Args:
        make_request: ``(spec, condense) -> RenderRequest``, i.e. ``studio.make_request(spec,
            overrides=…, default_output_dir=…, condense=condense)``. It is called once here,
            on a one-scene spec, to learn the speech the plans use (:attr:`speech_key`).
    """

    def __init__(self, make_request: Callable[[VideoSpec, bool], RenderRequest]) -> None:
        self._make = make_request
        self._lock = threading.Lock()
        self._plans: OrderedDict[int, tuple[VideoSpec, RenderPlan]] = OrderedDict()
        probe = make_request(_PROBE, False)
        self.speech_key = _speech_key(
            resolved_options(probe.options), probe.spec.scenes[0].voice or "", probe.spec.language
        )

    def __call__(self, spec: VideoSpec) -> RenderPlan:
        """The render plan of ``spec`` (specs are immutable: cached by identity)."""
        with self._lock:
            known = self._plans.get(id(spec))
            if known is not None and known[0] is spec:
                return known[1]
        plan = self._plan(spec)
        with self._lock:
            self._plans[id(spec)] = (spec, plan)
            while len(self._plans) > _PLANS_KEPT:
                self._plans.popitem(last=False)
        return plan

    def _plan(self, spec: VideoSpec) -> RenderPlan:
        rendered = self._make(spec, True)
        shown = rendered
        condensed = ""
        if rendered.notes:  # condensed to a target length: the preview keeps every scene
            shown = self._make(spec, False)
            if shown.spec.scenes != rendered.spec.scenes:
                condensed = "; ".join(rendered.notes)
        options = resolved_options(rendered.options)
        return RenderPlan(
            spec=shown.spec,
            options=options,
            llm_narration=rendered.paid.llm,
            ai_clips=rendered.paid.ai_clips,
            condensed=condensed,
            forced_offline=options.speech_mode == "offline",
        )
