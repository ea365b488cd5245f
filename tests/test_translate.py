"""Translation of a spec to another language through a fake OpenAI-compatible server.

The requests go through the real ``openai`` SDK to :class:`tests.fakes.llm_servers.FakeLLMServer`
on 127.0.0.1, which translates from a dictionary, as a local Ollama server would answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from pipeline.ai import translate as translate_module
from pipeline.ai.base import PaidWorkBlocked
from pipeline.ai.llm import LOCAL_SERVER_KEY, OpenAIGenerator
from pipeline.ai.translate import (
    detect_language,
    translatable_texts,
    translate_spec,
    translate_spec_many,
)
from pipeline.artifacts import DirectoryStore
from pipeline.models import (
    MAX_SHORT_TEXT,
    CommandScene,
    ListScene,
    OutroScene,
    QuizScene,
    TitleScene,
    VideoSpec,
)
from pipeline.narration import script_stage
from pipeline.render_job import RenderOptions, render_video, synthesize_speech
from pipeline.speech.chain import SpeechEngine
from tests.fakes.llm_servers import FakeLLMServer, Reply, openai_chat_ok, translator
from tests.language_samples import SAMPLES
from tests.test_llm import FakeGovernor

JAPANESE = {
    "Python decorators": "Pythonのデコレーター",
    "Getting started with Python decorators": "Pythonデコレーター入門",
    "A practical guide in ten minutes": "十分で学ぶ実践ガイド",
    "Why decorators?": "なぜデコレーターなのか",
    "Keep your code tidy": "コードを整理できる",
    "Add logging without touching the function": "関数を変えずにログを追加できる",
    "Install the tools": "ツールをインストールする",
    "Create a virtual environment first.": "まず仮想環境を作成します。",
    "What does a decorator return?": "デコレーターは何を返しますか？",
    "A new function": "新しい関数",
    "Nothing": "何も返さない",
    "Thanks for watching": "ご視聴ありがとうございました",
    "Decorators wrap functions. They return a new function.": (
        "デコレーターは関数を包みます。そして新しい関数を返します。"
    ),
}


def english_spec(**updates: object) -> VideoSpec:
    spec = VideoSpec(
        title="Python decorators",
        scenes=[
            TitleScene(
                title="Getting started with Python decorators",
                subtitle="A practical guide in ten minutes",
            ),
            ListScene(
                header="Why decorators?",
                items=[
                    {"title": "Keep your code tidy"},
                    {"title": "Add logging without touching the function"},
                ],
            ),
            CommandScene(
                header="Install the tools",
                description="Create a virtual environment first.",
                commands=["python -m venv .venv", "pip install decorator"],
            ),
            QuizScene(
                question="What does a decorator return?",
                options=["A new function", "Nothing"],
                narration="Decorators wrap functions. They return a new function.",
            ),
            OutroScene(main_text="Thanks for watching"),
        ],
    )
    return spec.model_copy(update=updates)


@pytest.fixture
def server():
    with FakeLLMServer() as fake:
        yield fake


def local_generator(server: FakeLLMServer, governor: FakeGovernor) -> OpenAIGenerator:
    """As for a local Ollama server: Chat Completions, no API key."""
    return OpenAIGenerator(
        governor, model="llama3.2", api="chat", base_url=server.openai_base_url, local_server=True
    )


def test_translates_text_and_narration_through_a_local_server(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.add(translator(JAPANESE))
    governor = FakeGovernor()
    with local_generator(server, governor) as generator:
        outcome = translate_spec(english_spec(), "ja", generator)
    assert outcome.translated and outcome.warnings == ()
    assert (outcome.source_language, outcome.target_language) == ("en", "ja")
    spec = outcome.spec
    assert spec.language == "ja" and spec.title == "Pythonのデコレーター"
    title, listing, command, quiz, outro = spec.scenes
    assert title.title == "Pythonデコレーター入門"
    assert [item.title for item in listing.items] == [
        "コードを整理できる",
        "関数を変えずにログを追加できる",
    ]
    assert command.commands == ["python -m venv .venv", "pip install decorator"]  # code stays
    assert command.language == "bash"
    assert quiz.options == ["新しい関数", "何も返さない"] and quiz.correct_index == 0
    assert quiz.narration == "デコレーターは関数を包みます。そして新しい関数を返します。"
    assert outro.main_text == "ご視聴ありがとうございました"
    # One request, keyless, governed at $0.
    assert server.count == 1
    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {LOCAL_SERVER_KEY}"
    assert request.body["model"] == "llama3.2"
    assert "Japanese" in request.body["messages"][-1]["content"]
    assert governor.names == ["authorize", "settle"]
    assert governor.calls[0][1].usd == 0.0 and governor.calls[1][1] == 0.0
    # Rules narration of the untranslated-narration scenes is now Japanese, from the catalog.
    narration = script_stage(spec)
    assert narration[0] == "Pythonデコレーター入門。十分で学ぶ実践ガイド。"
    assert "コマンドを二個実行します。最初はpython mです。" in narration[2]
    assert all(not ch.isascii() or not ch.isalpha() for ch in narration[1])


def test_a_paid_endpoint_is_billed_through_the_governor(server):
    server.add(translator(JAPANESE, api="responses"))
    governor = FakeGovernor()
    with OpenAIGenerator(
        governor, model="gpt-5-mini", api_key="sk-test", base_url=server.openai_base_url
    ) as generator:
        outcome = translate_spec(english_spec(), "ja", generator, source_language="en")
    assert outcome.translated
    assert server.requests[0].path == "/v1/responses"
    assert governor.names == ["authorize", "settle"]
    assert governor.calls[0][1].usd > 0 and governor.calls[1][1] > 0


def test_without_an_llm_the_user_is_told_only_the_voice_changes():
    spec = english_spec()
    outcome = translate_spec(spec, "de", None)
    assert not outcome.translated
    assert outcome.spec.language == "de"
    assert len(outcome.warnings) == 1
    warning = outcome.warnings[0]
    assert "stays in English" in warning and "only the voice changes to German" in warning
    assert outcome.spec.scenes[0].title == spec.scenes[0].title  # text unchanged
    # Rules narration stays English too, so the voice reads one language.
    assert outcome.spec.scenes[2].narration == (
        "Install the tools. Create a virtual environment first. "
        "Run two commands, starting with python m."
    )
    assert script_stage(outcome.spec)[2] == outcome.spec.scenes[2].narration


def test_a_blocked_budget_leaves_the_text_and_warns(server):
    governor = FakeGovernor(block=PaidWorkBlocked("budget exceeded", reason="budget_exceeded"))
    with local_generator(server, governor) as generator:
        outcome = translate_spec(english_spec(), "ja", generator, source_language="en")
    assert not outcome.translated and server.count == 0
    assert "Translation failed: budget exceeded" in outcome.warnings[0]
    assert outcome.spec.scenes[0].title == "Getting started with Python decorators"


def test_an_answer_missing_an_id_is_repaired_once(server):
    def first(request):
        reply = translator(JAPANESE)(request)
        body = json.loads(reply.body["choices"][0]["message"]["content"])
        return openai_chat_ok(json.dumps({"items": body["items"][1:]}, ensure_ascii=False))

    server.add(first, translator(JAPANESE))
    with local_generator(server, FakeGovernor()) as generator:
        outcome = translate_spec(english_spec(), "ja", generator, source_language="en")
    assert outcome.translated and server.count == 2
    repair = server.requests[1].body["messages"][-1]["content"]
    assert "items" in repair and "could not be used" in repair


def test_a_failing_server_falls_back_with_a_warning(server):
    server.add(Reply(400, {"error": {"message": "model not loaded", "type": "x"}}))
    with local_generator(server, FakeGovernor()) as generator:
        outcome = translate_spec(english_spec(), "ja", generator, source_language="en")
    assert not outcome.translated and "model not loaded" in outcome.warnings[0]


def test_same_language_sends_nothing(server):
    spec = VideoSpec(
        title="Decoradores",
        scenes=[TitleScene(title=SAMPLES["es"][0], subtitle=SAMPLES["es"][2])],
    )
    with local_generator(server, FakeGovernor()) as generator:
        outcome = translate_spec(spec, "es-ES", generator)
    assert outcome.source_language == "es" and not outcome.translated
    assert outcome.warnings == () and server.count == 0 and outcome.spec.language == "es"


def test_too_long_translations_are_cut_to_the_field_limit(server):
    long_answer = {"Thanks for watching": "ご" * (MAX_SHORT_TEXT + 40)}
    server.add(translator(long_answer, missing="{text}"))
    spec = VideoSpec(title="Bye", scenes=[OutroScene(main_text="Thanks for watching")])
    with local_generator(server, FakeGovernor()) as generator:
        outcome = translate_spec(spec, "ja", generator, source_language="en")
    text = outcome.spec.scenes[0].main_text
    assert len(text) == MAX_SHORT_TEXT and text.endswith("…")


def test_several_languages_detect_once_and_translate_each(server, monkeypatch):
    calls = []
    original = translate_module.detect_language

    def counting(texts):
        calls.append(1)
        return original(texts)

    monkeypatch.setattr(translate_module, "detect_language", counting)
    server.add(*(translator({}, missing=f"[{lang}] {{text}}") for lang in ("es", "de", "fr")))
    with local_generator(server, FakeGovernor()) as generator:
        outcomes = translate_spec_many(english_spec(), ["es", "de", "fr", "es-MX"], generator)
    assert [o.target_language for o in outcomes] == ["es", "de", "fr"]
    assert len(calls) == 1 and server.count == 3
    assert outcomes[1].spec.scenes[0].title == "[de] Getting started with Python decorators"
    assert all(o.translated for o in outcomes)


def test_translatable_texts_skip_code_and_ids():
    paths = {slot.path for slot in translatable_texts(english_spec())}
    assert ("scenes", 2, "commands", 0) not in paths
    assert ("scenes", 1, "items", 1, "title") in paths
    assert ("scenes", 3, "narration") in paths and ("title",) in paths


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_detects_every_table_language(language):
    assert detect_language(SAMPLES[language]) == language


def test_detect_needs_some_text():
    assert detect_language(["ok", "  "]) is None


# -- a Japanese render ----------------------------------------------------------------------

OFFLINE = RenderOptions(speech_mode="offline")


@pytest.mark.slow
def test_japanese_render_reads_japanese_instead_of_spelling_english(server, tmp_path: Path):
    """Before, ``--lang ja`` gave the Japanese voice English text, which eSpeak NG spells letter
    by letter. With translation on, the voice gets Japanese (only the name "Python" stays)."""
    source = VideoSpec(
        title="Python decorators",
        scenes=[TitleScene(title="Getting started with Python decorators")],
    )
    server.add(translator(JAPANESE))
    with local_generator(server, FakeGovernor()) as generator:
        outcome = translate_spec(source, "ja", generator)
    assert outcome.translated and outcome.source_language == "en"
    store = DirectoryStore(tmp_path / "store")
    result = render_video(outcome.spec, tmp_path / "ja.mp4", store, OFFLINE)
    with av.open(str(result.output_path)) as container:
        assert container.streams.video[0].frames > 0 and container.streams.audio
    srt = result.srt_path.read_text(encoding="utf-8")
    assert "デコレーター入門" in srt and "Getting" not in srt
    (report,) = result.scenes
    assert report.speech_provider == "espeak" and report.narration == "Pythonデコレーター入門。"
    speech = synthesize_speech(outcome.spec, [report.narration], store, SpeechEngine("offline"))
    translated_s = len(speech[0][0].samples) / speech[0][0].sample_rate_hz
    # The same English text read by the Japanese voice, untranslated (what --lang did before).
    untranslated = source.model_copy(update={"language": "ja"})
    ((english, _),) = synthesize_speech(
        untranslated, script_stage(untranslated), store, SpeechEngine("offline")
    )
    assert english.words is not None
    assert [w.text for w in english.words][:3] == ["Getting", "started", "with"]
    english_s = len(english.samples) / english.sample_rate_hz
    # 6.7 s instead of 9.1 s; eSpeak NG reads each kanji slowly (~0.85 s), so not less.
    assert translated_s < 0.8 * english_s, (translated_s, english_s)


# -- from the studio's settings, with the real budget ledger ---------------------------------


def test_studio_builds_a_keyless_local_translator_recorded_in_the_ledger(
    server, tmp_path: Path, monkeypatch
):
    from studio.budget import BudgetGovernor, BudgetPolicy
    from studio.paid import is_local_server, translation_generator
    from studio.settings import AISettings, SecretStore
    from studio.store import open_database
    from tests.test_settings import MemoryKeyring

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert is_local_server("http://localhost:11434/v1") and is_local_server(server.openai_base_url)
    assert not is_local_server("https://api.openai.com/v1") and not is_local_server(None)
    secrets = SecretStore(backend=MemoryKeyring(), env={})
    ai = AISettings(
        llm_provider="openai", llm_model="qwen2.5:7b", openai_base_url=server.openai_base_url
    )
    server.add(translator(JAPANESE))
    with open_database(tmp_path / "studio.sqlite3") as db:
        governor = BudgetGovernor(db, BudgetPolicy())
        generator = translation_generator(ai, secrets, governor)
        assert generator is not None
        try:
            outcome = translate_spec(english_spec(), "ja", generator)
        finally:
            generator.close()
        (entry,) = governor.ledger()
    assert outcome.translated
    assert (entry.kind, entry.provider, entry.model) == ("llm", "openai", "qwen2.5:7b")
    assert entry.state == "settled" and entry.actual_usd == 0.0
    # A remote endpoint without a key: nothing can translate; the caller warns.
    remote = ai.model_copy(update={"openai_base_url": "https://gateway.example/v1"})
    assert translation_generator(remote, secrets, governor) is None


# -- the render request and the command line --------------------------------------------------


def test_the_request_carries_the_languages_asked_for(tmp_path: Path):
    from pipeline.errors import InputError
    from studio.request import RenderOverrides, build_render_request, load_request
    from studio.settings import StudioSettings

    settings = StudioSettings()
    out = tmp_path / "talk.mp4"
    asked = RenderOverrides(languages=("es", "de", "fr", "es"))
    request = build_render_request(settings, english_spec(), overrides=asked, output=out)
    assert request.spec.language == "es"
    assert request.options.languages == ("es", "de", "fr") and request.options.translate
    assert load_request(request.to_json()).options.languages == ("es", "de", "fr")
    one = build_render_request(
        settings, english_spec(), overrides=RenderOverrides(language="ja"), output=out
    )
    assert one.options.languages == ("ja",)
    # A settings default is no request to translate.
    quiet = build_render_request(
        settings.model_copy(update={"default_language": "de"}), english_spec(), output=out
    )
    assert quiet.spec.language == "de" and quiet.options.languages == ()
    off = RenderOverrides(languages=("de",), translate=False)
    assert not build_render_request(settings, english_spec(), overrides=off).options.translate
    with pytest.raises(InputError, match="DE_de!"):
        build_render_request(
            settings, english_spec(), overrides=RenderOverrides(languages=("es", "DE_de!"))
        )


def test_studio_warns_before_rendering_when_nothing_can_translate(monkeypatch, tmp_path: Path):
    from studio.request import RenderOverrides
    from studio.service import open_studio

    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with open_studio() as studio:
        asked = RenderOverrides(languages=("de", "en"))
        request = studio.make_request(english_spec(), overrides=asked, output=tmp_path / "a.mp4")
        (warning,) = studio.language_warnings(request)
        assert "stays in English: only the voice changes to German." in warning
        assert "No LLM is configured" in warning
        english_only = studio.make_request(
            english_spec(), overrides=RenderOverrides(language="en"), output=tmp_path / "b.mp4"
        )
        assert studio.language_warnings(english_only) == []


@pytest.mark.slow
def test_cli_renders_one_translated_video_per_language(server, tmp_path: Path, monkeypatch, capsys):
    from studio.cli import main

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("VIDEOSTUDIO_AI__LLM_PROVIDER", "openai")
    monkeypatch.setenv("VIDEOSTUDIO_AI__LLM_MODEL", "llama3.2")
    monkeypatch.setenv("VIDEOSTUDIO_AI__OPENAI_BASE_URL", server.openai_base_url)
    doc = tmp_path / "talk.md"
    doc.write_text(
        "# Getting started with Python decorators\n\nA practical guide in ten minutes.\n",
        encoding="utf-8",
    )
    japanese = {
        **JAPANESE,
        "A practical guide in ten minutes.": "十分で学ぶ実践ガイドです。",
        "Getting started with Python decorators. A practical guide in ten minutes.": (
            "Pythonデコレーター入門。十分で学ぶ実践ガイドです。"
        ),
    }
    spanish = {
        "Getting started with Python decorators": "Decoradores de Python",
        "A practical guide in ten minutes.": "Una guía práctica en diez minutos.",
        "Getting started with Python decorators. A practical guide in ten minutes.": (
            "Decoradores de Python. Una guía práctica en diez minutos."
        ),
        "Thanks for watching": "Gracias por ver",
    }
    server.add(translator(japanese, missing="?"), translator(spanish, missing="?"))
    code = main(
        ["render", str(doc), "--lang", "ja,es", "--offline", "-o", str(tmp_path / "talk.mp4")]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Note:" not in err  # a local LLM server can translate: nothing to warn about
    assert server.count == 2
    assert [r.body["model"] for r in server.requests] == ["llama3.2", "llama3.2"]
    for language, expected in (("ja", "デコレーター入門"), ("es", "Gracias por ver")):
        video = tmp_path / f"talk.{language}.mp4"
        with av.open(str(video)) as container:
            assert container.streams.video[0].frames > 0
        assert expected in video.with_suffix(".srt").read_text(encoding="utf-8")
        metadata = video.with_name(f"talk.{language}.metadata.json").read_text(encoding="utf-8")
        assert json.loads(metadata)["language"] == language
    assert not (tmp_path / "talk.mp4").exists()
