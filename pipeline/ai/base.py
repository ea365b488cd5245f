"""Contracts between paid AI providers (pipeline) and cost governance (studio).

A provider never spends money on its own: before each paid request it asks a
:class:`Governor` to :meth:`~Governor.authorize` a :class:`CostEstimate`, which reserves the
estimate in the ledger (or raises :class:`PaidWorkBlocked`); after the request it
:meth:`~Governor.settle`-s the actual cost, or :meth:`~Governor.release`-s the reservation when
nothing was billed. A provider that sees a quota-exhausted 429 calls
:meth:`~Governor.pause_paid_work` and raises :class:`QuotaExhausted`; it never retries that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel

from pipeline.errors import StudioError

CostKind = Literal["llm", "video", "tts", "image"]


@dataclass(frozen=True)
class CostEstimate:
    """What a paid call is expected to cost, before it is made.

    Attributes:
        kind: ``"llm"`` (per token), ``"video"`` (per second of clip), ``"tts"`` (per char),
            ``"image"`` (per generated image).
        provider: ``"openai"``, ``"anthropic"``, ``"videos"`` (any OpenAI-compatible gateway), …
        model: the model name.
        units: tokens, seconds, characters or images, as priced.
        usd: the estimated cost in US dollars.
        template_id: the template that asked for it (first use needs an approval), if any.
        description: one line for the approval queue and the ledger.
    """

    kind: CostKind
    provider: str
    model: str
    units: float
    usd: float
    template_id: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Reservation:
    """A reserved amount in the ledger; settle or release it exactly once."""

    id: int
    estimate: CostEstimate
    extra: dict[str, str] = field(default_factory=dict)


class PaidWorkBlocked(StudioError):
    """The paid call may not run now.

    Attributes:
        reason: ``"approval_required"`` (waits in the approval queue), ``"budget_exceeded"``
            (hard stop), ``"paused"`` (paid work paused after a quota-exhausted 429), or
            ``"disabled"`` (no key / paid AI off).
    """

    def __init__(self, message: str, *, reason: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class QuotaExhausted(StudioError):
    """The provider answered 429 with an exhausted quota: paid work is paused, not retried."""


class ProviderError(StudioError):
    """A paid provider failed (after the SDK's own retries); the caller falls back."""


class Governor(Protocol):
    """Cost governance as a provider sees it (the studio's budget ledger implements it)."""

    def authorize(self, estimate: CostEstimate) -> Reservation:
        """Reserve ``estimate`` or raise :class:`PaidWorkBlocked`."""
        ...

    def settle(self, reservation: Reservation, actual_usd: float) -> None:
        """Record the actual cost of a finished call."""
        ...

    def release(self, reservation: Reservation) -> None:
        """Drop a reservation whose call was never billed (failed before the provider acted)."""
        ...

    def pause_paid_work(self, reason: str) -> None:
        """Stop all paid work until an operator resumes it (quota exhausted)."""
        ...


ModelT = TypeVar("ModelT", bound=BaseModel)


class StructuredGenerator(Protocol):
    """Fills a pydantic model from a prompt (an LLM behind it). Used by templates."""

    def generate(
        self, *, system: str, prompt: str, schema: type[ModelT], template_id: str | None = None
    ) -> ModelT:
        """Return an instance of ``schema``.

        Raises:
            PaidWorkBlocked / QuotaExhausted / ProviderError: the caller falls back to rules.
        """
        ...


_CONNECT_FAILURES = frozenset({"ConnectError", "ConnectTimeout", "UnsupportedProtocol"})
"""Transport errors raised before any byte of a request was sent (``httpx`` and ``httpx2``
alike: compared by class name). The SDKs wrap them as ``APIConnectionError`` /
``APITimeoutError`` with the transport error as ``__cause__``."""


def unsendable_header(headers: object) -> str | None:
    """The name of the first header whose value HTTP/1.1 forbids (a control character such as
    CR, LF or NUL: RFC 9110 §5.5), or ``None``. ``h11`` refuses such a request while building
    it, before it writes a byte, with ``LocalProtocolError``."""
    raw = getattr(headers, "raw", None)
    if raw is None:
        return None
    for name, value in raw:
        data = bytes(value)
        if any((byte < 0x20 and byte != 0x09) or byte == 0x7F for byte in data):
            return bytes(name).decode("latin-1")
    return None


def request_never_sent(error: BaseException) -> bool:
    """True when an SDK request failed *provably* before it left the machine, so the provider
    cannot have received (or billed) it:

    * the connection was never made (``ConnectError``, ``ConnectTimeout``: refused, no route,
      DNS failure, connect timeout) or the URL's scheme is not HTTP; or
    * the HTTP client refused to send it (``LocalProtocolError``) because a header value is
      not sendable (e.g. an API key with a newline): ``h11`` checks headers before writing.

    A failure after sending (a dropped connection, a read timeout) is not "never sent".
    """
    cause = error.__cause__
    if cause is None:
        return False
    names = {cls.__name__ for cls in type(cause).__mro__}
    if names & _CONNECT_FAILURES:
        return True
    return unsendable_request_header(error) is not None


def unsendable_request_header(error: BaseException) -> str | None:
    """The header (name only; its value may be a secret) that made the HTTP client refuse to
    send the request behind the SDK error ``error``, or ``None``."""
    cause = error.__cause__
    if cause is None or "LocalProtocolError" not in {c.__name__ for c in type(cause).__mro__}:
        return None
    request = getattr(error, "request", None) or getattr(cause, "request", None)
    return unsendable_header(getattr(request, "headers", None)) if request is not None else None


def unsendable_message(header: str) -> tuple[str, str]:
    """``(message, hint)`` for a request refused because of the header ``header``."""
    if header.lower() in ("authorization", "x-api-key", "api-key"):
        return (
            "the API key contains characters that cannot be sent (a line break or another "
            "control character); nothing was sent and nothing is charged",
            "paste the key again in Settings (or fix the environment variable)",
        )
    return (
        f"the request header {header!r} contains characters that cannot be sent; nothing was "
        "sent and nothing is charged",
        "check the provider settings",
    )
