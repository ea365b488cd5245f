"""Cost estimates from the dated price table (pure functions)."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.ai.costs import (
    PriceTable,
    VideoPrice,
    actual_llm_cost,
    default_price_table,
    estimate_llm,
    estimate_tokens,
    estimate_tts,
    estimate_video,
)


@pytest.fixture
def prices() -> PriceTable:
    return default_price_table()


def test_every_figure_has_a_date_and_a_source(prices: PriceTable) -> None:
    figures = [
        *prices.video.values(),
        *(price for models in prices.llm.values() for price in models.values()),
        *(price for models in prices.tts.values() for price in models.values()),
    ]
    assert len(figures) >= 15
    for figure in figures:
        assert isinstance(figure.as_of, date)
        assert len(figure.source) > 10
    assert "sora-2" in prices.video["sora-2"].source
    assert "check yours" in prices.video["sora-2"].source


def test_video_is_priced_per_second(prices: PriceTable) -> None:
    estimate = estimate_video(8, "sora-2", prices, template_id="persona-a:topic-b")
    assert (estimate.kind, estimate.model, estimate.units, estimate.usd) == (
        "video",
        "sora-2",
        8.0,
        0.80,
    )
    assert estimate.template_id == "persona-a:topic-b"
    assert "8 s" in estimate.description
    assert estimate_video(4, "sora-2-pro", prices).usd == 1.20
    assert estimate_video(12, "sora-2-pro-hd", prices).usd == 6.00
    # a gateway model we do not know gets the dearest published rate
    assert estimate_video(10, "some-gateway/model", prices).usd == 5.00
    # fractions of a micro-dollar round up, never down
    assert estimate_video(0.0000001, "sora-2", prices).usd == 0.000001
    with pytest.raises(ValueError):
        estimate_video(-1, "sora-2", prices)


def test_llm_estimate_is_prompt_tokens_plus_the_output_ceiling(prices: PriceTable) -> None:
    assert estimate_tokens(0) == 0
    assert estimate_tokens(4001) == 1001  # ceil(chars / 4)
    estimate = estimate_llm(4000, 1000, "anthropic", "claude-sonnet-4-5-20250929", prices)
    # 1000 input tokens × $3/M + 1000 output tokens × $15/M
    assert estimate.usd == 0.018
    assert estimate.units == 2000
    assert estimate.kind == "llm"
    haiku = estimate_llm(4000, 1000, "anthropic", "claude-haiku-4-5", prices)
    assert haiku.usd == 0.006
    unknown = estimate_llm(4000, 1000, "anthropic", "claude-new-family", prices)
    assert unknown.usd == 0.030  # the Opus rate: conservative
    # longest prefix wins: gpt-4o-mini is not priced as gpt-4o
    assert estimate_llm(4_000_000, 0, "openai", "gpt-4o-mini-2024-07-18", prices).usd == 0.15
    assert estimate_llm(4_000_000, 0, "openai", "gpt-4o-2024-08-06", prices).usd == 2.50
    with pytest.raises(KeyError):
        estimate_llm(10, 10, "nobody", "x", prices)


def test_actual_llm_cost_uses_reported_tokens(prices: PriceTable) -> None:
    assert actual_llm_cost(1_000_000, 100_000, "openai", "gpt-4.1-mini", prices) == 0.56
    assert actual_llm_cost(1, 1, "anthropic", "claude-sonnet-4-5", prices) == 0.000018
    with pytest.raises(ValueError):
        actual_llm_cost(-1, 0, "openai", "gpt-4o", prices)


def test_tts_edge_is_free_and_openai_is_per_character(prices: PriceTable) -> None:
    assert estimate_tts(50_000, "edge", prices).usd == 0.0
    assert estimate_tts(50_000, "espeak", prices).usd == 0.0
    assert estimate_tts(100_000, "openai", prices, model="tts-1").usd == 1.50
    assert estimate_tts(100_000, "openai", prices, model="tts-1-hd").usd == 3.00
    assert estimate_tts(100_000, "openai", prices).usd == 3.00  # conservative default
    assert estimate_tts(10, "edge", prices, template_id="t").template_id == "t"


def test_price_table_round_trips_through_json_and_can_be_replaced(prices: PriceTable) -> None:
    loaded = PriceTable.model_validate_json(prices.model_dump_json())
    assert loaded == prices
    gateway = prices.model_copy(
        update={
            "video": {
                **prices.video,
                "sora-2": VideoPrice(usd_per_s=0.12, as_of=date(2026, 10, 1), source="gateway"),
            }
        }
    )
    assert estimate_video(10, "sora-2", gateway).usd == 1.20
