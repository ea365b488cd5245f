"""A paid call that provably never left the machine is released, not settled — through the
real SDKs and the real budget ledger (issue 11, item 10).

"Never left": the HTTP client refused to send the request (an API key with a newline: h11
checks header values before it writes a byte), the connection was refused, or the connect
timed out. The fake servers count what reached them: nothing may."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from pipeline.ai.base import ProviderError, request_never_sent
from pipeline.ai.llm import AnthropicGenerator, OpenAIGenerator
from pipeline.ai.videos import ClipRequest, VideoClipClient, VideoClipSettings
from pipeline.progress import CancelToken
from studio.budget import BudgetGovernor, BudgetPolicy
from studio.store import open_database
from studio.store.tables import LedgerEntryRow, LedgerState
from tests.fakes.llm_servers import FakeLLMServer
from tests.fakes.videos_server import FakeVideosServer

NEWLINE_KEY = "sk-test-1234\nX-Injected: yes"
REQUEST = ClipRequest(
    prompt="A calm animated chart of credit utilisation falling below 30 percent",
    seconds=8,
    size="1280x720",
    cache_key="persona:high_utilization:topic:credit",
)


@pytest.fixture()
def governor(tmp_path: Path) -> Iterator[BudgetGovernor]:
    db = open_database(tmp_path / "videostudio.sqlite3")
    yield BudgetGovernor(db, BudgetPolicy(daily_usd=5.0))  # hard stop at $6.00
    db.close()


def _states(governor: BudgetGovernor) -> list[LedgerState]:
    with governor.db.begin() as session:
        return [LedgerState(s) for (s,) in session.query(LedgerEntryRow.state).all()]


def _clip_client(base_url: str, api_key: str, governor: BudgetGovernor) -> VideoClipClient:
    settings = VideoClipSettings(
        base_url=base_url,
        api_key=api_key,
        model="sora-2",
        poll_interval_s=0.01,
        timeout_s=5.0,
        request_timeout_s=0.5,
    )
    return VideoClipClient(settings, governor, price_per_second_usd=0.15)  # $1.20 a clip


def test_a_key_with_a_newline_is_released_five_times_and_the_budget_stays_untouched(
    governor: BudgetGovernor, tmp_path: Path
):
    with FakeVideosServer() as server:
        with _clip_client(server.base_url, NEWLINE_KEY, governor) as client:
            for _ in range(6):  # the old code settled $1.20 each time: stopped at the 5th
                with pytest.raises(ProviderError, match="API key contains characters"):
                    client.generate(
                        REQUEST,
                        on_remote_id=pytest.fail,
                        cancel=CancelToken(),
                        out_path=tmp_path / "clip.mp4",
                    )
        assert server.events() == []  # nothing reached the gateway
    assert _states(governor) == [LedgerState.RELEASED] * 6
    assert governor.committed_usd() == 0.0


def test_a_refused_connection_is_released(governor: BudgetGovernor, tmp_path: Path):
    with FakeVideosServer() as server:
        base_url = server.base_url
    with _clip_client(base_url, "sk-fine", governor) as client:  # the server is gone
        with pytest.raises(ProviderError, match="could not connect"):
            client.generate(
                REQUEST, on_remote_id=pytest.fail, cancel=CancelToken(), out_path=tmp_path / "c"
            )
    assert _states(governor) == [LedgerState.RELEASED]


@pytest.fixture()
def full_backlog() -> Iterator[str]:
    """A base URL whose connects time out: a listening socket with a full accept backlog
    (Linux then drops further SYNs)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/v1"
    for filler in fillers:
        filler.close()
    listener.close()


def test_an_llm_connect_timeout_is_released_not_settled(
    governor: BudgetGovernor, full_backlog: str
):
    with OpenAIGenerator(
        governor,
        model="gpt-4o-mini",
        api="chat",
        api_key="sk-fine",
        base_url=full_backlog,
        timeout_s=0.3,
        max_retries=0,
    ) as generator:
        with pytest.raises(ProviderError):
            generator.generate(system="s", prompt="p", schema=_Card)
    assert _states(governor) == [LedgerState.RELEASED]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_an_llm_key_with_a_newline_is_released(governor: BudgetGovernor, provider: str):
    with FakeLLMServer() as server:
        if provider == "openai":
            generator = OpenAIGenerator(
                governor,
                model="gpt-4o-mini",
                api="chat",
                api_key=NEWLINE_KEY,
                base_url=server.openai_base_url,
                max_retries=0,
            )
        else:
            generator = AnthropicGenerator(
                governor,
                model="claude-3-5-haiku-latest",
                api_key=NEWLINE_KEY,
                base_url=server.anthropic_base_url,
                max_retries=0,
            )
        with generator, pytest.raises(ProviderError, match="nothing is charged") as info:
            generator.generate(system="s", prompt="p", schema=_Card)
        assert server.count == 0
        assert "sk-test-1234" not in str(info.value)
    assert _states(governor) == [LedgerState.RELEASED]


def test_a_dropped_connection_after_sending_is_not_called_unsent():
    import openai

    class Cause(Exception):
        pass

    error = openai.APIConnectionError(request=None)  # type: ignore[arg-type]
    error.__cause__ = Cause("connection reset by peer")
    assert not request_never_sent(error)


class _Card(BaseModel):
    headline: str
    score: int
