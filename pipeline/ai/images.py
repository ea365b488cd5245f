"""AI scene images from any OpenAI-compatible images endpoint (``/v1/images/generations``).

The cheaper governed tier between an AI clip and the infographic: a still per clip scene,
drawn with gentle pan and zoom (:mod:`pipeline.render.scenes.clip_image`). An image costs
$0.006–$0.25 where an 8-second clip costs $0.40–$4 (:mod:`pipeline.ai.costs`), 10–50× less.

The ``openai`` SDK's ``images.generate`` speaks the protocol: ``POST /images/generations``
with ``model``, ``prompt``, ``size``, ``n`` (and ``quality`` when set) → ``{"data": [{"b64_json":
…}]}`` (gpt-image models; most gateways) or ``{"data": [{"url": …}]}`` (DALL·E's default), which
is downloaded (``httpx``, one request, no retry needed: the image is already paid for). The base URL and the model are settings, so
OpenAI, a LiteLLM proxy or a local server all work.

Money, as for clips (:mod:`pipeline.ai.videos`, design decisions 5 and 6):

- every request is estimated (:func:`pipeline.ai.costs.estimate_image`) and **reserved** with
  the governor first — budget, approval per template, pause — so a refused image makes no
  request at all;
- the paid request runs with ``max_retries=0`` (a retried POST could bill twice);
- refused request (any HTTP error status), or one that provably never left the machine →
  **release**; a 429 ``insufficient_quota`` also pauses paid work (:class:`QuotaExhausted`);
- an answer with an image → **settle** the estimate (images are billed per image at the
  requested size and quality), also when the image then proves unusable (the provider did
  the work);
- a connection dropped after the request was sent → **settle** the estimate (it may be
  billed) and :class:`ProviderError`.

A usable image decodes completely (Pillow), is RGB-convertible and at least
:data:`MIN_SHORT_SIDE_PX` on its shorter side; anything else is a :class:`ProviderError`
and the scene falls back to its infographic or text card.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import os
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
from PIL import Image, UnidentifiedImageError

from pipeline.ai.base import CostEstimate, Governor, ProviderError, request_never_sent
from pipeline.ai.paid_request import (
    Booking,
    error_detail,
    openai_client,
    raise_never_sent,
    raise_refused,
)
from pipeline.fsutil import TEMP_PREFIX

log = logging.getLogger(__name__)

PROVIDER = "images"
"""``CostEstimate.provider`` of images from any OpenAI-compatible images endpoint."""

MIN_SHORT_SIDE_PX = 512
"""A usable image is at least this many pixels on its shorter side (it is scaled to the
frame with at most 2× enlargement on a 1080p frame)."""

MAX_IMAGE_BYTES = 50_000_000
"""Largest image answer accepted (decoded bytes)."""

STYLE_SUFFIX = (
    "Wide background illustration for a narrated explainer video; calm composition with "
    "space for a headline at the bottom; no text, letters, captions or logos."
)
"""Added to every scene prompt: the studio draws the headline and body over the image."""


class Messages:
    """What the user reads when an image cannot be made (declared in one place)."""

    NO_KEY = "AI scene images are off: no API key for the images endpoint is set"
    NO_KEY_HINT = "set the key in Settings → AI providers (or VIDEOSTUDIO_IMAGE_API_KEY)"
    AUTH = "the images endpoint rejected the API key (HTTP 401)"
    AUTH_HINT = "check the key in Settings → AI providers; the scene uses its fallback visual"
    REJECTED = "the images endpoint rejected the request (HTTP {status}{code}): {detail}"
    REJECTED_HINT = "check the image model, size and quality in Settings; the scene falls back"
    NOT_RETRIED = (
        "the images endpoint answered HTTP {status} to the paid request: {detail}. Paid "
        "requests are never retried (a retry could bill twice)"
    )
    NOT_RETRIED_HINT = "the scene uses its fallback visual; try again later"
    QUOTA = "the images endpoint's quota is exhausted (HTTP 429 insufficient_quota): {detail}"
    QUOTA_HINT = "add credit at the provider, then resume paid work in the Budget view"
    QUOTA_PAUSE = "images endpoint quota exhausted"
    NO_CONNECTION = "could not connect to the images endpoint at {url}"
    NO_CONNECTION_HINT = "check the network and the endpoint URL; the scene uses its fallback"
    LOST = "the connection to the images endpoint dropped after the request was sent"
    LOST_HINT = "the estimate was booked in case it is billed; the scene uses its fallback"
    INVALID = "the image the endpoint returned is unusable: {detail}"
    INVALID_HINT = "the scene uses its fallback visual"


@dataclass(frozen=True)
class ImageSettings:
    """Where and how images are generated.

    Attributes:
        base_url: the endpoint's API root (``https://gateway.example/v1``); ``None``: the
            SDK's default (OpenAI).
        api_key: the key; ``None`` with ``keyless`` sends a placeholder (a local server),
            else no image is made. Never logged.
        model: the image model (``"gpt-image-1"``, ``"dall-e-3"``, a gateway's name).
        size: ``"WIDTHxHEIGHT"`` asked for (``"1536x1024"`` for 16:9, ``"1024x1536"`` for 9:16).
        quality: ``"low"``, ``"medium"``, ``"high"`` (gpt-image), ``"standard"``/``"hd"``
            (DALL·E 3), or ``""`` to leave it to the endpoint.
        request_timeout_s: timeout of one HTTP request, seconds (image models take 10–60 s).
        keyless: the endpoint needs no key (a local server).
    """

    base_url: str | None
    api_key: str | None
    model: str = "gpt-image-1"
    size: str = "1536x1024"
    quality: str = "medium"
    request_timeout_s: float = 180.0
    keyless: bool = False


@dataclass(frozen=True)
class ImageRequest:
    """One image to generate.

    Attributes:
        prompt: what the image shows (the studio sends the clip scene's ``prompt``).
        size: ``"WIDTHxHEIGHT"``.
        cache_key: the content key it is cached under (names the temporary file).
        template_id: the template that asked for it (its first paid use needs an approval).
    """

    prompt: str
    size: str
    cache_key: str
    template_id: str | None = None


@dataclass(frozen=True)
class ImageResult:
    """A validated image on disk: the PNG at ``path``, its size and the settled cost (USD)."""

    path: Path
    width_px: int
    height_px: int
    cost_usd: float


ImageEstimator = Callable[..., CostEstimate]
"""``(model, *, quality, size, template_id) -> CostEstimate``, e.g.
``functools.partial(pipeline.ai.costs.estimate_image, prices=table)``."""


def full_prompt(prompt: str) -> str:
    """The prompt sent: the scene's words and :data:`STYLE_SUFFIX`."""
    prompt = " ".join(prompt.split()).rstrip(".")
    return f"{prompt}. {STYLE_SUFFIX}"


def decode_image(data: bytes) -> Image.Image:
    """The image in ``data``, fully decoded and in RGB.

    Raises:
        ValueError: not an image, truncated, too large or smaller than
            :data:`MIN_SHORT_SIDE_PX` on its shorter side (the message says which).
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"{len(data) / 1e6:.0f} MB is more than an image should be")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValueError(f"it is not a readable image ({error})") from None
    if min(image.size) < MIN_SHORT_SIDE_PX:
        raise ValueError(
            f"{image.width}×{image.height} is too small (shorter side below {MIN_SHORT_SIDE_PX} px)"
        )
    return image.convert("RGB")


class ImageClient:
    """Generates scene images, every dollar through a governor.

    Args:
        settings: endpoint, model, size and quality.
        governor: the budget ledger (authorize → settle/release; pause on quota).
        estimate: prices a request (:data:`ImageEstimator`).
        http_client: an ``httpx`` client for the SDK (tests, proxies); optional.

    Use it as a context manager (or call :meth:`close`).
    """

    def __init__(
        self,
        settings: ImageSettings,
        governor: Governor,
        *,
        estimate: ImageEstimator,
        http_client: Any = None,
    ) -> None:
        self.settings = settings
        self._governor = governor
        self._estimate = estimate
        self._http_client = http_client
        self._client: openai.OpenAI | None = None

    def __enter__(self) -> ImageClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the SDK client's connections."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _sdk(self) -> openai.OpenAI:
        if self._client is None:
            self._client = openai_client(
                api_key=self.settings.api_key
                or ("local-server-no-key" if self.settings.keyless else None),
                base_url=self.settings.base_url,
                timeout_s=self.settings.request_timeout_s,
                http_client=self._http_client,
                messages=Messages,
            )
        return self._client

    def estimate_cost(self, request: ImageRequest) -> CostEstimate:
        """The :class:`CostEstimate` of ``request`` (no request is made)."""
        return self._estimate(
            self.settings.model,
            quality=self.settings.quality,
            size=request.size,
            template_id=request.template_id,
        )

    def generate(self, request: ImageRequest, *, out_path: Path) -> ImageResult:
        """Make one image and leave it, validated, as a PNG at ``out_path``.

        Raises:
            PaidWorkBlocked: no key, budget, approval or pause (no request was made).
            QuotaExhausted: 429 ``insufficient_quota``; paid work is now paused.
            ProviderError: the endpoint refused or failed, or the image is unusable.
        """
        client = self._sdk()  # PaidWorkBlocked without a key, before any reservation
        estimate = self.estimate_cost(request)
        booking = Booking(self._governor, self._governor.authorize(estimate))  # PaidWorkBlocked
        try:
            kwargs: dict[str, Any] = {
                "model": self.settings.model,
                "prompt": full_prompt(request.prompt),
                "size": request.size,
                "n": 1,
            }
            if self.settings.quality:
                kwargs["quality"] = self.settings.quality
            try:
                response = client.with_options(max_retries=0).images.generate(**kwargs)
            except openai.APIStatusError as exc:
                raise_refused(
                    exc,
                    booking,
                    quota=exc.code == "insufficient_quota",
                    detail=self._detail(exc),
                    messages=Messages,
                )
            except openai.APIConnectionError as exc:
                if request_never_sent(exc):
                    raise_never_sent(
                        exc, booking, endpoint="images endpoint", url=self._url(), messages=Messages
                    )
                raise ProviderError(Messages.LOST, hint=Messages.LOST_HINT) from None
            # the provider answered with its work: the image is billed
            booking.settle(estimate.usd)
            data = self._image_bytes(client, response)
        finally:
            booking.settle(estimate.usd)  # unless settled or released above: it may be billed
        try:
            image = decode_image(data)
        except ValueError as error:
            raise ProviderError(
                Messages.INVALID.format(detail=error), hint=Messages.INVALID_HINT
            ) from None
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_name(f"{TEMP_PREFIX}{out_path.stem}-{uuid.uuid4().hex[:8]}.png")
        try:
            image.save(tmp, format="PNG")
            os.replace(tmp, out_path)
        finally:
            with suppress(FileNotFoundError):
                tmp.unlink()
        log.info("AI image saved to %s (%dx%d)", out_path, image.width, image.height)
        return ImageResult(out_path, image.width, image.height, estimate.usd)

    def _image_bytes(self, client: openai.OpenAI, response: Any) -> bytes:
        """The first image of the answer: its base64 data, or the file at its URL."""
        items = getattr(response, "data", None) or []
        if not items:
            raise ProviderError(
                Messages.INVALID.format(detail="the answer holds no image"),
                hint=Messages.INVALID_HINT,
            )
        item = items[0]
        b64 = getattr(item, "b64_json", None)
        if b64:
            try:
                return base64.b64decode(b64, validate=True)
            except (binascii.Error, ValueError):
                raise ProviderError(
                    Messages.INVALID.format(detail="its base64 data is damaged"),
                    hint=Messages.INVALID_HINT,
                ) from None
        url = getattr(item, "url", None)
        if not url:
            raise ProviderError(
                Messages.INVALID.format(detail="the answer has neither data nor a URL"),
                hint=Messages.INVALID_HINT,
            )
        try:
            answer = httpx.get(
                str(url), timeout=self.settings.request_timeout_s, follow_redirects=True
            )
            answer.raise_for_status()
        except Exception as error:  # httpx errors of any kind: the image is not to be had
            raise ProviderError(
                Messages.INVALID.format(detail=f"its download failed ({type(error).__name__})"),
                hint=Messages.INVALID_HINT,
            ) from None
        return bytes(answer.content)

    def _url(self) -> str:
        return self.settings.base_url or "the default OpenAI endpoint"

    def _detail(self, exc: openai.APIError) -> str:
        return error_detail(exc, self.settings.api_key)


__all__ = [
    "MIN_SHORT_SIDE_PX",
    "PROVIDER",
    "STYLE_SUFFIX",
    "ImageClient",
    "ImageEstimator",
    "ImageRequest",
    "ImageResult",
    "ImageSettings",
    "Messages",
    "decode_image",
    "full_prompt",
]
