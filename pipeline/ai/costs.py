"""Cost estimates for paid AI calls, from a dated price table (pure: no Qt, no database).

Every figure in :func:`default_price_table` carries the date it was read (``as_of``) and where
(``source``). Prices change and gateways charge their own rates: the studio should let the
operator replace the table (it is a pydantic model, so it loads from JSON).

Rounding: every estimate is rounded **up** to a whole micro-dollar (1e-6 USD) with
:class:`~decimal.Decimal` arithmetic, so an estimate never falls short of the formula and the
ledger (which counts integer micro-dollars) sees exactly the figure computed here.

Token rule for estimates: ``tokens = ceil(chars / chars_per_token)`` with
``chars_per_token = 4`` — OpenAI's rule of thumb "one token is about 4 characters of English
text" (OpenAI Help Center, "What are tokens and how to count them?"). It undercounts for
scripts such as Chinese or Japanese; the actual cost settled afterwards (from the provider's
reported usage) corrects the ledger. The output side of an LLM estimate is the full
``max_output_tokens`` (the most the call can bill).

Unknown models are priced at the provider's ``default`` entry, which is chosen to be the most
expensive published rate we list, so an unknown model errs towards refusing, not overspending.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.ai.base import CostEstimate

MICRO_USD = Decimal("0.000001")
"""Estimates are rounded up to this step (one micro-dollar)."""

DEFAULT_CHARS_PER_TOKEN = 4.0
"""OpenAI's rule of thumb: ~4 characters of English text per token."""

PriceT = TypeVar("PriceT", "LlmPrice", "TtsPrice")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VideoPrice(_Frozen):
    """USD per second of generated clip, with when and where the figure was read."""

    usd_per_s: float = Field(ge=0)
    as_of: date
    source: str


class ImagePrice(_Frozen):
    """USD per generated image (at the quality in the table's key), with when and where the
    figure was read."""

    usd_per_image: float = Field(ge=0)
    as_of: date
    source: str


class LlmPrice(_Frozen):
    """USD per million tokens (input and output), with when and where the figure was read."""

    input_usd_per_mtok: float = Field(ge=0)
    output_usd_per_mtok: float = Field(ge=0)
    as_of: date
    source: str


class TtsPrice(_Frozen):
    """USD per million characters of synthesised text, with when and where it was read."""

    usd_per_mchar: float = Field(ge=0)
    as_of: date
    source: str


class PriceTable(_Frozen):
    """Prices of every paid call the studio can make.

    Lookups: ``video[model]`` (then the model without a gateway's ``provider/`` prefix, then
    ``video["default"]``); ``image["model:quality"]`` (then ``image[model]``, the same without
    a ``provider/`` prefix, then ``image["default"]``); ``llm[provider]`` then the longest
    key that is a prefix of the model name (``"claude-sonnet"`` matches
    ``"claude-sonnet-4-5-20250929"``), then ``llm[provider]["default"]``; ``tts[provider]``
    likewise by model prefix, then ``"default"``.

    Attributes:
        as_of: when the table as a whole was last reviewed.
        chars_per_token: characters per token used to estimate prompt tokens.
        notes: what the reader of the table must know (prices that could not be checked).
    """

    as_of: date
    chars_per_token: float = Field(default=DEFAULT_CHARS_PER_TOKEN, gt=0)
    video: dict[str, VideoPrice]
    llm: dict[str, dict[str, LlmPrice]]
    tts: dict[str, dict[str, TtsPrice]]
    image: dict[str, ImagePrice] = Field(default_factory=lambda: default_image_prices())
    notes: tuple[str, ...] = ()

    def video_price(self, model: str) -> VideoPrice:
        """The per-second price of ``model`` (exact name, then without a ``provider/``
        prefix as LiteLLM names models), else the conservative default."""
        return self.video.get(model) or self.video.get(_unprefixed(model)) or self.video["default"]

    def image_price(self, model: str, quality: str = "") -> ImagePrice:
        """The per-image price of ``model`` at ``quality`` (see the lookup order above)."""
        for name in (model, _unprefixed(model)):
            found = self.image.get(f"{name}:{quality}") if quality else None
            found = found or self.image.get(name)
            if found is not None:
                return found
        return self.image["default"]

    def llm_price(self, provider: str, model: str) -> LlmPrice:
        """The token prices of ``provider``'s ``model`` (longest matching prefix).

        Raises:
            KeyError: the provider is not in the table.
        """
        return _by_prefix(self.llm[provider], model)

    def tts_price(self, provider: str, model: str = "") -> TtsPrice:
        """The per-character price of ``provider`` (``model`` by longest prefix).

        Raises:
            KeyError: the provider is not in the table.
        """
        return _by_prefix(self.tts[provider], model)


def _unprefixed(model: str) -> str:
    """``"openai/gpt-image-1"`` → ``"gpt-image-1"`` (a LiteLLM proxy's model names)."""
    return model.rsplit("/", 1)[-1]


def _by_prefix(table: dict[str, PriceT], model: str) -> PriceT:
    matches = [key for key in table if key != "default" and model.startswith(key)]
    if matches:
        return table[max(matches, key=len)]
    return table["default"]


_OPENAI_PRICING = "OpenAI API pricing page, https://openai.com/api/pricing/"
_SORA_SOURCE = (
    "OpenAI API pricing page for sora-2 (archived 2026-09); OpenAI shut the Videos API down "
    "on 2026-09-24 — gateways differ, check yours"
)
_ANTHROPIC_PRICING = "Anthropic pricing, https://docs.anthropic.com/en/docs/about-claude/pricing"
_GEMINI_PRICING = "Gemini API pricing page, https://ai.google.dev/gemini-api/docs/pricing"
_RUNWAY_PRICING = "Runway API pricing, https://docs.dev.runwayml.com/guides/pricing/ ($0.01/credit)"
_NOT_CHECKED = " — not re-checked on 2026-12-02 (no internet from the studio's build machine)"

TABLE_NOTES: tuple[str, ...] = (
    "Reviewed 2026-12-02, after OpenAI shut down its Videos API (Sora 2) on 2026-09-24. No "
    "price could be checked from here on that date: the machine the table was written on "
    "reaches only package registries. Every figure is as read on its own date from the "
    "source named beside it; the Sora rows are kept for gateways that still serve those "
    "models under the same names.",
    "Not checked since their dates: every row. Most likely to have changed: the Veo and Runway "
    "video rates (cut twice in 2025), gpt-image-1-mini, Imagen 4. Gateways (LiteLLM proxies, "
    "OpenRouter) add their own margins: put your gateway's rates in Settings.",
    "Unknown models are priced at each section's `default` row, the dearest rate listed, so "
    "an unpriced model errs towards refusing, not overspending. A local server (Ollama, LM "
    "Studio) is ledgered at $0.",
    "Retirements reported since the image rows were read (third-party pages seen on "
    "2026-12-02, not confirmed against OpenAI's deprecations page): dall-e-2 and dall-e-3 "
    "shut down on 2026-05-12; gpt-image-1-mini and gpt-image-1.5 scheduled for 2026-12-01, "
    "with gpt-image-2 named as their replacement. Their rows stay for gateways that still "
    "serve them; on OpenAI itself such a request is refused and the scene falls back.",
)
"""The price table's notes (:attr:`PriceTable.notes`), shown with the table in Settings."""


def default_image_prices() -> dict[str, ImagePrice]:
    """Per-image prices (USD) of the images endpoints the studio knows, each dated and sourced.

    The studio asks for wide (``1536x1024``) or tall images, so the wide-size rates are listed
    (square images cost less): OpenAI ``gpt-image-1`` low $0.016, medium $0.063, high $0.25;
    ``gpt-image-1-mini`` low $0.006, medium $0.015, high $0.052 (both per image at
    1536×1024, OpenAI pricing page); ``dall-e-3`` standard $0.08, hd $0.12 (1792×1024);
    Google ``imagen-4.0-fast-generate-001`` $0.02, ``imagen-4.0-generate-001`` $0.04,
    ``imagen-4.0-ultra-generate-001`` $0.06 (Gemini API pricing). ``default`` $0.25 (the
    dearest listed). None of them could be re-checked on 2026-12-02 (see
    :data:`TABLE_NOTES`).
    """
    image_day = date(2025, 10, 6)
    imagen_day = date(2025, 8, 15)
    openai = _OPENAI_PRICING + " (image generation, 1536x1024)" + _NOT_CHECKED
    dalle = _OPENAI_PRICING + " (DALL·E 3, 1792x1024)" + _NOT_CHECKED
    gemini = _GEMINI_PRICING + " (Imagen 4)" + _NOT_CHECKED

    def price(usd: float, day: date, source: str) -> ImagePrice:
        return ImagePrice(usd_per_image=usd, as_of=day, source=source)

    return {
        "gpt-image-1:low": price(0.016, image_day, openai),
        "gpt-image-1:medium": price(0.063, image_day, openai),
        "gpt-image-1:high": price(0.25, image_day, openai),
        "gpt-image-1": price(0.25, image_day, "quality not given: the high rate; " + openai),
        "gpt-image-1-mini:low": price(0.006, image_day, openai),
        "gpt-image-1-mini:medium": price(0.015, image_day, openai),
        "gpt-image-1-mini:high": price(0.052, image_day, openai),
        "gpt-image-1-mini": price(0.052, image_day, "quality not given: the high rate; " + openai),
        "dall-e-3:standard": price(0.08, image_day, dalle),
        "dall-e-3:hd": price(0.12, image_day, dalle),
        "dall-e-3": price(0.12, image_day, "quality not given: the hd rate; " + dalle),
        "imagen-4.0-fast-generate-001": price(0.02, imagen_day, gemini),
        "imagen-4.0-generate-001": price(0.04, imagen_day, gemini),
        "imagen-4.0-ultra-generate-001": price(0.06, imagen_day, gemini),
        "default": price(
            0.25, image_day, "conservative: the dearest listed rate (gpt-image-1 high); " + openai
        ),
    }


def default_price_table() -> PriceTable:
    """The built-in prices (USD), each with its date and source.

    Video (per second of clip): ``sora-2`` $0.10/s (720p), ``sora-2-pro`` $0.30/s (720p),
    ``sora-2-pro-hd`` $0.50/s (1024p) — OpenAI's Sora 2 API prices from its launch on
    2025-10-07 until the API closed (2026-09-24). ``default`` (any other gateway model):
    $0.50/s, the highest published Sora rate, so an unpriced model errs towards refusing.

    LLM (per million tokens, input / output), as of 2025-11:
    Anthropic ``claude-opus`` $5 / $25 (Opus 4.5), ``claude-sonnet`` $3 / $15 (Sonnet 4.5),
    ``claude-haiku`` $1 / $5 (Haiku 4.5), ``default`` $5 / $25 (the Opus rate, the dearest
    listed; newer, cheaper families such as Sonnet 5.x at $2 / $10 are thus over-estimated). OpenAI ``gpt-4o`` $2.50 / $10, ``gpt-4o-mini`` $0.15 / $0.60,
    ``gpt-4.1`` $2 / $8, ``gpt-4.1-mini`` $0.40 / $1.60, ``gpt-5`` $1.25 / $10,
    ``gpt-5-mini`` $0.25 / $2, ``default`` $2.50 / $10 (gpt-4o, the dearest listed).

    After the Sora shutdown, the video models gateways (a LiteLLM proxy, for instance) serve
    are listed too, per second of clip: Google ``veo-3.0-generate-001`` $0.40/s,
    ``veo-3.0-fast-generate-001`` $0.15/s (Gemini API, after the 2025-09 price cut),
    ``veo-2.0-generate-001`` $0.35/s; Runway ``gen4_turbo`` $0.05/s (5 credits/s at $0.01).

    TTS (per million characters): ``edge`` and ``espeak`` $0 (Edge TTS uses Microsoft's free
    read-aloud service; eSpeak NG runs locally); OpenAI ``tts-1`` $15, ``tts-1-hd`` $30,
    ``default`` $30.

    Images: :func:`default_image_prices`. What could not be checked: :data:`TABLE_NOTES`.
    """
    sora_day = date(2025, 10, 7)
    veo_day = date(2025, 9, 9)
    runway_day = date(2025, 8, 1)
    llm_day = date(2025, 11, 25)
    free = "no charge: free service (Edge read-aloud) or local synthesis (eSpeak NG)"
    return PriceTable(
        as_of=date(2026, 12, 2),
        notes=TABLE_NOTES,
        image=default_image_prices(),
        video={
            "veo-3.0-generate-001": VideoPrice(
                usd_per_s=0.40, as_of=veo_day, source=_GEMINI_PRICING + " (Veo 3)" + _NOT_CHECKED
            ),
            "veo-3.0-fast-generate-001": VideoPrice(
                usd_per_s=0.15,
                as_of=veo_day,
                source=_GEMINI_PRICING + " (Veo 3 Fast)" + _NOT_CHECKED,
            ),
            "veo-2.0-generate-001": VideoPrice(
                usd_per_s=0.35, as_of=veo_day, source=_GEMINI_PRICING + " (Veo 2)" + _NOT_CHECKED
            ),
            "gen4_turbo": VideoPrice(
                usd_per_s=0.05, as_of=runway_day, source=_RUNWAY_PRICING + _NOT_CHECKED
            ),
            "sora-2": VideoPrice(usd_per_s=0.10, as_of=sora_day, source=_SORA_SOURCE),
            "sora-2-pro": VideoPrice(usd_per_s=0.30, as_of=sora_day, source=_SORA_SOURCE),
            "sora-2-pro-hd": VideoPrice(usd_per_s=0.50, as_of=sora_day, source=_SORA_SOURCE),
            "default": VideoPrice(
                usd_per_s=0.50,
                as_of=sora_day,
                source="conservative: the highest published Sora 2 rate (sora-2-pro, 1024p); "
                + _SORA_SOURCE,
            ),
        },
        llm={
            "anthropic": {
                "claude-opus": LlmPrice(
                    input_usd_per_mtok=5.0,
                    output_usd_per_mtok=25.0,
                    as_of=llm_day,
                    source=_ANTHROPIC_PRICING + " (Claude Opus 4.5)",
                ),
                "claude-sonnet": LlmPrice(
                    input_usd_per_mtok=3.0,
                    output_usd_per_mtok=15.0,
                    as_of=llm_day,
                    source=_ANTHROPIC_PRICING + " (Claude Sonnet 4.5)",
                ),
                "claude-haiku": LlmPrice(
                    input_usd_per_mtok=1.0,
                    output_usd_per_mtok=5.0,
                    as_of=llm_day,
                    source=_ANTHROPIC_PRICING + " (Claude Haiku 4.5)",
                ),
                "default": LlmPrice(
                    input_usd_per_mtok=5.0,
                    output_usd_per_mtok=25.0,
                    as_of=llm_day,
                    source="conservative: the dearest listed Claude rate (Opus 4.5); "
                    + _ANTHROPIC_PRICING,
                ),
            },
            "openai": {
                "gpt-4o": LlmPrice(
                    input_usd_per_mtok=2.50,
                    output_usd_per_mtok=10.0,
                    as_of=llm_day,
                    source=_OPENAI_PRICING,
                ),
                "gpt-4o-mini": LlmPrice(
                    input_usd_per_mtok=0.15,
                    output_usd_per_mtok=0.60,
                    as_of=llm_day,
                    source=_OPENAI_PRICING,
                ),
                "gpt-4.1": LlmPrice(
                    input_usd_per_mtok=2.0,
                    output_usd_per_mtok=8.0,
                    as_of=llm_day,
                    source=_OPENAI_PRICING,
                ),
                "gpt-4.1-mini": LlmPrice(
                    input_usd_per_mtok=0.40,
                    output_usd_per_mtok=1.60,
                    as_of=llm_day,
                    source=_OPENAI_PRICING,
                ),
                "gpt-5": LlmPrice(
                    input_usd_per_mtok=1.25,
                    output_usd_per_mtok=10.0,
                    as_of=llm_day,
                    source=_OPENAI_PRICING,
                ),
                "gpt-5-mini": LlmPrice(
                    input_usd_per_mtok=0.25,
                    output_usd_per_mtok=2.0,
                    as_of=llm_day,
                    source=_OPENAI_PRICING,
                ),
                "default": LlmPrice(
                    input_usd_per_mtok=2.50,
                    output_usd_per_mtok=10.0,
                    as_of=llm_day,
                    source="conservative: the dearest listed rate (gpt-4o); " + _OPENAI_PRICING,
                ),
            },
        },
        tts={
            "edge": {"default": TtsPrice(usd_per_mchar=0.0, as_of=llm_day, source=free)},
            "espeak": {"default": TtsPrice(usd_per_mchar=0.0, as_of=llm_day, source=free)},
            "openai": {
                "tts-1-hd": TtsPrice(usd_per_mchar=30.0, as_of=llm_day, source=_OPENAI_PRICING),
                "tts-1": TtsPrice(usd_per_mchar=15.0, as_of=llm_day, source=_OPENAI_PRICING),
                "default": TtsPrice(
                    usd_per_mchar=30.0,
                    as_of=llm_day,
                    source="conservative: tts-1-hd's rate; " + _OPENAI_PRICING,
                ),
            },
        },
    )


def round_up_usd(usd: Decimal) -> float:
    """``usd`` rounded up to a whole micro-dollar, as a float (exact to 6 decimals)."""
    return float(usd.quantize(MICRO_USD, rounding=ROUND_CEILING))


def estimate_tokens(chars: int, chars_per_token: float = DEFAULT_CHARS_PER_TOKEN) -> int:
    """Tokens in a text of ``chars`` characters: ``ceil(chars / chars_per_token)``."""
    if chars < 0:
        raise ValueError(f"chars must be >= 0, not {chars}")
    return math.ceil(chars / chars_per_token)


def estimate_video(
    seconds: float, model: str, prices: PriceTable, template_id: str | None = None
) -> CostEstimate:
    """Cost of one AI clip: ``seconds × usd_per_s(model)``, rounded up to a micro-dollar.

    Args:
        seconds: the clip length requested (providers bill the requested length).
        model: the video model (``"sora-2"``, ``"sora-2-pro"``, ``"sora-2-pro-hd"``, …).
        prices: the price table.
        template_id: the template asking, for the approval queue.
    """
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, not {seconds}")
    price = prices.video_price(model)
    usd = Decimal(str(seconds)) * Decimal(str(price.usd_per_s))
    return CostEstimate(
        kind="video",
        provider="videos",
        model=model,
        units=float(seconds),
        usd=round_up_usd(usd),
        template_id=template_id,
        description=f"{seconds:g} s AI clip with {model} at ${price.usd_per_s:.2f}/s",
    )


def estimate_image(
    model: str,
    prices: PriceTable,
    *,
    quality: str = "",
    size: str = "",
    count: int = 1,
    template_id: str | None = None,
) -> CostEstimate:
    """Cost of ``count`` generated images: ``count × usd_per_image(model, quality)``, rounded
    up to a micro-dollar.

    Args:
        model: the image model (``"gpt-image-1"``, ``"dall-e-3"``, a gateway's name, …).
        prices: the price table.
        quality: the quality asked for (``"low"``, ``"medium"``, ``"high"``, ``"standard"``,
            ``"hd"``); ``""`` takes the model's dearest listed quality.
        size: ``"WIDTHxHEIGHT"`` (for the description; rates are listed for wide images).
        count: images in the request.
        template_id: the template asking, for the approval queue.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, not {count}")
    price = prices.image_price(model, quality)
    usd = Decimal(count) * Decimal(str(price.usd_per_image))
    what = " ".join(part for part in (size, quality) if part)
    return CostEstimate(
        kind="image",
        provider="images",
        model=model,
        units=float(count),
        usd=round_up_usd(usd),
        template_id=template_id,
        description=f"{count} AI image{'s' if count != 1 else ''}"
        + (f" ({what})" if what else "")
        + f" with {model} at ${price.usd_per_image:.3f}",
    )


def _llm_usd(price: LlmPrice, input_tokens: int, output_tokens: int) -> Decimal:
    million = Decimal(1_000_000)
    return (
        Decimal(input_tokens) * Decimal(str(price.input_usd_per_mtok))
        + Decimal(output_tokens) * Decimal(str(price.output_usd_per_mtok))
    ) / million


def estimate_llm(
    prompt_chars: int,
    max_output_tokens: int,
    provider: str,
    model: str,
    prices: PriceTable,
    template_id: str | None = None,
) -> CostEstimate:
    """Most an LLM call can cost: prompt tokens (``ceil(chars / 4)``) at the input rate plus
    ``max_output_tokens`` at the output rate, per million tokens, rounded up.

    ``prompt_chars`` counts every character sent (system prompt, prompt, schema).

    Raises:
        KeyError: ``provider`` is not in the price table.
    """
    if max_output_tokens < 0:
        raise ValueError(f"max_output_tokens must be >= 0, not {max_output_tokens}")
    price = prices.llm_price(provider, model)
    input_tokens = estimate_tokens(prompt_chars, prices.chars_per_token)
    usd = _llm_usd(price, input_tokens, max_output_tokens)
    return CostEstimate(
        kind="llm",
        provider=provider,
        model=model,
        units=float(input_tokens + max_output_tokens),
        usd=round_up_usd(usd),
        template_id=template_id,
        description=(f"{model}: ~{input_tokens} input + up to {max_output_tokens} output tokens"),
    )


def actual_llm_cost(
    input_tokens: int, output_tokens: int, provider: str, model: str, prices: PriceTable
) -> float:
    """What a finished LLM call cost (USD), from the token counts the provider reported.

    Raises:
        KeyError: ``provider`` is not in the price table.
    """
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts must be >= 0")
    return round_up_usd(_llm_usd(prices.llm_price(provider, model), input_tokens, output_tokens))


def estimate_tts(
    chars: int,
    provider: str,
    prices: PriceTable,
    model: str = "",
    template_id: str | None = None,
) -> CostEstimate:
    """Cost of synthesising ``chars`` characters: ``chars × usd_per_mchar / 1e6``, rounded up.

    Edge TTS and eSpeak NG cost nothing (0.0).

    Raises:
        KeyError: ``provider`` is not in the price table.
    """
    if chars < 0:
        raise ValueError(f"chars must be >= 0, not {chars}")
    price = prices.tts_price(provider, model)
    usd = Decimal(chars) * Decimal(str(price.usd_per_mchar)) / Decimal(1_000_000)
    return CostEstimate(
        kind="tts",
        provider=provider,
        model=model,
        units=float(chars),
        usd=round_up_usd(usd),
        template_id=template_id,
        description=f"{chars} characters of speech with {provider} {model}".rstrip(),
    )
