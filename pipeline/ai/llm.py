"""LLM providers that fill a pydantic model: :class:`AnthropicGenerator`, :class:`OpenAIGenerator`.

Both implement :class:`~pipeline.ai.base.StructuredGenerator`. One ``generate`` call:

1. asks for one JSON object matching the model's JSON Schema (the schema is in the prompt; the
   OpenAI JSON mode is asked for too, but the answer is never trusted to be clean);
2. extracts the JSON from the answer (Markdown fences and prose around it are dropped) and
   validates it with pydantic;
3. on invalid JSON or a validation error, sends ONE repair request (the error and the bad
   answer go back, corrected JSON is asked for); if that fails too, raises
   :class:`~pipeline.ai.base.ProviderError`.

Every request is paid work and goes through the :class:`~pipeline.ai.base.Governor`:
estimate → ``authorize`` (:class:`~pipeline.ai.base.PaidWorkBlocked` propagates, nothing is sent)
→ request → ``settle`` with the cost from the response's token usage, or ``release`` when the
request failed without being billed.

Retries (decision 5 of the design): the SDKs retry 408/409/429/5xx and connection errors
themselves (``max_retries``, default 2, exponential backoff, honouring ``retry-after-ms`` /
``Retry-After``), so nothing here loops. A failed LLM request is not billed, so the SDK's
default retry is kept for LLM calls. Two SDK facts (openai 3.x, anthropic 2.x, checked in their
``_base_client.py``) make quota handling exact:

* both SDKs decide with ``_should_retry(response)``, which obeys an ``x-should-retry: false``
  response header before looking at the status code;
* both run ``httpx`` response event hooks before that decision.

A response hook installed on the SDK's own ``DefaultHttpxClient`` reads the body of a 402/429;
when it says the quota is exhausted (OpenAI ``error.code``/``error.type`` ``insufficient_quota``
and its documented billing codes; Anthropic ``error.details.error_code``
``enforced_spend_limit_reached`` / ``contract_spend_limit_reached``, or ``billing_error``), it
marks the response ``x-should-retry: false``. The SDK then raises at once: one request, then
:meth:`~pipeline.ai.base.Governor.pause_paid_work` and :class:`~pipeline.ai.base.QuotaExhausted`.

API keys never appear in messages or logs: every text taken from a response is scrubbed of the
key, and SDK exceptions are not chained onto ours (their text may echo the key).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

import anthropic
import openai
from pydantic import BaseModel, ValidationError

from pipeline.ai.base import (
    CostEstimate,
    Governor,
    ModelT,
    PaidWorkBlocked,
    ProviderError,
    QuotaExhausted,
    Reservation,
    request_never_sent,
    unsendable_message,
    unsendable_request_header,
)
from pipeline.ai.costs import PriceTable, actual_llm_cost, default_price_table, estimate_llm

log = logging.getLogger(__name__)

DEFAULT_MAX_OUTPUT_TOKENS = 2048
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MAX_RETRIES = 2
"""The SDKs' own default: 3 attempts in all for 408/409/429/5xx and connection errors."""

MAX_REPAIR_ECHO_CHARS = 8_000
"""At most this much of a bad answer is sent back in the repair request (bounds its cost)."""

OPENAI_QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
    }
)
"""OpenAI 429 ``error.code`` / ``error.type`` values that mean "no money left": never retried."""

ANTHROPIC_QUOTA_CODES = frozenset(
    {
        "enforced_spend_limit_reached",
        "contract_spend_limit_reached",
        "linked_organization_spend_limit_reached",
    }
)
"""Anthropic ``error.details.error_code`` values (SDK ``types/shared``) for an exhausted spend."""

LOCAL_SERVER_KEY = "local-server-no-key"
"""The API key sent to a local OpenAI-compatible server that needs none (the SDK wants one)."""

_ANTHROPIC_CREDIT_RE = re.compile(r"credit balance is too low", re.IGNORECASE)


@dataclass(frozen=True)
class Message:
    """One chat turn sent to the model."""

    role: Literal["user", "assistant"]
    text: str


@dataclass(frozen=True)
class Reply:
    """What a provider answered: the text and the billed token usage (``None``: not reported)."""

    text: str
    input_tokens: int | None
    output_tokens: int | None


class _ParseError(ValueError):
    """The answer was not valid JSON for the schema (message is fit to send back to the model)."""


# --- JSON extraction and validation -------------------------------------------------------

_FENCE_RE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\r?\n?(.*?)```", re.DOTALL)


def extract_json(text: str) -> Any:
    """The first JSON object (or array) in ``text``.

    Markdown code fences (```` ```json … ``` ````) are preferred when present; otherwise the first
    ``{`` or ``[`` from which a complete JSON value decodes is used, so prose before and after
    the JSON is ignored.

    Raises:
        ValueError: no JSON value could be decoded (the message says why).
    """
    candidates = [m.group(2) for m in _FENCE_RE.finditer(text)]
    candidates.append(text)
    decoder = json.JSONDecoder()
    first_error = "no JSON object found in the answer"
    for candidate in candidates:
        stripped = candidate.strip()
        starts = [i for i, ch in enumerate(stripped) if ch in "{["]
        for start in starts[:50]:
            try:
                value, _end = decoder.raw_decode(stripped, start)
            except json.JSONDecodeError as error:
                if first_error.startswith("no JSON"):
                    first_error = (
                        f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
                    )
                continue
            if isinstance(value, dict | list):
                return value
    raise ValueError(first_error)


def parse_model(text: str, schema: type[ModelT]) -> ModelT:
    """Extract JSON from an LLM answer and validate it as ``schema``.

    Raises:
        ValueError: invalid JSON or a validation error; the message lists the problems in a form
            fit to send back to the model.
    """
    try:
        data = extract_json(text)
    except ValueError as error:
        raise _ParseError(str(error)) from None
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise _ParseError(_summarise_validation(error)) from None


def _summarise_validation(error: ValidationError, limit: int = 8) -> str:
    lines = []
    for item in error.errors()[:limit]:
        location = ".".join(str(part) for part in item.get("loc", ())) or "(root)"
        lines.append(f"- {location}: {item.get('msg', 'invalid value')}")
    more = error.error_count() - limit
    if more > 0:
        lines.append(f"- … and {more} more")
    return "the JSON does not match the schema:\n" + "\n".join(lines)


def schema_instructions(schema: type[BaseModel]) -> str:
    """The text appended to every prompt: answer with one JSON object matching this schema."""
    schema_json = json.dumps(schema.model_json_schema(), ensure_ascii=False, separators=(",", ":"))
    return (
        "Answer with exactly one JSON object and nothing else: no Markdown fences, no comments, "
        "no text before or after it. The object must validate against this JSON Schema:\n"
        f"{schema_json}"
    )


def _repair_prompt(problem: str) -> str:
    return (
        "Your previous answer could not be used because "
        f"{problem}\n\nReply again with only the corrected JSON object, matching the schema "
        "given before. Keep the content; fix only what is wrong."
    )


# --- the generator ------------------------------------------------------------------------


def _redact(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


def _error_fields(body: object) -> dict[str, Any]:
    """The ``error`` object of an API error body (OpenAI or Anthropic shape), else ``{}``."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner
    return {}


class _LLMGenerator:
    """Shared machinery of the two providers: governor, JSON repair, error translation."""

    provider: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    key_env: ClassVar[str] = ""
    sdk: ClassVar[Any] = None  # the SDK module (anthropic or openai)
    client_class: ClassVar[str] = ""  # its client class

    def __init__(
        self,
        governor: Governor,
        *,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        prices: PriceTable | None = None,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        if not model.strip():
            raise ValueError("model must not be empty")
        if max_output_tokens < 1:
            raise ValueError("max_output_tokens must be at least 1")
        self._governor = governor
        self.model = model.strip()
        self._api_key = api_key or os.environ.get(self.key_env) or None
        self._base_url = base_url
        self.prices = prices if prices is not None else default_price_table()
        self.max_output_tokens = max_output_tokens
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._client: Any = None
        self._client_lock = threading.Lock()  # workers on a thread pool may share a generator

    # -- lifecycle --

    @property
    def has_key(self) -> bool:
        """Whether an API key was given or found in the environment."""
        return self._api_key is not None

    def close(self) -> None:
        """Close the HTTP connections (safe to call twice; a later call reopens them)."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> _LLMGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never shows the key
        return f"{type(self).__name__}(model={self.model!r})"

    def _get_client(self) -> Any:
        """The SDK client (made on first use; :meth:`close` drops it)."""
        with self._client_lock:
            if self._client is None:
                kwargs: dict[str, Any] = {"base_url": self._base_url} if self._base_url else {}
                self._client = getattr(self.sdk, self.client_class)(
                    api_key=self._api_key,
                    timeout=self.timeout_s,
                    max_retries=self.max_retries,
                    http_client=self._http_client(self.sdk),
                    **kwargs,
                )
            return self._client

    def _http_client(self, sdk: Any) -> Any:
        """The SDK's default HTTP client, plus the hook that stops retries of a spent quota."""
        return sdk.DefaultHttpxClient(event_hooks={"response": [self._quota_hook]})

    def _quota_hook(self, response: Any) -> None:
        """Mark a quota-exhausted 402/429 ``x-should-retry: false`` so the SDK gives up at once."""
        if response.status_code not in (402, 429):
            return
        try:
            response.read()
            body = json.loads(response.content or b"null")
        except (ValueError, UnicodeDecodeError):
            return
        if self._is_quota_error(response.status_code, _error_fields(body)):
            response.headers["x-should-retry"] = "false"

    # -- StructuredGenerator --

    def generate(
        self, *, system: str, prompt: str, schema: type[ModelT], template_id: str | None = None
    ) -> ModelT:
        """Return an instance of ``schema`` filled by the model (one repair attempt at most).

        Raises:
            PaidWorkBlocked: the governor refused (nothing was sent), or no API key is set.
            QuotaExhausted: the provider's quota is spent; paid work is now paused.
            ProviderError: the request failed, or the answer stayed invalid after one repair.
        """
        messages = [Message("user", f"{prompt.strip()}\n\n{schema_instructions(schema)}")]
        text = self._paid_call(system, messages, template_id)
        try:
            return parse_model(text, schema)
        except _ParseError as first:
            log.info(
                "%s answer for %s was invalid (%s); asking once for a repair",
                self.display_name,
                schema.__name__,
                str(first).splitlines()[0],
            )
            messages += [
                Message("assistant", text[:MAX_REPAIR_ECHO_CHARS] or "(empty answer)"),
                Message("user", _repair_prompt(str(first))),
            ]
        text = self._paid_call(system, messages, template_id)
        try:
            return parse_model(text, schema)
        except _ParseError as second:
            raise ProviderError(
                f"{self.display_name} ({self.model}) did not return valid JSON for "
                f"{schema.__name__}, even after one repair: {_redact(str(second), self._api_key)}",
                hint="try again, or use another model; narration falls back to the rules",
            ) from None

    # -- one paid request --

    def _paid_call(self, system: str, messages: Sequence[Message], template_id: str | None) -> str:
        if self._api_key is None:
            raise PaidWorkBlocked(
                f"no {self.display_name} API key is set",
                reason="disabled",
                hint=f"add the key in Settings (or set {self.key_env})",
            )
        prompt_chars = len(system) + sum(len(m.text) for m in messages)
        estimate = self._estimate(prompt_chars, template_id)
        reservation = self._governor.authorize(estimate)  # PaidWorkBlocked propagates
        try:
            reply = self._send(system, messages)
        except Exception as error:
            raise self._after_failure(error, reservation) from None
        except BaseException:  # KeyboardInterrupt and friends: nothing was billed for sure
            self._governor.release(reservation)
            raise
        self._governor.settle(reservation, self._actual_cost(reply, reservation))
        log.info(
            "%s %s answered: %s input, %s output tokens",
            self.display_name,
            self.model,
            reply.input_tokens,
            reply.output_tokens,
        )
        return reply.text

    def _estimate(self, prompt_chars: int, template_id: str | None) -> CostEstimate:
        return estimate_llm(
            prompt_chars,
            self.max_output_tokens,
            self.provider,
            self.model,
            self.prices,
            template_id=template_id,
        )

    def _actual_cost(self, reply: Reply, reservation: Reservation) -> float:
        if reply.input_tokens is None or reply.output_tokens is None:
            log.warning("%s reported no token usage; settling the estimate", self.display_name)
            return reservation.estimate.usd
        return actual_llm_cost(
            reply.input_tokens, reply.output_tokens, self.provider, self.model, self.prices
        )

    def _after_failure(self, error: Exception, reservation: Reservation) -> Exception:
        """Release or settle the reservation and turn ``error`` into one of ours."""
        if isinstance(
            error, openai.APITimeoutError | anthropic.APITimeoutError
        ) and not request_never_sent(error):
            # The provider may have worked (and billed) before the timeout: count the estimate.
            self._governor.settle(reservation, reservation.estimate.usd)
        else:
            # An error status, a connection failure, or a request that never left (a connect
            # timeout, an unsendable key): LLM providers bill no failed request.
            self._governor.release(reservation)
        translated = self._translate(error)
        log.warning("%s", translated)
        return translated

    def _translate(self, error: Exception) -> Exception:
        name = f"{self.display_name} ({self.model})"
        status = getattr(error, "status_code", None)
        if isinstance(error, openai.APIStatusError | anthropic.APIStatusError):
            fields = _error_fields(error.body)
            detail = _redact(str(fields.get("message") or "")[:300], self._api_key)
            request_id = getattr(error, "request_id", None)
            suffix = f" [request {request_id}]" if request_id else ""
            if self._is_quota_error(status or 0, fields):
                reason = f"{name}: the account's quota or credit is exhausted ({detail})"
                self._governor.pause_paid_work(reason)
                return QuotaExhausted(
                    f"{reason}{suffix}",
                    hint="add credit or raise the limit with the provider, then resume paid "
                    "work in the Budget view",
                )
            return ProviderError(f"{name}: {_status_message(status, detail)}{suffix}", hint="")
        if isinstance(error, openai.APITimeoutError | anthropic.APITimeoutError):
            return ProviderError(
                f"{name}: no answer within {self.timeout_s:g} s (after the SDK's retries)",
                hint="try again later",
            )
        header = unsendable_request_header(error)
        if header is not None:
            message, hint = unsendable_message(header)
            return ProviderError(f"{name}: {message}", hint=hint)
        if isinstance(error, openai.APIConnectionError | anthropic.APIConnectionError):
            return ProviderError(
                f"{name}: could not connect to the API (after the SDK's retries)",
                hint="check the network connection and the endpoint in Settings",
            )
        detail = _redact(str(error), self._api_key)[:300]
        return ProviderError(f"{name}: unexpected failure: {type(error).__name__}: {detail}")

    # -- provider specifics --

    def _is_quota_error(self, status: int, fields: dict[str, Any]) -> bool:
        raise NotImplementedError

    def _send(self, system: str, messages: Sequence[Message]) -> Reply:
        raise NotImplementedError


def _status_message(status: int | None, detail: str) -> str:
    said = f" ({detail})" if detail else ""
    if status == 401:
        return f"the API key was refused — check it in Settings{said}"
    if status == 403:
        return f"this API key may not use this model or endpoint — check Settings{said}"
    if status == 404:
        return f"the model or endpoint was not found — check the model name and URL{said}"
    if status in (400, 413, 422):
        return f"the request was rejected (HTTP {status}){said}"
    if status == 429:
        return f"rate limited, still after the SDK's retries — try again later{said}"
    if status is not None and status >= 500:
        return f"the provider failed (HTTP {status}), still after the SDK's retries{said}"
    return f"HTTP {status}{said}"


class AnthropicGenerator(_LLMGenerator):
    """Claude through the Anthropic Messages API (``POST /v1/messages``).

    Args:
        governor: reserves and settles every request.
        model: e.g. ``"claude-sonnet-4-6"``.
        api_key: defaults to ``ANTHROPIC_API_KEY``; without any, ``generate`` raises
            :class:`~pipeline.ai.base.PaidWorkBlocked` (reason ``"disabled"``).
        base_url: defaults to ``ANTHROPIC_BASE_URL`` or the SDK's default.
        prices: the price table (:func:`pipeline.ai.costs.default_price_table` when ``None``).
        max_output_tokens: ``max_tokens`` of each request (also what the estimate assumes).
        timeout_s: per attempt.
        max_retries: the SDK's retry count for 408/409/429/5xx (no retry of a spent quota).
    """

    provider = "anthropic"
    display_name = "Anthropic"
    key_env = "ANTHROPIC_API_KEY"
    sdk: ClassVar[Any] = anthropic
    client_class = "Anthropic"

    def _is_quota_error(self, status: int, fields: dict[str, Any]) -> bool:
        details = fields.get("details")
        code = details.get("error_code") if isinstance(details, dict) else None
        if code in ANTHROPIC_QUOTA_CODES:
            return True
        if fields.get("type") == "billing_error" or status == 402:
            return True
        message = str(fields.get("message") or "")
        return status == 400 and bool(_ANTHROPIC_CREDIT_RE.search(message))

    def _send(self, system: str, messages: Sequence[Message]) -> Reply:
        response = self._get_client().messages.create(
            model=self.model,
            max_tokens=self.max_output_tokens,
            system=system,
            messages=[{"role": m.role, "content": m.text} for m in messages],
        )
        text = "".join(
            getattr(block, "text", "") or ""
            for block in response.content
            if getattr(block, "type", "") == "text"
        )
        usage = response.usage
        return Reply(
            text,
            getattr(usage, "input_tokens", None) if usage else None,
            getattr(usage, "output_tokens", None) if usage else None,
        )


class OpenAIGenerator(_LLMGenerator):
    """An OpenAI model (or any OpenAI-compatible gateway) through Responses or Chat Completions.

    Args:
        governor: reserves and settles every request.
        model: e.g. ``"gpt-5-mini"``.
        api: ``"responses"`` (``POST /v1/responses``, default) or ``"chat"``
            (``POST /v1/chat/completions``, for gateways without the Responses API).
        api_key: defaults to ``OPENAI_API_KEY``; without any, ``generate`` raises
            :class:`~pipeline.ai.base.PaidWorkBlocked` (reason ``"disabled"``).
        base_url: defaults to ``OPENAI_BASE_URL`` or the SDK's default.
        json_mode: also ask for the API's JSON output mode (``json_object``); the answer is
            parsed and validated the same way either way. Turn off for gateways that reject it.
        local_server: ``base_url`` is a server that needs no API key and bills nothing (a
            local Ollama or LM Studio server): without a key, requests carry the placeholder
            :data:`LOCAL_SERVER_KEY`, and every request is still authorized and settled by the
            governor, at $0.
        Other arguments as for :class:`AnthropicGenerator`.
    """

    provider = "openai"
    display_name = "OpenAI"
    key_env = "OPENAI_API_KEY"
    sdk: ClassVar[Any] = openai
    client_class = "OpenAI"

    def __init__(
        self,
        governor: Governor,
        *,
        model: str,
        api: Literal["responses", "chat"] = "responses",
        api_key: str | None = None,
        base_url: str | None = None,
        prices: PriceTable | None = None,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
        json_mode: bool = True,
        local_server: bool = False,
    ) -> None:
        if api not in ("responses", "chat"):
            raise ValueError(f"api must be 'responses' or 'chat', not {api!r}")
        if local_server and not base_url:
            raise ValueError("a local server needs its base_url (e.g. http://localhost:11434/v1)")
        super().__init__(
            governor,
            model=model,
            api_key=api_key or (LOCAL_SERVER_KEY if local_server else None),
            base_url=base_url,
            prices=prices,
            max_output_tokens=max_output_tokens,
            timeout_s=timeout_s,
            max_retries=max_retries,
        )
        self.api = api
        self.json_mode = json_mode
        self.local_server = local_server

    def _estimate(self, prompt_chars: int, template_id: str | None) -> CostEstimate:
        estimate = super()._estimate(prompt_chars, template_id)
        if not self.local_server:
            return estimate
        return replace(estimate, usd=0.0, description=f"{estimate.description} (local server)")

    def _actual_cost(self, reply: Reply, reservation: Reservation) -> float:
        return 0.0 if self.local_server else super()._actual_cost(reply, reservation)

    def _is_quota_error(self, status: int, fields: dict[str, Any]) -> bool:
        if status not in (402, 429):
            return False
        return bool({fields.get("code"), fields.get("type")} & OPENAI_QUOTA_CODES)

    def _send(self, system: str, messages: Sequence[Message]) -> Reply:
        client = self._get_client()
        if self.api == "chat":
            chat_kwargs: dict[str, Any] = {}
            if self.json_mode:
                chat_kwargs["response_format"] = {"type": "json_object"}
            completion = client.chat.completions.create(
                model=self.model,
                max_completion_tokens=self.max_output_tokens,
                messages=[
                    {"role": "system", "content": system},
                    *({"role": m.role, "content": m.text} for m in messages),
                ],
                **chat_kwargs,
            )
            choice = completion.choices[0] if completion.choices else None
            text = (choice.message.content if choice and choice.message else None) or ""
            usage = completion.usage
            return Reply(
                text,
                getattr(usage, "prompt_tokens", None) if usage else None,
                getattr(usage, "completion_tokens", None) if usage else None,
            )
        responses_kwargs: dict[str, Any] = {}
        if self.json_mode:
            responses_kwargs["text"] = {"format": {"type": "json_object"}}
        response = client.responses.create(
            model=self.model,
            instructions=system,
            input=[{"role": m.role, "content": m.text} for m in messages],
            max_output_tokens=self.max_output_tokens,
            **responses_kwargs,
        )
        usage = response.usage
        return Reply(
            response.output_text or "",
            getattr(usage, "input_tokens", None) if usage else None,
            getattr(usage, "output_tokens", None) if usage else None,
        )


def make_generator(
    provider: Literal["anthropic", "openai"], governor: Governor, **options: Any
) -> AnthropicGenerator | OpenAIGenerator:
    """Build the generator for ``provider`` (``options`` go to its constructor)."""
    factories: dict[str, Callable[..., AnthropicGenerator | OpenAIGenerator]] = {
        "anthropic": AnthropicGenerator,
        "openai": OpenAIGenerator,
    }
    if provider not in factories:
        raise ValueError(f"unknown LLM provider {provider!r}; use 'anthropic' or 'openai'")
    return factories[provider](governor, **options)
