"""One governed paid request to an OpenAI-compatible endpoint: the plumbing that AI scene
images (:mod:`pipeline.ai.images`) and AI clips (:mod:`pipeline.ai.videos`) share.

- :func:`openai_client` builds the SDK client, or refuses (:class:`PaidWorkBlocked`,
  ``"disabled"``) when there is no key;
- :class:`Booking` settles or releases one reservation at most once;
- :func:`raise_refused` maps an HTTP error status of the paid request to our errors (a
  quota-exhausted 429 also pauses paid work) after releasing the reservation;
- :func:`raise_never_sent` does the same for a request that provably never left the machine;
- :func:`error_detail` is the short, key-free text of an SDK error.

Each provider keeps its own wording in a ``Messages`` class (:class:`PaidRequestMessages`).
"""

from __future__ import annotations

from typing import Any, NoReturn, Protocol

import openai

from pipeline.ai.base import (
    Governor,
    PaidWorkBlocked,
    ProviderError,
    QuotaExhausted,
    Reservation,
    unsendable_message,
    unsendable_request_header,
)

DETAIL_MAX_CHARS = 300
"""An SDK error's detail is cut to this many characters."""


class PaidRequestMessages(Protocol):
    """The texts a provider's ``Messages`` class declares for its paid request.

    ``REJECTED`` takes ``{status}``, ``{code}`` and ``{detail}``; ``NOT_RETRIED`` ``{status}``
    and ``{detail}``; ``QUOTA`` ``{detail}``; ``NO_CONNECTION`` ``{url}``.
    """

    NO_KEY: str
    NO_KEY_HINT: str
    AUTH: str
    AUTH_HINT: str
    REJECTED: str
    REJECTED_HINT: str
    NOT_RETRIED: str
    NOT_RETRIED_HINT: str
    QUOTA: str
    QUOTA_HINT: str
    QUOTA_PAUSE: str
    NO_CONNECTION: str
    NO_CONNECTION_HINT: str


def openai_client(
    *,
    api_key: str | None,
    base_url: str | None,
    timeout_s: float,
    http_client: Any,
    messages: type[PaidRequestMessages],
) -> openai.OpenAI:
    """An ``openai.OpenAI`` client for ``base_url`` (``None``: the SDK's default).

    Args:
        api_key: the key (never logged); empty or ``None`` refuses.
        base_url: the endpoint's API root.
        timeout_s: timeout of one HTTP request, seconds.
        http_client: an ``httpx`` client for the SDK (tests, proxies), or ``None``.
        messages: the provider's texts (``NO_KEY``, ``NO_KEY_HINT``).

    Raises:
        PaidWorkBlocked: ``reason="disabled"``: no key (no request is made).
    """
    if not api_key:
        raise PaidWorkBlocked(messages.NO_KEY, reason="disabled", hint=messages.NO_KEY_HINT)
    kwargs: dict[str, Any] = {"api_key": api_key, "base_url": base_url, "timeout": timeout_s}
    if http_client is not None:
        kwargs["http_client"] = http_client
    return openai.OpenAI(**kwargs)


class Booking:
    """A reservation that is settled or released at most once.

    Args:
        governor: the ledger the reservation is in.
        reservation: the reservation; ``None`` leaves the ledger alone (it counts as done).

    Attributes:
        governor: as given.
        reservation: as given.
        done: it was settled or released (or there is none).
        booked_usd: what was settled, USD (0.0 until then, and after a release).
    """

    def __init__(self, governor: Governor, reservation: Reservation | None) -> None:
        self.governor = governor
        self.reservation = reservation
        self.done = reservation is None
        self.booked_usd = 0.0

    @property
    def estimate_usd(self) -> float:
        """The reserved estimate, USD (0.0 without a reservation)."""
        return self.reservation.estimate.usd if self.reservation is not None else 0.0

    def settle(self, usd: float) -> None:
        """Settle ``usd`` (USD), unless already settled or released."""
        if not self.done and self.reservation is not None:
            self.done = True
            self.booked_usd = usd
            self.governor.settle(self.reservation, usd)

    def settle_estimate(self) -> None:
        """Settle the reserved estimate (the work may be billed), unless already done."""
        self.settle(self.estimate_usd)

    def release(self) -> None:
        """Release the reservation (nothing billed), unless already settled or released."""
        if not self.done and self.reservation is not None:
            self.done = True
            self.governor.release(self.reservation)


def error_detail(exc: openai.APIError, api_key: str | None) -> str:
    """A short description of an SDK error: the body's ``message``, else ``HTTP {status}``,
    else the SDK's message or the error's class name; ``api_key`` replaced by ``***`` (some
    endpoints echo it); at most :data:`DETAIL_MAX_CHARS` characters."""
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message:
        status = getattr(exc, "status_code", None)
        message = f"HTTP {status}" if status else (exc.message or type(exc).__name__)
    return (message.replace(api_key, "***") if api_key else message)[:DETAIL_MAX_CHARS]


def raise_refused(
    exc: openai.APIStatusError,
    booking: Booking,
    *,
    quota: bool,
    detail: str,
    messages: type[PaidRequestMessages],
) -> NoReturn:
    """Release ``booking`` (the endpoint refused: nothing is billed) and raise what the
    status means.

    Args:
        exc: the SDK's error for the HTTP error status.
        booking: the paid request's reservation.
        quota: the error says the quota is exhausted (``insufficient_quota``; each provider
            says how it reads that).
        detail: :func:`error_detail` of ``exc``.
        messages: the provider's texts.

    Raises:
        QuotaExhausted: 429 with ``quota``; paid work is paused first
            (``messages.QUOTA_PAUSE``).
        ProviderError: 401 (``AUTH``); 408, 409, other 429s and 5xx (``NOT_RETRIED``: a paid
            request is never retried, it could bill twice); any other status (``REJECTED``).
    """
    status = exc.status_code
    booking.release()
    if status == 429 and quota:
        booking.governor.pause_paid_work(messages.QUOTA_PAUSE)
        raise QuotaExhausted(
            messages.QUOTA.format(detail=detail), hint=messages.QUOTA_HINT
        ) from None
    if status == 401:
        raise ProviderError(messages.AUTH, hint=messages.AUTH_HINT) from None
    if status == 429 or status >= 500 or status in (408, 409):
        raise ProviderError(
            messages.NOT_RETRIED.format(status=status, detail=detail),
            hint=messages.NOT_RETRIED_HINT,
        ) from None
    code = f", {exc.code}" if exc.code else ""
    raise ProviderError(
        messages.REJECTED.format(status=status, code=code, detail=detail),
        hint=messages.REJECTED_HINT,
    ) from None


def raise_never_sent(
    exc: openai.APIConnectionError,
    booking: Booking,
    *,
    endpoint: str,
    url: str,
    messages: type[PaidRequestMessages],
) -> NoReturn:
    """Release ``booking`` for a request that provably never left the machine
    (:func:`pipeline.ai.base.request_never_sent`) and raise :class:`ProviderError`.

    Args:
        exc: the SDK's connection error.
        booking: the paid request's reservation.
        endpoint: how messages name the endpoint (``"images endpoint"``).
        url: the endpoint's URL for ``messages.NO_CONNECTION``.
        messages: the provider's texts.

    Raises:
        ProviderError: ``"{endpoint}: …"`` naming a header the HTTP client refused to send
            (:func:`pipeline.ai.base.unsendable_message`), else ``NO_CONNECTION`` (chained to
            ``exc``).
    """
    booking.release()
    header = unsendable_request_header(exc)
    if header is not None:
        message, hint = unsendable_message(header)
        raise ProviderError(f"{endpoint}: {message}", hint=hint) from None
    raise ProviderError(
        messages.NO_CONNECTION.format(url=url), hint=messages.NO_CONNECTION_HINT
    ) from exc


__all__ = [
    "DETAIL_MAX_CHARS",
    "Booking",
    "PaidRequestMessages",
    "error_detail",
    "openai_client",
    "raise_never_sent",
    "raise_refused",
]
