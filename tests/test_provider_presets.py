"""Local and gateway providers (issue 13, item 5): presets in Settings, a local LLM server with
no key at $0 through the real SDK and the real ledger, and the refreshed dated price table."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.ai.costs import TABLE_NOTES, default_price_table
from pipeline.models import build_spec
from studio.budget import BudgetGovernor
from studio.cache import ContentCache
from studio.paid import LOCAL_SERVER_KEY, PaidChoices, paid_services
from studio.settings import (
    PROVIDER_PRESETS,
    AISettings,
    SecretStore,
    apply_preset,
    matching_preset,
)
from studio.store import open_database
from tests.fakes.llm_servers import FakeLLMServer, openai_chat_ok


def test_presets_are_data_with_the_documented_endpoints() -> None:
    by_id = {p.id: p for p in PROVIDER_PRESETS}
    assert by_id["ollama"].changes["openai_base_url"] == "http://localhost:11434/v1"
    assert by_id["lmstudio"].changes["openai_base_url"] == "http://localhost:1234/v1"
    assert by_id["litellm"].changes["video_base_url"].endswith(":4000/v1")
    assert by_id["litellm"].changes["image_base_url"].endswith(":4000/v1")
    for preset in PROVIDER_PRESETS:
        ai = apply_preset(AISettings(), preset.id)
        assert matching_preset(ai) == preset.id and preset.description
    assert matching_preset(AISettings()) is None
    with pytest.raises(KeyError):
        apply_preset(AISettings(), "nope")


def test_local_preset_prices_its_model_at_zero_and_leaves_others_alone() -> None:
    ai = apply_preset(AISettings(), "lmstudio")
    free = ai.prices.llm_price("openai", "local-model")
    assert free.input_usd_per_mtok == free.output_usd_per_mtok == 0.0
    assert free.as_of == date.today() and "local server" in free.source
    assert ai.prices.llm_price("openai", "gpt-4o").input_usd_per_mtok == 2.5
    # the settings file round-trips it
    assert AISettings.model_validate(json.loads(ai.model_dump_json())) == ai


@pytest.mark.parametrize("model", ["llama3.2", "qwen2.5:7b"])
def test_local_llm_writes_narration_without_a_key_at_zero_cost(
    tmp_path: Path, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Ollama preset pointed at a fake OpenAI-compatible server on 127.0.0.1: Chat
    Completions with a placeholder key, every call authorized and settled in the ledger at $0
    — also for a model the user pulled instead of the preset's (not in the price table)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    db = open_database(tmp_path / "studio.sqlite3")
    spec = build_spec(
        {
            "title": "Local",
            "scenes": [
                {"scene_type": "title", "title": "Local models", "subtitle": "No key needed"},
                {"scene_type": "outro", "main_text": "Thanks"},
            ],
        }
    )
    answer = json.dumps(
        {
            "narrations": [
                {"index": 0, "text": "Local models need no key."},
                {"index": 1, "text": "Bye."},
            ]
        }
    )
    with FakeLLMServer([openai_chat_ok(answer)]) as server:
        ai = apply_preset(AISettings(), "ollama").model_copy(
            update={
                "openai_base_url": server.openai_base_url,
                "llm_enabled": True,
                "llm_model": model,
            }
        )
        services = paid_services(
            PaidChoices(llm=True),
            db=db,
            cache=ContentCache(tmp_path / "artifacts", db),
            ai=ai,
            secrets=SecretStore(env={}),
            staging=tmp_path / "staging",
        )
        try:
            assert services.script is not None and not services.notes
            narrations = services.script(spec)
        finally:
            services.close()
        (request,) = server.requests
    assert narrations[0] == "Local models need no key."
    assert request.path.endswith("/chat/completions") and request.body["model"] == model
    assert request.headers["authorization"] == f"Bearer {LOCAL_SERVER_KEY}"
    (entry,) = BudgetGovernor(db).ledger()
    assert entry.state == "settled" and entry.actual_usd == 0.0 and entry.estimated_usd == 0.0
    db.close()


def test_price_table_refreshed_after_the_sora_shutdown() -> None:
    table = default_price_table()
    assert table.as_of >= date(2026, 9, 24)  # reviewed after OpenAI's Videos API closed
    assert table.notes == TABLE_NOTES and any("could be checked" in n for n in table.notes)
    # retirements reported after the image rows were read are named, with how sure we are
    (retired,) = [n for n in table.notes if "dall-e-3" in n]
    assert "2026-05-12" in retired and "gpt-image-1-mini" in retired and "not confirmed" in retired
    assert {"veo-3.0-generate-001", "veo-3.0-fast-generate-001", "gen4_turbo"} <= set(table.video)
    # every price has a date and a source; those not re-checked say so
    rows = [*table.video.values(), *table.image.values()]
    rows += [p for prices in table.llm.values() for p in prices.values()]
    assert all(isinstance(p.as_of, date) and p.source for p in rows)
    assert all("not re-checked" in p.source for p in table.image.values())
    assert "not re-checked" in table.video["veo-3.0-generate-001"].source
    # a gateway's provider/ prefix finds the same price
    assert table.video_price("vertex_ai/veo-3.0-generate-001").usd_per_s == 0.40
    # unknown models are priced at the dearest listed rate
    assert table.video_price("some-new-model").usd_per_s == max(
        p.usd_per_s for p in table.video.values()
    )


def test_a_saved_older_price_table_is_refreshed_on_load_keeping_the_operators_prices(
    tmp_path: Path,
) -> None:
    """Settings saved before the post-Sora review keep their table in settings.json; loading
    them brings the built-in rows, notes and date, and keeps what the operator or a preset
    set (and models the built-in table does not list)."""
    from pipeline.ai.costs import ImagePrice, LlmPrice, VideoPrice
    from studio.settings import (
        LOCAL_LLM_SOURCE,
        OPERATOR_PRICE_SOURCE,
        StudioSettings,
        load_settings,
        refresh_prices,
        save_settings,
    )

    built_in = default_price_table()
    read = date(2025, 11, 25)
    video = {k: v for k, v in built_in.video.items() if not k.startswith("veo")}
    video["sora-2"] = VideoPrice(
        usd_per_s=0.12, as_of=date(2026, 1, 5), source=OPERATOR_PRICE_SOURCE
    )
    video["kling-v2"] = VideoPrice(usd_per_s=0.07, as_of=date(2025, 6, 1), source="my gateway")
    image = {
        **built_in.image,
        "gpt-image-1:medium": ImagePrice(usd_per_image=0.04, as_of=read, source="old"),
    }
    free = LlmPrice(
        input_usd_per_mtok=0, output_usd_per_mtok=0, as_of=read, source=LOCAL_LLM_SOURCE
    )
    llm = {**built_in.llm, "openai": {**built_in.llm["openai"], "qwen2.5": free}}
    old = built_in.model_copy(
        update={"as_of": read, "notes": ("old",), "video": video, "image": image, "llm": llm}
    )
    path = tmp_path / "settings.json"
    settings = StudioSettings()
    save_settings(
        settings.model_copy(update={"ai": settings.ai.model_copy(update={"prices": old})}), path
    )
    assert json.loads(path.read_text(encoding="utf-8"))["ai"]["prices"]["as_of"] == "2025-11-25"

    prices = load_settings(path).ai.prices
    assert prices.as_of == built_in.as_of and prices.notes == TABLE_NOTES
    assert prices.video["veo-3.0-generate-001"] == built_in.video["veo-3.0-generate-001"]
    assert prices.image["gpt-image-1:medium"].usd_per_image == 0.063  # a built-in row: new
    assert prices.video["sora-2"].usd_per_s == 0.12  # the operator's: kept
    assert prices.video["kling-v2"].source == "my gateway"  # not in the built-in table: kept
    assert prices.llm_price("openai", "qwen2.5").output_usd_per_mtok == 0  # a preset's: kept
    assert refresh_prices(built_in) is built_in  # as new as the built-in table: untouched
