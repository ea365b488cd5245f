"""LLM providers (real openai/anthropic SDKs against local fake servers), LLM narration, critique.

Every test drives the real SDK over HTTP to :class:`tests.fakes.llm_servers.FakeLLMServer` on
127.0.0.1 and counts the requests that arrive, so SDK retries are observed, not assumed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from pydantic import BaseModel

from pipeline.ai.base import (
    CostEstimate,
    PaidWorkBlocked,
    ProviderError,
    QuotaExhausted,
    Reservation,
)
from pipeline.ai.costs import actual_llm_cost, default_price_table
from pipeline.ai.llm import AnthropicGenerator, OpenAIGenerator, extract_json, make_generator
from pipeline.ai.script import (
    Edit,
    apply_edits,
    apply_edits_report,
    critique,
    llm_script_stage,
)
from pipeline.models import VideoSpec
from pipeline.narration import script_stage
from tests.fakes.llm_servers import (
    FAST_RETRY,
    FakeLLMServer,
    Reply,
    anthropic_error,
    anthropic_ok,
    openai_chat_ok,
    openai_error,
    openai_responses_ok,
)

CANARY_KEY = "sk-canary-7f3a9c1e5b2d4f60"


# --- helpers ------------------------------------------------------------------------------


@dataclass
class FakeGovernor:
    """Records every call; raises ``block`` from ``authorize`` when set."""

    block: PaidWorkBlocked | None = None
    calls: list[tuple[str, object]] = field(default_factory=list)
    _next_id: int = 0

    def authorize(self, estimate: CostEstimate) -> Reservation:
        self.calls.append(("authorize", estimate))
        if self.block is not None:
            raise self.block
        self._next_id += 1
        return Reservation(self._next_id, estimate)

    def settle(self, reservation: Reservation, actual_usd: float) -> None:
        self.calls.append(("settle", actual_usd))

    def release(self, reservation: Reservation) -> None:
        self.calls.append(("release", reservation.id))

    def pause_paid_work(self, reason: str) -> None:
        self.calls.append(("pause", reason))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


class Card(BaseModel):
    """A small schema for provider tests."""

    headline: str
    score: int


@dataclass(frozen=True)
class Flavour:
    """One provider/API combination: how to build it and how it answers."""

    name: str
    provider: str
    model: str
    path: str
    ok: Callable[..., Reply]
    error: Callable[..., Reply]

    def make(self, server: FakeLLMServer, governor: FakeGovernor, **options: object):
        if self.provider == "anthropic":
            return AnthropicGenerator(
                governor,
                model=self.model,
                api_key=options.pop("api_key", CANARY_KEY),
                base_url=server.anthropic_base_url,
                **options,
            )
        return OpenAIGenerator(
            governor,
            model=self.model,
            api="chat" if self.name == "openai-chat" else "responses",
            api_key=options.pop("api_key", CANARY_KEY),
            base_url=server.openai_base_url,
            **options,
        )


FLAVOURS = [
    Flavour(
        "openai-responses",
        "openai",
        "gpt-4o-mini",
        "/v1/responses",
        openai_responses_ok,
        openai_error,
    ),
    Flavour(
        "openai-chat", "openai", "gpt-4o-mini", "/v1/chat/completions", openai_chat_ok, openai_error
    ),
    Flavour(
        "anthropic", "anthropic", "claude-haiku-4-5", "/v1/messages", anthropic_ok, anthropic_error
    ),
]


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture
def governor() -> FakeGovernor:
    return FakeGovernor()


@pytest.fixture
def spec() -> VideoSpec:
    return VideoSpec.model_validate(
        {
            "title": "Budget basics",
            "format": "9:16",
            "scenes": [
                {"scene_type": "ad", "role": "hook", "headline": "Broke by the 20th?"},
                {
                    "scene_type": "list",
                    "header": "Three habits",
                    "items": ["Track spending", "Pay yourself first", "Cut one subscription"],
                },
                {
                    "scene_type": "outro",
                    "main_text": "Start today",
                    "narration": "Start today. Your future self says thanks.",
                },
                {"scene_type": "title", "title": "Silent card", "narration": ""},
            ],
        }
    )


def _text_of(request_body: dict) -> str:
    return json.dumps(request_body)


# --- JSON extraction ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('```\n{"a": [1, 2]}\n```', {"a": [1, 2]}),
        ('Sure! Here it is:\n{"a": "x}"}\nHope that helps.', {"a": "x}"}),
        ('Note {this} first. ```json\n{"a": 2}\n``` done', {"a": 2}),
        ('Options {a, b}: {"a": 3}', {"a": 3}),
    ],
)
def test_extract_json_strips_fences_and_prose(text: str, expected: object) -> None:
    assert extract_json(text) == expected


@pytest.mark.parametrize("text", ["no json here", '{"a": 1', "```json\n{oops}\n```"])
def test_extract_json_rejects_non_json(text: str) -> None:
    with pytest.raises(ValueError, match="JSON"):
        extract_json(text)


# --- happy paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        '{"headline": "Save more", "score": 7}',
        '```json\n{"headline": "Save more", "score": 7}\n```',
        'Here is the JSON you asked for:\n{"headline": "Save more", "score": 7}\nThanks!',
    ],
    ids=["plain", "fenced", "prose"],
)
def test_generate_returns_validated_model(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor, answer: str
) -> None:
    server.add(flavour.ok(answer, input_tokens=1200, output_tokens=30))
    with flavour.make(server, governor) as generator:
        card = generator.generate(
            system="You write ads.", prompt="One headline.", schema=Card, template_id="t-1"
        )
    assert card == Card(headline="Save more", score=7)
    assert server.count == 1
    request = server.requests[0]
    assert request.path == flavour.path
    assert request.body["model"] == flavour.model
    sent = _text_of(request.body)
    assert '\\"headline\\"' in sent and "JSON Schema" in sent  # the schema is in the prompt
    # Governor: authorize the estimate, then settle the usage-based cost.
    assert governor.names == ["authorize", "settle"]
    estimate = governor.calls[0][1]
    assert isinstance(estimate, CostEstimate)
    assert (estimate.kind, estimate.provider, estimate.model) == (
        "llm",
        flavour.provider,
        flavour.model,
    )
    assert estimate.template_id == "t-1"
    expected = actual_llm_cost(1200, 30, flavour.provider, flavour.model, default_price_table())
    assert governor.calls[1][1] == pytest.approx(expected)
    assert 0 < expected < estimate.usd


def test_openai_requests_json_mode_but_does_not_depend_on_it(
    server: FakeLLMServer, governor: FakeGovernor
) -> None:
    server.add(openai_responses_ok('```json\n{"headline": "A", "score": 1}\n```'))
    server.add(openai_chat_ok('{"headline": "B", "score": 2}'))
    with OpenAIGenerator(
        governor, model="gpt-5-mini", api_key=CANARY_KEY, base_url=server.openai_base_url
    ) as responses:
        assert responses.generate(system="s", prompt="p", schema=Card).headline == "A"
    with OpenAIGenerator(
        governor,
        model="gpt-5-mini",
        api="chat",
        json_mode=False,
        api_key=CANARY_KEY,
        base_url=server.openai_base_url,
    ) as chat:
        assert chat.generate(system="s", prompt="p", schema=Card).headline == "B"
    assert server.requests[0].body["text"] == {"format": {"type": "json_object"}}
    assert "response_format" not in server.requests[1].body
    assert server.requests[1].body["messages"][0] == {"role": "system", "content": "s"}


def test_keys_and_endpoints_fall_back_to_the_sdk_env_vars(
    server: FakeLLMServer, governor: FakeGovernor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "ak-from-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_base_url)
    server.add(openai_responses_ok('{"headline": "A", "score": 1}'))
    server.add(anthropic_ok('{"headline": "B", "score": 2}'))
    with make_generator("openai", governor, model="gpt-4o") as openai_gen:
        assert openai_gen.generate(system="s", prompt="p", schema=Card).score == 1
    with make_generator("anthropic", governor, model="claude-sonnet-4-6") as anthropic_gen:
        assert anthropic_gen.generate(system="s", prompt="p", schema=Card).score == 2
    assert server.requests[0].headers["authorization"] == "Bearer sk-from-env"
    # anthropic 2.x sends the API key as a bearer token
    assert server.requests[1].headers["authorization"] == "Bearer ak-from-env"


def test_no_key_blocks_before_any_request(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with flavour.make(server, governor, api_key=None) as generator:
        assert not generator.has_key
        with pytest.raises(PaidWorkBlocked) as caught:
            generator.generate(system="s", prompt="p", schema=Card)
    assert caught.value.reason == "disabled"
    assert server.count == 0
    assert governor.calls == []


# --- repair -------------------------------------------------------------------------------


def test_malformed_json_gets_one_repair_request(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor
) -> None:
    server.add(
        flavour.ok('{"headline": "Save more", "score": "lots"}'),
        flavour.ok('{"headline": "Save more", "score": 9}'),
    )
    with flavour.make(server, governor) as generator:
        card = generator.generate(system="s", prompt="p", schema=Card)
    assert card.score == 9
    assert server.count == 2
    repair = _text_of(server.requests[1].body)
    assert "score" in repair and "corrected JSON" in repair
    assert '\\"lots\\"' in repair  # the bad answer is sent back
    assert governor.names == ["authorize", "settle", "authorize", "settle"]


def test_malformed_twice_raises_provider_error(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor
) -> None:
    server.add(flavour.ok("I cannot do that."), flavour.ok("```json\n{broken\n```"))
    with flavour.make(server, governor) as generator:
        with pytest.raises(ProviderError, match="valid JSON"):
            generator.generate(system="s", prompt="p", schema=Card)
    assert server.count == 2
    assert governor.names == ["authorize", "settle", "authorize", "settle"]


def test_script_falls_back_to_rules_after_two_bad_answers(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor, spec: VideoSpec
) -> None:
    server.add(flavour.ok("not json"), flavour.ok('{"narrations": "nope"}'))
    with flavour.make(server, governor) as generator:
        result = llm_script_stage(spec, generator)
    assert result.source == "rules"
    assert result.narrations == script_stage(spec)
    assert "ProviderError" in result.notes[0]
    assert server.count == 2


# --- HTTP errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, "request was rejected"),
        (401, "the API key was refused — check it in Settings"),
        (404, "not found"),
        (422, "request was rejected"),
    ],
)
def test_client_errors_are_not_retried(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor, status: int, expected: str
) -> None:
    server.add(flavour.error(status, f"fake {status} problem"))
    with flavour.make(server, governor) as generator:
        with pytest.raises(ProviderError) as caught:
            generator.generate(system="s", prompt="p", schema=Card)
    assert server.count == 1
    assert expected in str(caught.value)
    assert f"fake {status} problem" in str(caught.value)
    assert governor.names == ["authorize", "release"]


@pytest.mark.parametrize(("status", "expected"), [(429, "rate limited"), (500, "HTTP 500")])
def test_rate_limits_and_server_errors_get_the_sdk_retries(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor, status: int, expected: str
) -> None:
    for _ in range(3):
        server.add(flavour.error(status, "slow down", headers=FAST_RETRY))
    with flavour.make(server, governor) as generator:
        with pytest.raises(ProviderError, match=expected):
            generator.generate(system="s", prompt="p", schema=Card)
    assert server.count == 3  # the SDK's default: 1 attempt + 2 retries, no loop of ours
    assert governor.names == ["authorize", "release"]


def test_server_error_then_success(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor
) -> None:
    server.add(
        flavour.error(500, "hiccup", headers=FAST_RETRY),
        flavour.ok('{"headline": "Back", "score": 1}', input_tokens=10, output_tokens=5),
    )
    with flavour.make(server, governor) as generator:
        assert generator.generate(system="s", prompt="p", schema=Card).headline == "Back"
    assert server.count == 2
    assert governor.names == ["authorize", "settle"]
    expected = actual_llm_cost(10, 5, flavour.provider, flavour.model, default_price_table())
    assert governor.calls[1][1] == pytest.approx(expected)


def _quota_reply(flavour: Flavour) -> Reply:
    # No x-should-retry header: the real APIs do not promise one, so the client must stop itself.
    if flavour.provider == "anthropic":
        return anthropic_error(
            429,
            "You have reached your specified API usage limits.",
            type="rate_limit_error",
            error_code="enforced_spend_limit_reached",
            headers=FAST_RETRY,
        )
    return openai_error(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        type="insufficient_quota",
        code="insufficient_quota",
        headers=FAST_RETRY,
    )


def test_quota_exhausted_pauses_paid_work_without_retry(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor
) -> None:
    for _ in range(3):
        server.add(_quota_reply(flavour))
    with flavour.make(server, governor) as generator:
        with pytest.raises(QuotaExhausted) as caught:
            generator.generate(system="s", prompt="p", schema=Card)
    assert server.count == 1
    assert governor.names == ["authorize", "release", "pause"]
    assert "quota" in str(governor.calls[-1][1])
    assert "resume paid work" in caught.value.hint


@pytest.mark.parametrize(
    "reply",
    [
        anthropic_error(402, "Payment required.", type="billing_error"),
        anthropic_error(
            400,
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
            "Billing to upgrade or purchase credits.",
        ),
    ],
    ids=["402-billing", "400-credit-balance"],
)
def test_anthropic_billing_errors_count_as_quota(
    server: FakeLLMServer, governor: FakeGovernor, reply: Reply
) -> None:
    server.add(reply)
    with AnthropicGenerator(
        governor, model="claude-haiku-4-5", api_key=CANARY_KEY, base_url=server.anthropic_base_url
    ) as generator:
        with pytest.raises(QuotaExhausted):
            generator.generate(system="s", prompt="p", schema=Card)
    assert server.count == 1
    assert governor.names[-1] == "pause"


def test_anthropic_ramp_limit_is_an_ordinary_rate_limit(
    server: FakeLLMServer, governor: FakeGovernor
) -> None:
    for _ in range(3):
        server.add(
            anthropic_error(
                429,
                "Rate limited.",
                type="rate_limit_error",
                error_code="ramp_limit_exceeded",
                headers=FAST_RETRY,
            )
        )
    with AnthropicGenerator(
        governor, model="claude-haiku-4-5", api_key=CANARY_KEY, base_url=server.anthropic_base_url
    ) as generator:
        with pytest.raises(ProviderError):
            generator.generate(system="s", prompt="p", schema=Card)
    assert server.count == 3
    assert "pause" not in governor.names


def test_quota_exhausted_script_falls_back_to_rules(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor, spec: VideoSpec
) -> None:
    server.add(_quota_reply(flavour))
    with flavour.make(server, governor) as generator:
        result = llm_script_stage(spec, generator)
    assert result.source == "rules"
    assert result.narrations == script_stage(spec)
    assert "QuotaExhausted" in result.notes[0]
    assert server.count == 1


def test_blocked_by_governor_sends_nothing(
    flavour: Flavour, server: FakeLLMServer, spec: VideoSpec
) -> None:
    governor = FakeGovernor(block=PaidWorkBlocked("over budget", reason="budget_exceeded"))
    server.add(flavour.ok('{"headline": "x", "score": 1}'))
    with flavour.make(server, governor) as generator:
        with pytest.raises(PaidWorkBlocked) as caught:
            generator.generate(system="s", prompt="p", schema=Card)
        assert caught.value.reason == "budget_exceeded"
        result = llm_script_stage(spec, generator)
    assert server.count == 0
    assert result.source == "rules"
    assert result.narrations == script_stage(spec)
    assert governor.names == ["authorize", "authorize"]


def test_api_key_never_appears_in_errors_or_logs(
    flavour: Flavour,
    server: FakeLLMServer,
    governor: FakeGovernor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"Incorrect API key provided: {CANARY_KEY}."
    server.add(flavour.error(401, echo))
    for _ in range(3):
        server.add(flavour.error(500, f"upstream said {CANARY_KEY}", headers=FAST_RETRY))
    with flavour.make(server, governor) as generator:
        assert CANARY_KEY not in repr(generator)
        errors = []
        for _ in range(2):
            with pytest.raises(ProviderError) as caught:
                generator.generate(system="s", prompt="p", schema=Card)
            errors.append(caught.value)
    assert server.requests[0].headers["authorization"] == f"Bearer {CANARY_KEY}"  # it was sent
    for error in errors:
        assert CANARY_KEY not in str(error)
        assert CANARY_KEY not in repr(error)
        assert error.__cause__ is None and error.__suppress_context__
    assert "the API key was refused" in str(errors[0])
    assert caplog.records, "expected some log output to check"
    assert CANARY_KEY not in caplog.text


# --- LLM narration ------------------------------------------------------------------------


def _narrations(*items: tuple[int, str]) -> str:
    return json.dumps({"narrations": [{"index": i, "text": t} for i, t in items]})


def test_llm_script_fills_only_the_open_slots(
    flavour: Flavour, server: FakeLLMServer, governor: FakeGovernor, spec: VideoSpec
) -> None:
    answer = _narrations(
        (0, "Broke by the **20th**? See https://example.com/tips now."),
        (1, "Three habits: track spending, pay yourself first, cut one subscription."),
    )
    server.add(flavour.ok(f"```json\n{answer}\n```"))
    with flavour.make(server, governor) as generator:
        result = llm_script_stage(spec, generator, template_id="budget")
    assert result.source == "llm"
    assert result.scene_sources == ["llm", "llm", "author", "author"]
    assert result.narrations[0] == "Broke by the 20th? See example.com now."
    assert result.narrations[1].startswith("Three habits: track spending")
    rules = script_stage(spec)
    assert result.narrations[2:] == rules[2:] == ["Start today. Your future self says thanks.", ""]
    prompt = _text_of(server.requests[0].body)
    assert "Pay yourself first" in prompt  # items to mention in order
    assert governor.calls[0][1].template_id == "budget"


def test_llm_script_count_mismatch_is_repaired(
    server: FakeLLMServer, governor: FakeGovernor, spec: VideoSpec
) -> None:
    server.add(
        openai_responses_ok(_narrations((0, "Only one."))),
        openai_responses_ok(_narrations((0, "Hook line."), (1, "Three habits to learn."))),
    )
    with OpenAIGenerator(
        governor, model="gpt-4o-mini", api_key=CANARY_KEY, base_url=server.openai_base_url
    ) as generator:
        result = llm_script_stage(spec, generator)
    assert server.count == 2
    assert "narrations: List should have at least 2 items" in _text_of(server.requests[1].body)
    assert result.source == "llm"
    assert result.narrations[:2] == ["Hook line.", "Three habits to learn."]


def test_llm_script_too_long_text_is_rejected_then_falls_back(
    server: FakeLLMServer, governor: FakeGovernor, spec: VideoSpec
) -> None:
    too_long = _narrations((0, "word " * 1200), (1, "ok"))
    server.add(openai_chat_ok(too_long), openai_chat_ok(too_long))
    with OpenAIGenerator(
        governor,
        model="gpt-4o-mini",
        api="chat",
        api_key=CANARY_KEY,
        base_url=server.openai_base_url,
    ) as generator:
        result = llm_script_stage(spec, generator)
    assert result.source == "rules"
    assert server.count == 2


def test_llm_script_empty_scene_falls_back_per_scene(
    server: FakeLLMServer, governor: FakeGovernor, spec: VideoSpec
) -> None:
    server.add(anthropic_ok(_narrations((0, "Broke again?"), (1, "<br/> :rocket: **"))))
    with AnthropicGenerator(
        governor, model="claude-haiku-4-5", api_key=CANARY_KEY, base_url=server.anthropic_base_url
    ) as generator:
        result = llm_script_stage(spec, generator)
    assert result.source == "mixed"
    assert result.scene_sources[:2] == ["llm", "rules"]
    assert result.narrations[1] == script_stage(spec)[1]
    assert any("scene 2" in note for note in result.notes)


def test_llm_script_without_generator_uses_rules(spec: VideoSpec) -> None:
    result = llm_script_stage(spec, None)
    assert (result.source, result.narrations) == ("rules", script_stage(spec))


# --- critique and apply_edits ---------------------------------------------------------------


def test_critique_and_apply_edits_round_trip(
    server: FakeLLMServer, governor: FakeGovernor, spec: VideoSpec
) -> None:
    critique_json = {
        "edits": [
            {
                "scene_index": 1,
                "kind": "trim",
                "delta_s": 0.5,  # the model gave a positive number; trim means shorter
                "reason": "scene 2 drags — cut 0.5 s",
            },
            {
                "scene_index": 0,
                "kind": "rewrite_field",
                "field": "headline",
                "new_value": "Why is your money gone by the 20th?",
                "reason": "hook is too generic — try curiosity",
            },
            {
                "scene_index": 2,
                "kind": "rewrite_narration",
                "new_value": "Start today.",
                "reason": "tighter close",
            },
            {"scene_index": 0, "kind": "extend", "delta_s": 1.0, "reason": "let it land"},
            {"scene_index": 9, "kind": "trim", "delta_s": -1, "reason": "no such scene"},
            {
                "scene_index": 1,
                "kind": "rewrite_field",
                "field": "items",
                "new_value": "x",
                "reason": "structure is not editable",
            },
        ]
    }
    server.add(anthropic_ok(json.dumps(critique_json)))
    with AnthropicGenerator(
        governor, model="claude-sonnet-4-6", api_key=CANARY_KEY, base_url=server.anthropic_base_url
    ) as generator:
        edits = critique(spec, generator, durations_s=[2.0, 6.0, 3.0, 1.5])
    assert [(e.scene_index, e.kind) for e in edits] == [
        (1, "trim"),
        (0, "rewrite_field"),
        (2, "rewrite_narration"),
        (0, "extend"),
    ]
    assert edits[0].delta_s == -0.5
    prompt = _text_of(server.requests[0].body)
    assert '\\"duration_s\\": 6.0' in prompt and "rewritable_fields" in prompt

    edited = apply_edits(spec, edits, durations_s=[2.0, 6.0, 3.0, 1.5])
    assert edited.scenes[1].max_duration_s == pytest.approx(5.5)
    assert edited.scenes[0].headline == "Why is your money gone by the 20th?"
    assert edited.scenes[0].min_duration_s == pytest.approx(3.0)
    assert edited.scenes[2].narration == "Start today."
    assert len(edited.scenes) == len(spec.scenes)
    assert [s.scene_type for s in edited.scenes] == [s.scene_type for s in spec.scenes]
    assert spec.scenes[0].headline == "Broke by the 20th?"  # the input is untouched
    assert VideoSpec.model_validate(edited.model_dump()) == edited


def test_apply_edits_skips_invalid_edits_with_notes(spec: VideoSpec) -> None:
    edits = [
        Edit(scene_index=5, kind="extend", delta_s=1.0),
        Edit(scene_index=0, kind="rewrite_field", field="subtitle", new_value="nope"),
        Edit(scene_index=0, kind="rewrite_field", field="headline", new_value="x" * 500),
        Edit(scene_index=0, kind="rewrite_field", field="image_path", new_value="/etc/passwd"),
        Edit(scene_index=1, kind="rewrite_field", field="header", new_value="Three good habits"),
        Edit(scene_index=3, kind="trim", delta_s=-50.0),
    ]
    report = apply_edits_report(spec, edits)
    assert [e.field or e.kind for e in report.applied] == ["header", "trim"]
    assert len(report.skipped) == 4
    notes = report.notes
    assert "no scene 6" in notes[0]
    assert "subtitle" in notes[1] and "headline" in notes[1]  # lists what it does have
    assert "at most 200" in notes[2]
    assert report.spec.scenes[1].header == "Three good habits"
    assert report.spec.scenes[3].max_duration_s == 0.5  # clamped to the minimum length
    assert apply_edits(spec, edits) == report.spec


def test_trim_without_measured_durations_uses_bounds_or_estimate(spec: VideoSpec) -> None:
    bounded = spec.model_copy(deep=True)
    bounded.scenes[1].min_duration_s = 4.0
    bounded.scenes[1].max_duration_s = 8.0
    edited = apply_edits(bounded, [Edit(scene_index=1, kind="trim", delta_s=-5.0)])
    assert edited.scenes[1].max_duration_s == pytest.approx(3.0)
    assert edited.scenes[1].min_duration_s == pytest.approx(3.0)  # lowered to stay valid
    estimated = apply_edits(spec, [Edit(scene_index=2, kind="extend", delta_s=2.0)])
    words = len(script_stage(spec)[2].split())
    assert estimated.scenes[2].min_duration_s == pytest.approx(words / 2.5 + 0.5 + 2.0)


def test_edit_model_rejects_incomplete_edits() -> None:
    with pytest.raises(ValueError, match="delta_s"):
        Edit(scene_index=0, kind="trim")
    with pytest.raises(ValueError, match="new_value"):
        Edit(scene_index=0, kind="rewrite_narration")
    with pytest.raises(ValueError, match="field name"):
        Edit(scene_index=0, kind="rewrite_field", new_value="x")


def test_critique_errors_reach_the_caller(server: FakeLLMServer, spec: VideoSpec) -> None:
    governor = FakeGovernor(block=PaidWorkBlocked("needs approval", reason="approval_required"))
    with OpenAIGenerator(
        governor, model="gpt-4o", api_key=CANARY_KEY, base_url=server.openai_base_url
    ) as generator:
        with pytest.raises(PaidWorkBlocked):
            critique(spec, generator)
    assert server.count == 0


def test_timeout_settles_the_estimate(server: FakeLLMServer, governor: FakeGovernor) -> None:
    def slow(_request: object) -> Reply:
        time.sleep(0.6)
        return openai_chat_ok('{"headline": "late", "score": 1}')

    server.add(slow)
    with OpenAIGenerator(
        governor,
        model="gpt-4o-mini",
        api="chat",
        api_key=CANARY_KEY,
        base_url=server.openai_base_url,
        timeout_s=0.2,
        max_retries=0,
    ) as generator:
        with pytest.raises(ProviderError, match="no answer within 0.2 s"):
            generator.generate(system="s", prompt="p", schema=Card)
    # The provider may have billed work it had started: the ledger keeps the estimate.
    assert governor.names == ["authorize", "settle"]
    assert governor.calls[1][1] == governor.calls[0][1].usd
