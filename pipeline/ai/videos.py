"""AI video clips from any OpenAI-compatible Videos API (``/v1/videos``), paid and governed.

OpenAI shut down Sora 2 and its own Videos API on 2026-09-24; gateways still serve the same
endpoints with other models, so the base URL and the model are settings. The ``openai`` SDK
(3.x) speaks the protocol (``openai/resources/videos.py``):

- ``POST /videos`` (multipart: ``prompt``, ``model``, ``seconds``, ``size``) → a ``Video``
  job whose ``status`` is ``queued`` → ``in_progress`` → ``completed`` or ``failed``
  (``error.code``/``error.message`` say why);
- ``GET /videos/{id}`` (retrieve), ``GET /videos`` (list, newest first with ``order="desc"``),
  ``GET /videos/{id}/content?variant=video`` (the MP4).

Every ``videos`` method is marked ``@deprecated("The Sora API is scheduled to permanently shut
down on September 24, 2026.")`` and emits a ``DeprecationWarning`` with that text on each
call; :func:`_sdk_call` silences exactly that warning around each call and nothing else.

Money (design decisions 5 and 6):

- The SDK retries 408/409/429/5xx and connection errors twice, honouring ``Retry-After``.
  We add no retry loop of our own. The paid *create* runs with ``max_retries=0`` so a
  dropped connection never bills twice; retrieve, list and download keep the SDK's retries.
- Consequence: an ordinary 429 or a 5xx on create is **not** retried; the reservation is
  released and :class:`ProviderError` is raised, so the orchestrator falls back (infographic,
  then text card). A quota-exhausted 429 (``insufficient_quota``) pauses all paid work
  (:meth:`Governor.pause_paid_work`) and raises :class:`QuotaExhausted`.
- The remote job id goes to ``on_remote_id`` right after create, *before* the first poll; the
  caller persists it, and a retry passes it back as ``resume_remote_id`` to poll that job
  instead of paying for a new one.

Ledger decisions (a reservation is settled or released exactly once per :meth:`generate`):

- rejected create (any HTTP error status), or a create that provably never left the machine
  (no connection at all, or the HTTP client refused to send it, e.g. because the API key holds
  a newline: :func:`~pipeline.ai.base.request_never_sent`) → **release** (nothing was
  accepted, so nothing is billed).
- completed job → **settle** ``job seconds × price per second`` (the seconds the server
  reports for the job; the requested seconds if it reports none) — also when the download or
  our validation then fails, because the gateway has done the work.
- ``failed`` job → by default **settle the estimate**, :attr:`VideoClipSettings.bill_failed_jobs`
  ``= True``: some gateways bill failed or moderated generations and the budget must never
  under-count; set it to ``False`` for a gateway known not to bill them (→ **release**).
- cancelled, timed out, or polling gave up after the SDK's retries → **settle the estimate**:
  the job was accepted and may still finish and be billed. The remote id is kept, so a retry
  resumes by polling; resuming makes no new bill and touches the ledger only if the caller
  hands back a still-open reservation as ``resume_reservation``.
- a connection dropped after the request was sent, and we cannot tell whether the job exists
  (the recovery below failed) → **settle the estimate**, raise :class:`ProviderError`.

Dropped connection after create (``APIConnectionError`` that is not "never sent"): the job
may exist remotely. We recover without creating a second job:

1. list recent jobs (``order="desc"``, one page) and take the newest one whose
   ``metadata.idempotency_key`` equals our ``Idempotency-Key`` (if the gateway echoes it), or
   else whose prompt, model and seconds equal ours and whose ``created_at`` is no earlier than
   when we sent the request (minus :data:`CLOCK_SKEW_S` for clock skew);
2. if none is found, create again with the **same** ``Idempotency-Key`` (a gateway that
   honours it returns the existing job; one that does not has, per step 1, no such job).

Assumptions: the list is read-your-writes consistent; no other client of the same account
creates a job with the same prompt, model and seconds in the same minutes (the studio keys
clips by content, so two such jobs would be the same clip anyway). If the list itself fails
we do **not** create again: we settle the estimate and raise :class:`ProviderError`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol, TypeVar

import openai

from pipeline import avio
from pipeline.ai.base import CostEstimate, Governor, ProviderError, Reservation, request_never_sent
from pipeline.ai.paid_request import (
    Booking,
    error_detail,
    openai_client,
    raise_never_sent,
    raise_refused,
)
from pipeline.fsutil import TEMP_PREFIX
from pipeline.progress import CancelToken

log = logging.getLogger(__name__)

PROVIDER = "videos"
"""``CostEstimate.provider`` for clips from any OpenAI-compatible Videos API."""

DEPRECATION_MESSAGE = r"The Sora API is scheduled to permanently shut down"
"""Start of the ``DeprecationWarning`` text the SDK emits on every ``videos`` call (regex)."""

DURATION_TOLERANCE_S = 0.5
"""A clip's measured duration must be within ± this many seconds of the requested seconds."""

MIN_SHORT_SIDE_PX = 720
"""720p or better: height ≥ 720 for landscape, width ≥ 720 for portrait (the shorter side)."""

CLOCK_SKEW_S = 120
"""Tolerated difference between our clock and the gateway's when matching a listed job."""

LIST_LIMIT = 20
"""How many recent jobs the drop recovery inspects (one page, newest first)."""

_SIZE_RE = re.compile(r"^(\d+)x(\d+)$")

T = TypeVar("T")


class Messages:
    """What the user reads when a clip cannot be made (declared in one place)."""

    NO_KEY = "AI video clips are off: no API key for the video gateway is set"
    NO_KEY_HINT = "set the key in Settings → AI providers (or OPENAI_API_KEY)"
    AUTH = "the video gateway rejected the API key (HTTP 401)"
    AUTH_HINT = "check the key in Settings → AI providers; the scene uses its fallback visual"
    REJECTED = "the video gateway rejected the clip request (HTTP {status}{code}): {detail}"
    REJECTED_HINT = "check the model, size and seconds in Settings; the scene uses its fallback"
    NOT_RETRIED = (
        "the video gateway answered HTTP {status} to the paid request: {detail}. Paid requests "
        "are never retried (a retry could bill twice)"
    )
    NOT_RETRIED_HINT = "the scene uses its fallback visual; try again later"
    QUOTA = "the video gateway's quota is exhausted (HTTP 429 insufficient_quota): {detail}"
    QUOTA_HINT = "add credit at the provider, then resume paid work in the Budget view"
    QUOTA_PAUSE = "video gateway quota exhausted"
    NO_CONNECTION = "could not connect to the video gateway at {url}"
    NO_CONNECTION_HINT = "check the network and the gateway URL; the scene uses its fallback"
    LOST = (
        "the connection to the video gateway dropped after the clip request was sent, and "
        "the job could not be found"
    )
    LOST_HINT = "the estimate was booked in case it is billed; the scene uses its fallback"
    JOB_FAILED = "the video gateway could not make the clip ({code}): {detail}"
    JOB_FAILED_HINT = "reword the scene's clip prompt or let the scene use its fallback visual"
    POLL_FAILED = "lost track of video job {remote_id}: {detail}"
    POLL_FAILED_HINT = "retry the job: it resumes by polling {remote_id}, without a new bill"
    TIMEOUT = "video job {remote_id} did not finish within {timeout_s:.0f} s"
    DOWNLOAD_FAILED = "could not download the clip of video job {remote_id}: {detail}"
    INVALID = "the clip from video job {remote_id} is unusable: {detail}"
    INVALID_HINT = "the scene uses its fallback visual"


# ---------------------------------------------------------------------------------------------
# Settings, requests, results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoClipSettings:
    """Where and how clips are generated.

    Attributes:
        base_url: the gateway's API root (``https://gateway.example/v1``); ``None`` falls back
            to ``OPENAI_BASE_URL``, then to the SDK's default.
        api_key: the gateway key; ``None`` falls back to ``OPENAI_API_KEY``. Never logged.
        model: the video model name (a gateway setting, e.g. ``"sora-2"``).
        size: default ``"WIDTHxHEIGHT"`` for requests.
        seconds: default clip length in seconds.
        poll_interval_s: pause between status polls.
        timeout_s: give up polling a job after this many seconds.
        request_timeout_s: timeout of one HTTP request (the MP4 download included).
        bill_failed_jobs: settle the estimate for a job that ends ``failed`` (default, the
            budget never under-counts) instead of releasing it.
    """

    base_url: str | None
    api_key: str | None
    model: str
    size: str = "1280x720"
    seconds: int = 8
    poll_interval_s: float = 5.0
    timeout_s: float = 900
    request_timeout_s: float = 120.0
    bill_failed_jobs: bool = True

    def resolved_api_key(self) -> str | None:
        """The key to use: the setting, else ``OPENAI_API_KEY``, else ``None``."""
        return self.api_key or os.environ.get("OPENAI_API_KEY") or None

    def resolved_base_url(self) -> str | None:
        """The API root to use: the setting, else ``OPENAI_BASE_URL``, else ``None``."""
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or None


@dataclass(frozen=True)
class ClipRequest:
    """One clip to generate.

    Attributes:
        prompt: what the clip shows.
        seconds: wanted length in seconds (gateways typically accept 4, 8 or 12).
        size: ``"WIDTHxHEIGHT"`` (``"1280x720"`` landscape, ``"720x1280"`` portrait).
        cache_key: the content key the clip is cached under; also seeds the Idempotency-Key.
        template_id: the template that asked for it (first paid use needs an approval).
    """

    prompt: str
    seconds: int
    size: str
    cache_key: str
    template_id: str | None = None


@dataclass(frozen=True)
class ClipResult:
    """A validated clip on disk.

    Attributes:
        path: the MP4 (``out_path``).
        remote_id: the gateway's job id.
        seconds: measured duration of the clip, seconds.
        width_px, height_px: measured frame size.
        cost_usd: what was settled in the ledger for it (0.0 when resumed without a
            reservation: it was booked by the run that created it).
    """

    path: Path
    remote_id: str
    seconds: float
    width_px: int
    height_px: int
    cost_usd: float


class VideoEstimator(Protocol):
    """Prices a clip: ``(seconds, model, template_id=…) -> CostEstimate``.

    ``functools.partial(pipeline.ai.costs.estimate_video, prices=table)`` fits.
    """

    def __call__(
        self, seconds: float, model: str, *, template_id: str | None = None
    ) -> CostEstimate: ...


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


@contextmanager
def _quiet_deprecation() -> Iterator[None]:
    """Silence only the SDK's Sora-shutdown ``DeprecationWarning`` (matched by its text).

    Caveat: on Python 3.11 ``warnings.catch_warnings`` saves and restores process-wide
    filters, so two threads inside it at once may restore each other's state. The worst case
    is one Sora deprecation warning shown (Python's default filters hide
    ``DeprecationWarning`` outside ``__main__`` anyway); no other warning is ever silenced.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=DEPRECATION_MESSAGE)
        yield


def _sdk_call(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call one ``client.videos`` method with its deprecation warning silenced."""
    with _quiet_deprecation():
        return func(*args, **kwargs)


def parse_size(size: str) -> tuple[int, int]:
    """``"1280x720"`` → ``(1280, 720)``.

    Raises:
        ValueError: not ``WIDTHxHEIGHT`` with positive integers.
    """
    match = _SIZE_RE.match(size.strip())
    if match is None or int(match.group(1)) <= 0 or int(match.group(2)) <= 0:
        raise ValueError(f"clip size must look like 1280x720, not {size!r}")
    return int(match.group(1)), int(match.group(2))


def idempotency_key(cache_key: str, reservation_id: int) -> str:
    """The ``Idempotency-Key`` of one paid create: stable for this reservation and clip.

    A retried create of the same reservation reuses it (a gateway that honours it returns the
    job it already made); a new reservation — a deliberate new attempt — gets a new key.
    """
    digest = hashlib.sha256(f"{cache_key}:{reservation_id}".encode()).hexdigest()
    return f"videostudio-{digest[:40]}"


# ---------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------


class VideoClipClient:
    """Generates, downloads and validates AI clips, with every dollar through a governor.

    Args:
        settings: gateway, model and polling settings.
        governor: the budget ledger (authorize → settle/release; pause on quota).
        price_per_second_usd: price of one clip second; used when ``estimate`` is not given.
        estimate: a :class:`VideoEstimator` (e.g. ``pipeline.ai.costs.estimate_video`` with
            its price table bound); takes precedence over ``price_per_second_usd``. The price
            per second for settling is ``estimate.usd / estimate.units``.
        http_client: an ``httpx``/``httpx2`` client for the SDK (tests, proxies); optional.

    Raises:
        ValueError: neither ``price_per_second_usd`` nor ``estimate`` was given.

    Use it as a context manager (or call :meth:`close`) to close its HTTP connections.
    """

    def __init__(
        self,
        settings: VideoClipSettings,
        governor: Governor,
        *,
        price_per_second_usd: float | None = None,
        estimate: VideoEstimator | None = None,
        http_client: Any = None,
    ) -> None:
        if estimate is None and price_per_second_usd is None:
            raise ValueError("give VideoClipClient a price_per_second_usd or an estimate callable")
        self.settings = settings
        self._governor = governor
        self._price_per_second_usd = price_per_second_usd
        self._estimate = estimate
        self._http_client = http_client
        self._client: openai.OpenAI | None = None
        self._create_client: openai.OpenAI | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> VideoClipClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the SDK client's connections (the create client shares them)."""
        if self._client is not None:
            self._client.close()
            self._client = None
            self._create_client = None

    def _clients(self) -> tuple[openai.OpenAI, openai.OpenAI]:
        """(client with the SDK's retries, the same client with ``max_retries=0``)."""
        if self._client is None or self._create_client is None:
            self._client = openai_client(
                api_key=self.settings.resolved_api_key(),
                base_url=self.settings.resolved_base_url(),
                timeout_s=self.settings.request_timeout_s,
                http_client=self._http_client,
                messages=Messages,
            )
            self._create_client = self._client.with_options(max_retries=0)
        return self._client, self._create_client

    # -- pricing -----------------------------------------------------------------------------

    def estimate_cost(self, request: ClipRequest) -> CostEstimate:
        """The :class:`CostEstimate` of ``request`` (no request is made)."""
        model = self.settings.model
        if self._estimate is not None:
            return self._estimate(request.seconds, model, template_id=request.template_id)
        price = float(self._price_per_second_usd or 0.0)
        return CostEstimate(
            kind="video",
            provider=PROVIDER,
            model=model,
            units=float(request.seconds),
            usd=round(request.seconds * price, 6),
            template_id=request.template_id,
            description=f"AI clip, {request.seconds} s {request.size}: {request.prompt[:60]}",
        )

    @staticmethod
    def _price_per_second(estimate: CostEstimate) -> float:
        return estimate.usd / estimate.units if estimate.units > 0 else 0.0

    # -- the work ----------------------------------------------------------------------------

    def generate(
        self,
        request: ClipRequest,
        *,
        on_remote_id: Callable[[str], None],
        resume_remote_id: str | None = None,
        resume_reservation: Reservation | None = None,
        cancel: CancelToken,
        out_path: Path,
    ) -> ClipResult:
        """Make one clip and leave it, validated, at ``out_path``.

        Args:
            request: what to generate.
            on_remote_id: called with the job id as soon as the gateway accepted the job,
                before the first poll; persist it (it makes a crash resumable).
            resume_remote_id: a job id from an earlier run; poll it instead of creating (and
                paying for) a new job.
            resume_reservation: with ``resume_remote_id``: the earlier run's reservation if
                it is still open in the ledger; it is settled when the job ends. ``None``
                leaves the ledger alone (the earlier run booked it).
            cancel: checked between polls.
            out_path: where the MP4 goes (written beside it, then renamed into place).

        Returns:
            the validated clip.

        Raises:
            PaidWorkBlocked: no key, budget, approval or pause (no request was made).
            QuotaExhausted: 429 ``insufficient_quota`` on create; paid work is now paused.
            ProviderError: the gateway refused or failed, or the clip is unusable.
            Cancelled: ``cancel`` was set while polling; the remote id stays valid.
        """
        parse_size(request.size)
        client, create_client = self._clients()
        estimate = self.estimate_cost(request)
        price = self._price_per_second(estimate)
        if resume_remote_id is not None:
            booking = Booking(self._governor, resume_reservation)
            remote_id = resume_remote_id
            log.info("resuming video job %s (no new request)", remote_id)
        else:
            reservation = self._governor.authorize(estimate)  # PaidWorkBlocked propagates
            booking = Booking(self._governor, reservation)
            try:
                remote_id = self._create(request, client, create_client, reservation, booking)
            except BaseException:
                booking.settle_estimate()  # only reached when not yet released: job may exist
                raise
            try:
                on_remote_id(remote_id)
            except BaseException:
                booking.settle_estimate()
                raise
        try:
            return self._finish(request, client, remote_id, booking, price, cancel, out_path)
        except BaseException:
            booking.settle_estimate()  # accepted work: it may be billed (see module doc)
            raise

    # -- create (paid) -----------------------------------------------------------------------

    def _create(
        self,
        request: ClipRequest,
        client: openai.OpenAI,
        create_client: openai.OpenAI,
        reservation: Reservation,
        booking: Booking,
    ) -> str:
        """POST the job once (``max_retries=0``); recover from a dropped answer; → job id."""
        key = idempotency_key(request.cache_key, reservation.id)
        started_s = time.time()
        try:
            video = self._post_create(create_client, request, key)
        except openai.APIStatusError as exc:
            self._raise_create_status(exc, booking)
        except openai.APIConnectionError as exc:
            if _never_sent(exc):
                raise_never_sent(
                    exc, booking, endpoint="video gateway", url=self._url(), messages=Messages
                )
            log.warning("video create: connection dropped after sending; looking for the job")
            return self._recover_dropped_create(
                request, client, create_client, key, started_s, booking
            )
        log.info("video job %s accepted (%s)", video.id, video.status)
        return video.id

    def _post_create(self, create_client: openai.OpenAI, request: ClipRequest, key: str) -> Any:
        return _sdk_call(
            create_client.videos.create,
            model=self.settings.model,
            prompt=request.prompt,
            seconds=str(request.seconds),  # gateways take any value
            size=request.size,
            extra_headers={"Idempotency-Key": key},
        )

    def _raise_create_status(self, exc: openai.APIStatusError, booking: Booking) -> NoReturn:
        """Map a refused create to our errors; the reservation is released (nothing billed)."""
        raise_refused(
            exc, booking, quota=_is_quota(exc), detail=self._detail(exc), messages=Messages
        )

    def _recover_dropped_create(
        self,
        request: ClipRequest,
        client: openai.OpenAI,
        create_client: openai.OpenAI,
        key: str,
        started_s: float,
        booking: Booking,
    ) -> str:
        """Find the job a dropped create made, else create again with the same key."""
        try:
            page = _sdk_call(client.videos.list, limit=LIST_LIMIT, order="desc")
        except openai.APIError as exc:
            log.warning("video list failed during recovery: %s", type(exc).__name__)
            raise ProviderError(Messages.LOST, hint=Messages.LOST_HINT) from None
        found = self._match_listed(page.data, request, key, started_s)
        if found is not None:
            log.info("video create recovered: found job %s in the list", found)
            return found
        log.info("video create recovery: no job listed; creating again with the same key")
        try:
            video = self._post_create(create_client, request, key)
        except openai.APIStatusError as exc:
            self._raise_create_status(exc, booking)
        except openai.APIConnectionError:
            raise ProviderError(Messages.LOST, hint=Messages.LOST_HINT) from None
        return video.id

    def _match_listed(
        self, videos: list[Any], request: ClipRequest, key: str, started_s: float
    ) -> str | None:
        """The newest listed job that is ours (echoed key, else same prompt/model/seconds)."""
        for video in videos:
            metadata = getattr(video, "metadata", None)
            if isinstance(metadata, dict) and metadata.get("idempotency_key") == key:
                return str(video.id)
        for video in videos:  # newest first
            if (
                getattr(video, "prompt", None) == request.prompt
                and str(getattr(video, "model", "")) == self.settings.model
                and str(getattr(video, "seconds", "")) == str(request.seconds)
                and int(getattr(video, "created_at", 0) or 0) >= started_s - CLOCK_SKEW_S
            ):
                return str(video.id)
        return None

    # -- poll, download, validate ------------------------------------------------------------

    def _finish(
        self,
        request: ClipRequest,
        client: openai.OpenAI,
        remote_id: str,
        booking: Booking,
        price: float,
        cancel: CancelToken,
        out_path: Path,
    ) -> ClipResult:
        video = self._poll(client, remote_id, cancel)
        if video.status != "completed":
            error = getattr(video, "error", None)
            code = getattr(error, "code", None) or str(video.status)
            detail = self._redact(getattr(error, "message", None) or "no reason given")
            if self.settings.bill_failed_jobs:
                booking.settle_estimate()
            else:
                booking.release()
            raise ProviderError(
                Messages.JOB_FAILED.format(code=code, detail=detail),
                hint=Messages.JOB_FAILED_HINT,
            )
        billed_s = _float_or(getattr(video, "seconds", None), float(request.seconds))
        booking.settle(round(billed_s * price, 6))
        self._download(client, remote_id, out_path, request)
        info = avio.probe_media(out_path)
        assert info.video is not None  # validated above
        log.info("video job %s: clip saved to %s", remote_id, out_path)
        return ClipResult(
            path=out_path,
            remote_id=remote_id,
            seconds=info.video.duration_s or info.duration_s,
            width_px=info.video.width_px,
            height_px=info.video.height_px,
            cost_usd=booking.booked_usd,
        )

    def _poll(self, client: openai.OpenAI, remote_id: str, cancel: CancelToken) -> Any:
        """Retrieve until completed/failed; the SDK retries 5xx; cancel checked between."""
        deadline = time.monotonic() + self.settings.timeout_s
        while True:
            cancel.raise_if_cancelled()
            try:
                video = _sdk_call(client.videos.retrieve, remote_id)
            except openai.APIError as exc:
                raise ProviderError(
                    Messages.POLL_FAILED.format(remote_id=remote_id, detail=self._detail(exc)),
                    hint=Messages.POLL_FAILED_HINT.format(remote_id=remote_id),
                ) from None
            status = str(video.status)
            log.debug("video job %s: %s %s%%", remote_id, status, getattr(video, "progress", "?"))
            if status not in ("queued", "in_progress"):
                return video
            if time.monotonic() >= deadline:
                raise ProviderError(
                    Messages.TIMEOUT.format(remote_id=remote_id, timeout_s=self.settings.timeout_s),
                    hint=Messages.POLL_FAILED_HINT.format(remote_id=remote_id),
                )
            _wait(self.settings.poll_interval_s, cancel, deadline)

    def _download(
        self, client: openai.OpenAI, remote_id: str, out_path: Path, request: ClipRequest
    ) -> None:
        """Stream the MP4 beside ``out_path``, validate it, then rename it into place."""
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_name(f"{TEMP_PREFIX}{out_path.stem}-{uuid.uuid4().hex[:8]}.mp4")
        try:
            try:
                with _quiet_deprecation():
                    with client.videos.with_streaming_response.download_content(
                        remote_id, variant="video"
                    ) as response:
                        response.stream_to_file(tmp)
            except openai.APIError as exc:
                raise ProviderError(
                    Messages.DOWNLOAD_FAILED.format(remote_id=remote_id, detail=self._detail(exc)),
                    hint=Messages.POLL_FAILED_HINT.format(remote_id=remote_id),
                ) from None
            problem = validate_clip(tmp, request.seconds)
            if problem is not None:
                raise ProviderError(
                    Messages.INVALID.format(remote_id=remote_id, detail=problem),
                    hint=Messages.INVALID_HINT,
                )
            os.replace(tmp, out_path)
        finally:
            with suppress(FileNotFoundError):
                tmp.unlink()

    # -- messages ----------------------------------------------------------------------------

    def _url(self) -> str:
        return self.settings.resolved_base_url() or "the default OpenAI endpoint"

    def _redact(self, text: str) -> str:
        """Remove the API key from text a gateway sent back (some echo it in errors)."""
        key = self.settings.resolved_api_key()
        return text.replace(key, "***") if key else text

    def _detail(self, exc: openai.APIError) -> str:
        """A short, key-free description of an SDK error."""
        return error_detail(exc, self.settings.resolved_api_key())


def validate_clip(path: Path, requested_seconds: float) -> str | None:
    """Check a downloaded clip; ``None`` if usable, else what is wrong.

    Checks: it decodes completely (:func:`avio.decode_check`), it has video whose shorter side
    is at least :data:`MIN_SHORT_SIDE_PX` (720p: height for landscape, width for portrait),
    and its duration is within ±:data:`DURATION_TOLERANCE_S` of ``requested_seconds``.
    """
    report = avio.decode_check(path)
    if not report.ok:
        return f"it does not decode ({report.errors[0]})"
    try:
        info = avio.probe_media(path)
    except (OSError, ValueError) as exc:
        return f"it cannot be read ({exc})"
    if info.video is None or report.video_frames == 0:
        return "it has no video"
    short_side = min(info.video.width_px, info.video.height_px)
    if short_side < MIN_SHORT_SIDE_PX:
        return (
            f"{info.video.width_px}×{info.video.height_px} is below 720p "
            f"(shorter side {short_side} px < {MIN_SHORT_SIDE_PX} px)"
        )
    duration_s = info.video.duration_s or info.duration_s or report.video_end_s
    if abs(duration_s - requested_seconds) > DURATION_TOLERANCE_S:
        return (
            f"it lasts {duration_s:.2f} s, not {requested_seconds} s (± {DURATION_TOLERANCE_S} s)"
        )
    return None


def _wait(interval_s: float, cancel: CancelToken, deadline: float) -> None:
    """Sleep ``interval_s`` (not past ``deadline``) in short slices, stopping on cancel."""
    end = min(time.monotonic() + interval_s, deadline)
    while True:
        cancel.raise_if_cancelled()
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.1))


def _never_sent(exc: openai.APIConnectionError) -> bool:
    """True when the request provably never left the machine (no connection, or the HTTP
    client refused to send it; see :func:`pipeline.ai.base.request_never_sent`)."""
    return request_never_sent(exc)


def _is_quota(exc: openai.APIStatusError) -> bool:
    return exc.code == "insufficient_quota" or getattr(exc, "type", None) == "insufficient_quota"


def _float_or(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


__all__ = [
    "CLOCK_SKEW_S",
    "DURATION_TOLERANCE_S",
    "MIN_SHORT_SIDE_PX",
    "PROVIDER",
    "ClipRequest",
    "ClipResult",
    "Messages",
    "VideoClipClient",
    "VideoClipSettings",
    "VideoEstimator",
    "idempotency_key",
    "parse_size",
    "validate_clip",
]
