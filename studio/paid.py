"""Paid AI for one render: governed LLM narration and AI clips, built from settings + secrets.

Nothing here spends money by itself: every provider gets the budget ledger
(:class:`~studio.budget.BudgetGovernor`) as its governor, so each paid call is estimated,
reserved, approved where required and settled. With no key, paid AI off, or any refusal, the
render falls back (rules for narration; infographic or text card for clips) and says why.

AI clips are cached in the content cache under a key made of the scene's ``cache_key`` (for
persona × topic templates ``sha256("persona:topic")[:16]``) and the provider settings, so every
user of a persona shares one clip. The remote job id is checkpointed as soon as the gateway
accepts a job, so a render resumed after a crash polls that job instead of paying again.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pipeline.ai.costs import estimate_video
from pipeline.artifacts import content_key
from pipeline.models import ClipScene, Scene, VideoSpec
from pipeline.progress import CancelToken
from studio.budget import BudgetGovernor, BudgetPolicy
from studio.cache import ContentCache
from studio.settings import AISettings, SecretStore

if TYPE_CHECKING:
    from pipeline.ai.llm import AnthropicGenerator, OpenAIGenerator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaidChoices:
    """What paid AI a render may use (stored with the job).

    Attributes:
        llm: let the configured LLM write narration (falls back to the rules).
        ai_clips: ask the configured Videos API for clip scenes (falls back to infographics).
        template_id: the template the video came from (first paid use needs an approval).
        ai_images: ask the configured images endpoint for a still per clip scene that has no
            AI clip (the cheaper tier; falls back to infographics), and for a background per
            document scene from its narration (falls back to the theme background).
    """

    llm: bool = False
    ai_clips: bool = False
    template_id: str | None = None
    ai_images: bool = False

    def to_json(self) -> dict[str, Any]:
        """As stored in a job's input."""
        return {
            "llm": self.llm,
            "ai_clips": self.ai_clips,
            "template_id": self.template_id,
            "ai_images": self.ai_images,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> PaidChoices:
        """From a job's input (absent → nothing paid)."""
        data = data or {}
        return cls(
            bool(data.get("llm")),
            bool(data.get("ai_clips")),
            data.get("template_id"),
            bool(data.get("ai_images")),
        )

    @property
    def any(self) -> bool:
        """Whether any paid AI is asked for."""
        return self.llm or self.ai_clips or self.ai_images


def budget_policy(ai: AISettings) -> BudgetPolicy:
    """The budget thresholds from the settings."""
    return BudgetPolicy(
        daily_usd=ai.daily_budget_usd,
        alert_fraction=ai.alert_fraction,
        hard_stop_fraction=ai.hard_stop_fraction,
    )


LOCAL_SERVER_KEY = "local-server-no-key"
"""The key sent to a keyless OpenAI-compatible server (the SDK insists on one)."""

RemoteIds = Callable[[str], str | None]
"""``clip key → remote job id`` saved by an earlier attempt, if any."""


def _shared_cache_key(scene: ClipScene) -> str:
    """The key every user of ``scene``'s visual shares: its ``cache_key``, else the first 16
    hex digits of the SHA-256 of its prompt."""
    return scene.cache_key or hashlib.sha256(scene.prompt.encode("utf-8")).hexdigest()[:16]


class _CachedSupplier:
    """What the clip and image suppliers share: the cache, a staging folder and one paid
    generation at a time.

    Args:
        client: the paid client (with the ledger as governor); its results have ``path``
            (a file in ``staging``) and ``cost_usd``.
        cache: the content cache.
        ai: settings (model, size, …).
        staging: a folder for downloads before they enter the cache.
    """

    def __init__(self, client: Any, cache: ContentCache, ai: AISettings, staging: Path) -> None:
        self.client = client
        self.cache = cache
        self.ai = ai
        self.staging = staging
        self._lock = threading.Lock()

    def _generate_and_cache(
        self, key: str, kind: str, generate: Callable[[], Any]
    ) -> tuple[Path, str, float]:
        """Run ``generate`` (one at a time), move its file into the cache under ``key`` as
        ``kind``: ``(cached path, key, cost_usd)``."""
        self.staging.mkdir(parents=True, exist_ok=True)
        with self._lock:  # one paid generation at a time
            result = generate()
        path = self.cache.put(key, kind, result.path)
        result.path.unlink(missing_ok=True)
        return path, key, result.cost_usd


class CachedClipSupplier(_CachedSupplier):
    """A :class:`~pipeline.render_job.ClipSupplier`: the clip from the cache, else from the
    Videos API (governed), then cached.

    Args:
        client: the Videos API client (with the ledger as governor).
        cache: the content cache.
        ai: settings (model, size).
        staging: a folder for downloads before they enter the cache.
        remote_id_for / save_remote_id: read and persist remote job ids by clip key (the job's
            checkpoints), so a crash between create and download resumes by polling.
    """

    def __init__(
        self,
        client: Any,
        cache: ContentCache,
        ai: AISettings,
        staging: Path,
        *,
        remote_id_for: RemoteIds = lambda key: None,
        save_remote_id: Callable[[str, str], None] = lambda key, remote_id: None,
    ) -> None:
        super().__init__(client, cache, ai, staging)
        self._remote_id_for = remote_id_for
        self._save_remote_id = save_remote_id

    def clip_key(self, scene: ClipScene) -> str:
        """The cache key of ``scene``'s clip: its shared ``cache_key`` (or its prompt's hash)
        with the model, size and length that shape the clip."""
        return content_key(
            "ai_clip",
            {
                "cache_key": _shared_cache_key(scene),
                "model": self.ai.video_model,
                "size": self.ai.video_size,
                "seconds": scene.clip_seconds,
            },
        )

    def clip_for(
        self, scene: ClipScene, index: int, *, cancel: CancelToken
    ) -> tuple[Path, str, float]:
        """The clip of ``scene``: ``(path, key, cost_usd)``; cost 0 when it came from the cache.

        Raises:
            ProviderError / PaidWorkBlocked / QuotaExhausted: no clip now (the scene falls back).
        """
        from pipeline.ai.videos import ClipRequest

        key = self.clip_key(scene)
        cached = self.cache.get(key)
        if cached is not None:
            return cached, key, 0.0
        request = ClipRequest(
            prompt=scene.prompt,
            seconds=scene.clip_seconds,
            size=self.ai.video_size,
            cache_key=key[:32],
            template_id=scene.template_id,
        )
        return self._generate_and_cache(
            key,
            "ai_clip",
            lambda: self.client.generate(
                request,
                on_remote_id=lambda remote_id: self._save_remote_id(key, remote_id),
                resume_remote_id=self._remote_id_for(key),
                cancel=cancel,
                out_path=self.staging / f"{key[:32]}.mp4",
            ),
        )


class CachedImageSupplier(_CachedSupplier):
    """A :class:`~pipeline.render_job.ImageSupplier`: the still from the cache, else from the
    images endpoint (governed), then cached.

    Keyed like clips: the scene's shared ``cache_key`` (or its prompt's hash) with the model,
    size and quality that shape the image, so every user of a persona × topic shares one
    still and a second render pays nothing. A document scene's background
    (:meth:`backdrop_for`) is keyed by its prompt (made from the narration) the same way.

    Args:
        client, cache, ai, staging: as for :class:`_CachedSupplier`.
        template_id: the template the video came from: document scenes' images are asked
            for under it (its first paid use needs an approval, as for clip scenes).
    """

    def __init__(
        self,
        client: Any,
        cache: ContentCache,
        ai: AISettings,
        staging: Path,
        *,
        template_id: str | None = None,
    ) -> None:
        super().__init__(client, cache, ai, staging)
        self.template_id = template_id

    def image_key(self, scene: ClipScene) -> str:
        """The cache key of ``scene``'s still."""
        return content_key(
            "ai_image",
            {
                "cache_key": _shared_cache_key(scene),
                "model": self.ai.image_model,
                "size": self.ai.image_size,
                "quality": self.ai.image_quality,
            },
        )

    def image_for(
        self, scene: ClipScene, index: int, *, cancel: CancelToken
    ) -> tuple[Path, str, float]:
        """The still of ``scene``: ``(path, key, cost_usd)``; cost 0 when it came from the cache.

        Raises:
            ProviderError / PaidWorkBlocked / QuotaExhausted: no image now (the scene falls back).
        """
        return self._image(self.image_key(scene), scene.prompt, scene.template_id, cancel)

    def backdrop_key(self, prompt: str) -> str:
        """The cache key of a document scene's background made from ``prompt``."""
        return content_key(
            "ai_image",
            {
                "backdrop": prompt,
                "model": self.ai.image_model,
                "size": self.ai.image_size,
                "quality": self.ai.image_quality,
            },
        )

    def backdrop_for(
        self, scene: Scene, index: int, narration: str, *, cancel: CancelToken
    ) -> tuple[Path, str, float]:
        """The background still of document ``scene`` from its ``narration``:
        ``(path, key, cost_usd)``; cost 0 when it came from the cache (same narration, model,
        size and quality).

        Raises:
            ProviderError / PaidWorkBlocked / QuotaExhausted: no image now (the scene is drawn
                as without images).
        """
        prompt = backdrop_prompt(narration)
        return self._image(self.backdrop_key(prompt), prompt, self.template_id, cancel)

    def _image(
        self, key: str, prompt: str, template_id: str | None, cancel: CancelToken
    ) -> tuple[Path, str, float]:
        """The cached still under ``key``, else one generated from ``prompt`` (governed by
        the images client: estimate, reservation, approval) and cached."""
        from pipeline.ai.images import ImageRequest

        cached = self.cache.get(key)
        if cached is not None:
            return cached, key, 0.0
        cancel.raise_if_cancelled()
        request = ImageRequest(
            prompt=prompt, size=self.ai.image_size, cache_key=key[:32], template_id=template_id
        )
        return self._generate_and_cache(
            key,
            "ai_image",
            lambda: self.client.generate(request, out_path=self.staging / f"{key[:32]}.png"),
        )


BACKDROP_PROMPT_CHARS = 600
"""At most this much of a scene's narration goes into its background's prompt."""


def backdrop_prompt(narration: str) -> str:
    """The prompt of a document scene's background: an illustration of its ``narration``
    (whitespace collapsed, cut at :data:`BACKDROP_PROMPT_CHARS` on a word boundary). The
    images client adds its style suffix (no text in the picture, calm composition)."""
    words = " ".join(narration.split())
    if len(words) > BACKDROP_PROMPT_CHARS:
        words = words[:BACKDROP_PROMPT_CHARS].rsplit(" ", 1)[0]
    return f"A soft, uncluttered illustration of: {words}"


@dataclass
class PaidServices:
    """The governed providers of one render, and what to close afterwards.

    Build with :func:`paid_services`; pass :attr:`script` and :attr:`clips` to
    :func:`pipeline.render_job.render_video`; call :meth:`record_tiers` after the render and
    :meth:`close` in a ``finally``.
    """

    governor: BudgetGovernor
    script: Callable[[VideoSpec], Sequence[str]] | None = None
    clips: CachedClipSupplier | None = None
    images: CachedImageSupplier | None = None
    notes: list[str] = field(default_factory=list)
    template_id: str | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def record_tiers(self, job_id: int | None, spec: VideoSpec, scenes: Sequence[Any]) -> None:
        """Record which fallback tier produced each clip scene, and each document scene drawn
        over an AI image (under the render's template), for the operator view."""
        for report, scene in zip(scenes, spec.scenes, strict=True):
            if isinstance(scene, ClipScene):
                self.governor.record_scene_tier(
                    job_id, scene.template_id, report.index, report.tier, report.cost_usd
                )
            elif report.tier == "ai_image":
                self.governor.record_scene_tier(
                    job_id, self.template_id, report.index, report.tier, report.cost_usd
                )

    def close(self) -> None:
        """Close the SDK clients."""
        for closer in self._closers:
            closer()
        self._closers.clear()


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""Hosts of an OpenAI-compatible server on this machine (Ollama, LM Studio): no key, no bill."""


def is_local_server(base_url: str | None) -> bool:
    """True for a base URL on this machine (``http://localhost:11434/v1``, ``127.0.0.1``…)."""
    if not base_url:
        return False
    host = urlsplit(base_url).hostname or ""
    return host in LOCAL_HOSTS or host.endswith(".localhost")


def translation_available(ai: AISettings, secrets: SecretStore, *, offline: bool = False) -> bool:
    """Whether :func:`translation_generator` would return an LLM (no request is made)."""
    provider = ai.llm_provider
    local = provider == "openai" and is_local_server(ai.base_url(provider))
    if offline:
        return local
    return local or bool(secrets.get_api_key(provider))


def translation_generator(
    ai: AISettings, secrets: SecretStore, governor: BudgetGovernor, *, offline: bool = False
) -> AnthropicGenerator | OpenAIGenerator | None:
    """The configured LLM for ``--lang`` translation, governed by the budget ledger.

    * ``llm_provider`` ``openai`` with a base URL on this machine and no OpenAI key: a local
      server (Ollama, LM Studio), spoken to through Chat Completions with no key; its
      requests are still authorized and settled in the ledger, at $0.
    * Otherwise the provider's key is needed; without one, or ``offline`` (a render that
      must not use the network), this returns ``None`` and the caller tells the user that
      only the voice changes (:func:`pipeline.ai.translate.translate_spec`).

    The caller closes the returned generator.
    """
    from pipeline.ai.llm import OpenAIGenerator, make_generator

    provider = ai.llm_provider
    key = secrets.get_api_key(provider)
    base_url = ai.base_url(provider)
    if provider == "openai" and not key and is_local_server(base_url):
        return OpenAIGenerator(
            governor, model=ai.llm_model, api="chat", base_url=base_url, local_server=True
        )
    if not key or offline:
        return None
    return make_generator(
        provider, governor, model=ai.llm_model, api_key=key, base_url=base_url, prices=ai.prices
    )


def paid_services(
    choices: PaidChoices,
    *,
    db: Any,
    cache: ContentCache,
    ai: AISettings,
    secrets: SecretStore,
    staging: Path,
    job_id: int | None = None,
    remote_id_for: RemoteIds = lambda key: None,
    save_remote_id: Callable[[str, str], None] = lambda key, remote_id: None,
) -> PaidServices:
    """Build the paid providers ``choices`` asks for, all governed by the budget ledger.

    A provider without a key is still built: its calls are refused as ``disabled`` and the
    render falls back, with a note saying which key is missing.
    """
    governor = BudgetGovernor(db, budget_policy(ai), job_id=job_id)
    services = PaidServices(governor=governor, template_id=choices.template_id)
    if choices.llm:
        from pipeline.ai.llm import make_generator
        from pipeline.ai.script import llm_script_stage

        provider = ai.llm_provider
        key = secrets.get_api_key(provider)
        if not key and provider == "openai" and ai.llm_keyless:
            key = LOCAL_SERVER_KEY  # a local server (Ollama, LM Studio) takes any key
        if not key:
            services.notes.append(f"no {provider} API key: narration uses the offline rules")
        # a keyless server at a base URL (Ollama, LM Studio): priced at $0 whatever the model
        local = provider == "openai" and key == LOCAL_SERVER_KEY and bool(ai.base_url(provider))
        generator = make_generator(
            provider,
            governor,
            model=ai.llm_model,
            api_key=key,
            base_url=ai.base_url(provider),
            prices=ai.prices,
            # a local server speaks Chat Completions and bills nothing, whatever model it runs
            **({"api": "chat", "local_server": True} if local else {}),
        )
        services._closers.append(generator.close)

        def script(spec: VideoSpec) -> list[str]:
            result = llm_script_stage(spec, generator, template_id=choices.template_id)
            for note in result.notes:
                log.info("narration: %s", note)
            return list(result.narrations)

        services.script = script
    if choices.ai_clips:
        from pipeline.ai.videos import VideoClipClient, VideoClipSettings

        settings = VideoClipSettings(
            base_url=ai.video_base_url,
            api_key=secrets.get_api_key("video"),
            model=ai.video_model,
            size=ai.video_size,
            seconds=ai.video_seconds,
            poll_interval_s=ai.video_poll_interval_s,
        )
        if not settings.resolved_api_key():
            services.notes.append("no Videos API key: clip scenes use infographics")
        client = VideoClipClient(
            settings, governor, estimate=functools.partial(estimate_video, prices=ai.prices)
        )
        services._closers.append(client.close)
        services.clips = CachedClipSupplier(
            client,
            cache,
            ai,
            staging,
            remote_id_for=remote_id_for,
            save_remote_id=save_remote_id,
        )
    if choices.ai_images:
        from pipeline.ai.costs import estimate_image
        from pipeline.ai.images import ImageClient, ImageSettings

        image_key = secrets.get_api_key("image")
        image_settings = ImageSettings(
            base_url=ai.image_base_url,
            api_key=image_key,
            model=ai.image_model,
            size=ai.image_size,
            quality=ai.image_quality,
            keyless=ai.image_keyless,
        )
        if not image_key and not ai.image_keyless:
            services.notes.append(
                "no images endpoint key: clip scenes use infographics, other scenes the "
                "theme background"
            )
        image_client = ImageClient(
            image_settings,
            governor,
            estimate=functools.partial(estimate_image, prices=ai.prices),
        )
        services._closers.append(image_client.close)
        services.images = CachedImageSupplier(
            image_client, cache, ai, staging, template_id=choices.template_id
        )
    return services
