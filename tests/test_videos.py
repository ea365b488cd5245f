"""AI video clips through the real ``openai`` SDK against a local fake Videos API.

Every test drives :class:`pipeline.ai.videos.VideoClipClient` over HTTP on 127.0.0.1 (see
``tests/fakes/videos_server.py``) and counts what reached the server: paid creates must never
be repeated, and every reservation must be settled or released exactly once.
"""

from __future__ import annotations

import logging
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from pipeline.ai import videos
from pipeline.ai.base import (
    CostEstimate,
    PaidWorkBlocked,
    ProviderError,
    QuotaExhausted,
    Reservation,
)
from pipeline.ai.videos import ClipRequest, VideoClipClient, VideoClipSettings
from pipeline.avio import ClipFrames, make_thumbnail
from pipeline.errors import Cancelled
from pipeline.progress import CancelToken
from tests.fakes.videos_server import FakeVideosServer

PRICE_PER_SECOND_USD = 0.10
CANARY_KEY = "sk-canary-7f3a9c1e5b2d4e6f8a0b"

# ---------------------------------------------------------------------------------------------
# Test clips, made with PyAV
# ---------------------------------------------------------------------------------------------

BAND_COLOURS = ((220, 30, 30), (30, 200, 30), (30, 30, 220))
"""Left, middle and right thirds of every test clip frame."""


def _clip_frame(width: int, height: int, index: int) -> np.ndarray:
    """Three vertical bands; the middle band's green changes with the frame index."""
    image = np.zeros((height, width, 3), dtype=np.uint8)
    third = width // 3
    image[:, :third] = BAND_COLOURS[0]
    image[:, third : 2 * third] = (30, 80 + 40 * (index % 4), 30)
    image[:, 2 * third :] = BAND_COLOURS[2]
    return image


def make_clip(path: Path, width: int, height: int, seconds: float, fps: int = 2) -> Path:
    """Encode a tiny H.264 MP4 (low fps keeps it small) and return its path."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.options = {"preset": "ultrafast", "crf": "30"}
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(_clip_frame(width, height, index), format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """MP4 bytes: a good 1280×720 8 s clip, a 640×360 one, a 3 s one."""
    folder = tmp_path_factory.mktemp("clips")
    return {
        "good": make_clip(folder / "good.mp4", 1280, 720, 8).read_bytes(),
        "low_res": make_clip(folder / "low.mp4", 640, 360, 8).read_bytes(),
        "short": make_clip(folder / "short.mp4", 1280, 720, 3).read_bytes(),
        "garbage": b"\x00\x00\x00\x18ftypmp42" + b"not really a video" * 50,
    }


# ---------------------------------------------------------------------------------------------
# Fakes and helpers
# ---------------------------------------------------------------------------------------------


@dataclass
class FakeGovernor:
    """Records every ledger call; optionally refuses paid work."""

    blocked: PaidWorkBlocked | None = None
    calls: list[tuple] = field(default_factory=list)
    _next_id: int = 1

    def authorize(self, estimate: CostEstimate) -> Reservation:
        self.calls.append(("authorize", estimate))
        if self.blocked is not None:
            raise self.blocked
        reservation = Reservation(id=self._next_id, estimate=estimate)
        self._next_id += 1
        return reservation

    def settle(self, reservation: Reservation, actual_usd: float) -> None:
        self.calls.append(("settle", reservation.id, actual_usd))

    def release(self, reservation: Reservation) -> None:
        self.calls.append(("release", reservation.id))

    def pause_paid_work(self, reason: str) -> None:
        self.calls.append(("pause", reason))

    def names(self) -> list[str]:
        return [call[0] for call in self.calls]


def make_settings(server: FakeVideosServer, **overrides: object) -> VideoClipSettings:
    values: dict[str, object] = {
        "base_url": server.base_url,
        "api_key": "sk-test-key",
        "model": "sora-2",
        "poll_interval_s": 0.01,
        "timeout_s": 10.0,
        "request_timeout_s": 10.0,
    }
    values.update(overrides)
    return VideoClipSettings(**values)  # type: ignore[arg-type]


REQUEST = ClipRequest(
    prompt="A calm animated chart of credit utilisation falling below 30 percent",
    seconds=8,
    size="1280x720",
    cache_key="persona:high_utilization:topic:credit",
    template_id="tpl-credit",
)


@pytest.fixture
def governor() -> FakeGovernor:
    return FakeGovernor()


@pytest.fixture
def server(clips: dict[str, bytes]) -> Iterator[FakeVideosServer]:
    with FakeVideosServer(content=clips["good"], polls_until_done=3) as fake:
        yield fake


@pytest.fixture
def client(server: FakeVideosServer, governor: FakeGovernor) -> Iterator[VideoClipClient]:
    with VideoClipClient(
        make_settings(server), governor, price_per_second_usd=PRICE_PER_SECOND_USD
    ) as video_client:
        yield video_client


@dataclass
class Recorder:
    """An ``on_remote_id`` callback that notes the id and how many polls had happened."""

    server: FakeVideosServer
    ids: list[str] = field(default_factory=list)
    polls_before: list[int] = field(default_factory=list)

    def __call__(self, remote_id: str) -> None:
        self.ids.append(remote_id)
        self.polls_before.append(self.server.retrieve_requests)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------------------------------------
# The happy path
# ---------------------------------------------------------------------------------------------


def test_happy_path_creates_once_polls_downloads_validates_and_settles(
    server: FakeVideosServer, client: VideoClipClient, governor: FakeGovernor, tmp_path: Path
) -> None:
    out = tmp_path / "clips" / "credit.mp4"
    recorder = Recorder(server)

    result = client.generate(REQUEST, on_remote_id=recorder, cancel=CancelToken(), out_path=out)

    assert server.create_requests == 1
    assert server.retrieve_requests == 3  # queued→in_progress→in_progress→completed
    assert server.download_requests == 1
    (job,) = server.jobs.values()
    assert (job.model, job.seconds, job.size, job.prompt) == (
        "sora-2",
        "8",
        "1280x720",
        REQUEST.prompt,
    )
    assert job.idempotency_key is not None and job.idempotency_key.startswith("videostudio-")
    # The id was handed over before the first poll.
    assert recorder.ids == [job.id] and recorder.polls_before == [0]
    events = server.events()
    assert events[0] == "POST /v1/videos"
    assert events[-1] == f"GET /v1/videos/{job.id}/content"
    # The clip is on disk, validated, and nothing temporary is left beside it.
    assert result.path == out and out.is_file()
    assert (result.remote_id, result.width_px, result.height_px) == (job.id, 1280, 720)
    assert result.seconds == pytest.approx(8.0, abs=0.5)
    assert leftovers(out.parent) == ["credit.mp4"]
    # authorize(seconds × price) → settle(seconds × price)
    assert governor.names() == ["authorize", "settle"]
    estimate = governor.calls[0][1]
    assert (estimate.kind, estimate.provider, estimate.model) == ("video", "videos", "sora-2")
    assert estimate.units == 8 and estimate.usd == pytest.approx(0.8)
    assert estimate.template_id == "tpl-credit"
    assert governor.calls[1] == ("settle", 1, pytest.approx(0.8))
    assert result.cost_usd == pytest.approx(0.8)


def test_an_estimate_callable_prices_the_clip(
    server: FakeVideosServer, governor: FakeGovernor, tmp_path: Path
) -> None:
    seen: list[tuple] = []

    def estimate(seconds: float, model: str, *, template_id: str | None = None) -> CostEstimate:
        seen.append((seconds, model, template_id))
        return CostEstimate("video", "videos", model, float(seconds), seconds * 0.25, template_id)

    with VideoClipClient(make_settings(server), governor, estimate=estimate) as video_client:
        result = video_client.generate(
            REQUEST,
            on_remote_id=lambda _id: None,
            cancel=CancelToken(),
            out_path=tmp_path / "a.mp4",
        )
    assert seen == [(8, "sora-2", "tpl-credit")]
    assert governor.calls[-1] == ("settle", 1, pytest.approx(2.0))
    assert result.cost_usd == pytest.approx(2.0)


def test_a_price_is_required(server: FakeVideosServer, governor: FakeGovernor) -> None:
    with pytest.raises(ValueError, match="price_per_second_usd"):
        VideoClipClient(make_settings(server), governor)


# ---------------------------------------------------------------------------------------------
# Refused creates: one request, reservation released
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_client_errors_on_create_are_not_retried(
    status: int,
    server: FakeVideosServer,
    client: VideoClipClient,
    governor: FakeGovernor,
    tmp_path: Path,
) -> None:
    server.create_script = [status]
    out = tmp_path / "x.mp4"
    with pytest.raises(ProviderError) as info:
        client.generate(REQUEST, on_remote_id=pytest.fail, cancel=CancelToken(), out_path=out)
    assert server.events() == ["POST /v1/videos"]
    assert governor.names() == ["authorize", "release"]
    assert not out.exists()
    text = str(info.value)
    if status == 401:
        assert "API key" in text and "check the key" in text
    else:
        assert f"HTTP {status}" in text


def test_quota_exhausted_pauses_paid_work_after_one_request(
    server: FakeVideosServer, client: VideoClipClient, governor: FakeGovernor, tmp_path: Path
) -> None:
    server.create_script = ["quota"]
    with pytest.raises(QuotaExhausted, match="insufficient_quota"):
        client.generate(
            REQUEST, on_remote_id=pytest.fail, cancel=CancelToken(), out_path=tmp_path / "x.mp4"
        )
    assert server.events() == ["POST /v1/videos"]
    assert governor.names() == ["authorize", "release", "pause"]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limit_or_server_error_on_create_is_not_retried(
    status: int,
    server: FakeVideosServer,
    client: VideoClipClient,
    governor: FakeGovernor,
    tmp_path: Path,
) -> None:
    """max_retries=0 on the paid create: the SDK does not retry, the caller falls back."""
    server.create_script = [status]
    with pytest.raises(ProviderError, match="never retried"):
        client.generate(
            REQUEST, on_remote_id=pytest.fail, cancel=CancelToken(), out_path=tmp_path / "x.mp4"
        )
    assert server.create_requests == 1
    assert server.events() == ["POST /v1/videos"]
    assert governor.names() == ["authorize", "release"]


def test_a_gateway_that_is_down_releases_the_reservation(
    governor: FakeGovernor, tmp_path: Path
) -> None:
    with FakeVideosServer() as fake:
        settings = make_settings(fake)
    # The server is gone: connection refused before anything was sent.
    with VideoClipClient(settings, governor, price_per_second_usd=0.1) as video_client:
        with pytest.raises(ProviderError, match="could not connect"):
            video_client.generate(
                REQUEST, on_remote_id=pytest.fail, cancel=CancelToken(), out_path=tmp_path / "x"
            )
    assert governor.names() == ["authorize", "release"]


def test_paid_work_blocked_makes_no_request(
    server: FakeVideosServer, client: VideoClipClient, governor: FakeGovernor, tmp_path: Path
) -> None:
    governor.blocked = PaidWorkBlocked("over budget", reason="budget_exceeded")
    with pytest.raises(PaidWorkBlocked) as info:
        client.generate(
            REQUEST, on_remote_id=pytest.fail, cancel=CancelToken(), out_path=tmp_path / "x.mp4"
        )
    assert info.value.reason == "budget_exceeded"
    assert server.events() == []
    assert governor.names() == ["authorize"]


def test_no_api_key_blocks_paid_work_without_a_request(
    server: FakeVideosServer,
    governor: FakeGovernor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = make_settings(server, api_key=None)
    with VideoClipClient(settings, governor, price_per_second_usd=0.1) as video_client:
        with pytest.raises(PaidWorkBlocked) as info:
            video_client.generate(
                REQUEST, on_remote_id=pytest.fail, cancel=CancelToken(), out_path=tmp_path / "x"
            )
    assert info.value.reason == "disabled"
    assert server.events() == [] and governor.calls == []


def test_settings_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    settings = VideoClipSettings(base_url=None, api_key=None, model="m")
    assert settings.resolved_api_key() == "sk-env"
    assert settings.resolved_base_url() == "http://127.0.0.1:9/v1"
    assert VideoClipSettings(base_url="u", api_key="k", model="m").resolved_api_key() == "k"


# ---------------------------------------------------------------------------------------------
# Polling: SDK retries, failed jobs, cancel and resume
# ---------------------------------------------------------------------------------------------


def test_a_server_error_while_polling_is_retried_by_the_sdk(
    server: FakeVideosServer, client: VideoClipClient, governor: FakeGovernor, tmp_path: Path
) -> None:
    server.poll_errors = {2: 500}
    result = client.generate(
        REQUEST, on_remote_id=lambda _id: None, cancel=CancelToken(), out_path=tmp_path / "a.mp4"
    )
    assert result.path.is_file()
    assert server.create_requests == 1
    assert server.retrieve_requests == 4  # three status answers + the one 500 the SDK retried
    assert governor.names() == ["authorize", "settle"]


@pytest.mark.parametrize(("bill_failed", "ledger"), [(True, "settle"), (False, "release")])
def test_a_failed_job_reports_the_servers_reason(
    bill_failed: bool,
    ledger: str,
    server: FakeVideosServer,
    governor: FakeGovernor,
    tmp_path: Path,
) -> None:
    server.final_status = "failed"
    server.failure_message = "prompt rejected by moderation"
    settings = make_settings(server, bill_failed_jobs=bill_failed)
    out = tmp_path / "x.mp4"
    with VideoClipClient(settings, governor, price_per_second_usd=0.1) as video_client:
        with pytest.raises(ProviderError, match="prompt rejected by moderation"):
            video_client.generate(
                REQUEST, on_remote_id=lambda _id: None, cancel=CancelToken(), out_path=out
            )
    assert server.create_requests == 1 and server.download_requests == 0
    assert governor.names() == ["authorize", ledger]
    if bill_failed:
        assert governor.calls[1] == ("settle", 1, pytest.approx(0.8))
    assert not out.exists()


def test_polling_gives_up_after_the_timeout(
    server: FakeVideosServer, governor: FakeGovernor, tmp_path: Path
) -> None:
    server.polls_until_done = 10_000
    settings = make_settings(server, timeout_s=0.2)
    with VideoClipClient(settings, governor, price_per_second_usd=0.1) as video_client:
        with pytest.raises(ProviderError, match="did not finish"):
            video_client.generate(
                REQUEST,
                on_remote_id=lambda _id: None,
                cancel=CancelToken(),
                out_path=tmp_path / "x",
            )
    assert server.create_requests == 1
    assert governor.calls[-1] == ("settle", 1, pytest.approx(0.8))


def test_cancel_while_polling_keeps_the_remote_id_and_a_retry_resumes(
    server: FakeVideosServer, client: VideoClipClient, governor: FakeGovernor, tmp_path: Path
) -> None:
    server.polls_until_done = 10_000
    token = CancelToken()
    server.on_retrieve = lambda n: token.cancel() if n == 2 else None
    out = tmp_path / "clip.mp4"
    persisted: list[str] = []

    with pytest.raises(Cancelled):
        client.generate(REQUEST, on_remote_id=persisted.append, cancel=token, out_path=out)

    (job,) = server.jobs.values()
    assert persisted == [job.id]
    assert server.retrieve_requests == 2 and server.download_requests == 0
    assert not out.exists() and leftovers(tmp_path) == []
    # Accepted work may be billed: the estimate is booked, not released.
    assert governor.names() == ["authorize", "settle"]

    # The retry polls the same job: no new create, no new bill.
    server.on_retrieve = None
    server.polls_until_done = 3
    result = client.generate(
        REQUEST,
        on_remote_id=pytest.fail,
        resume_remote_id=persisted[0],
        cancel=CancelToken(),
        out_path=out,
    )
    assert result.remote_id == job.id and out.is_file()
    assert server.create_requests == 1
    assert governor.names() == ["authorize", "settle"]
    assert result.cost_usd == 0.0


def test_resume_polls_without_creating(
    server: FakeVideosServer, client: VideoClipClient, governor: FakeGovernor, tmp_path: Path
) -> None:
    job, _ = server._create({"prompt": REQUEST.prompt, "model": "sora-2", "seconds": "8"}, None)
    server.create_requests = 0
    result = client.generate(
        REQUEST,
        on_remote_id=pytest.fail,
        resume_remote_id=job.id,
        cancel=CancelToken(),
        out_path=tmp_path / "r.mp4",
    )
    assert result.remote_id == job.id and result.path.is_file()
    assert "POST /v1/videos" not in server.events()
    assert server.create_requests == 0
    assert governor.calls == []


def test_resume_settles_a_still_open_reservation(
    server: FakeVideosServer, client: VideoClipClient, governor: FakeGovernor, tmp_path: Path
) -> None:
    job, _ = server._create({"prompt": REQUEST.prompt, "model": "sora-2", "seconds": "8"}, None)
    open_reservation = Reservation(id=41, estimate=client.estimate_cost(REQUEST))
    result = client.generate(
        REQUEST,
        on_remote_id=pytest.fail,
        resume_remote_id=job.id,
        resume_reservation=open_reservation,
        cancel=CancelToken(),
        out_path=tmp_path / "r.mp4",
    )
    assert governor.calls == [("settle", 41, pytest.approx(0.8))]
    assert result.cost_usd == pytest.approx(0.8)


# ---------------------------------------------------------------------------------------------
# Dropped connection after the server accepted the create
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("echo_key", [False, True], ids=["match-by-prompt", "match-by-key"])
def test_accept_then_drop_finds_the_job_in_the_list(
    echo_key: bool,
    server: FakeVideosServer,
    client: VideoClipClient,
    governor: FakeGovernor,
    tmp_path: Path,
) -> None:
    server.create_script = ["drop"]
    server.echo_idempotency_in_metadata = echo_key
    persisted: list[str] = []
    result = client.generate(
        REQUEST, on_remote_id=persisted.append, cancel=CancelToken(), out_path=tmp_path / "d.mp4"
    )
    assert len(server.jobs) == 1  # exactly one remote job: never billed twice
    (job,) = server.jobs.values()
    assert server.create_requests == 1 and server.list_requests == 1
    assert persisted == [job.id] and result.remote_id == job.id
    assert result.path.is_file()
    assert governor.names() == ["authorize", "settle"]


def test_accept_then_drop_recreates_with_the_same_idempotency_key(
    server: FakeVideosServer, client: VideoClipClient, governor: FakeGovernor, tmp_path: Path
) -> None:
    """A gateway whose list lags: the second create carries the same key and gets the job."""
    server.create_script = ["drop"]
    server.list_hides_jobs = True
    result = client.generate(
        REQUEST, on_remote_id=lambda _id: None, cancel=CancelToken(), out_path=tmp_path / "d.mp4"
    )
    assert len(server.jobs) == 1
    posts = [r for r in server.requests if r.method == "POST"]
    assert len(posts) == 2
    keys = {r.headers.get("idempotency-key") for r in posts}
    assert len(keys) == 1 and None not in keys
    assert result.remote_id == next(iter(server.jobs))
    assert governor.names() == ["authorize", "settle"]


def test_accept_then_drop_with_a_failing_list_does_not_create_again(
    server: FakeVideosServer, client: VideoClipClient, governor: FakeGovernor, tmp_path: Path
) -> None:
    """Unable to tell whether the job exists: no second create; the estimate is booked."""
    server.create_script = ["drop"]
    server.list_error = 500
    with pytest.raises(ProviderError, match="dropped after the clip request was sent"):
        client.generate(
            REQUEST, on_remote_id=pytest.fail, cancel=CancelToken(), out_path=tmp_path / "d.mp4"
        )
    assert server.create_requests == 1
    assert server.list_requests == 3  # the SDK's own two retries of a GET
    assert governor.calls[-1] == ("settle", 1, pytest.approx(0.8))


def test_a_listed_job_of_another_prompt_is_not_taken(
    server: FakeVideosServer, client: VideoClipClient, tmp_path: Path
) -> None:
    server._create({"prompt": "something else", "model": "sora-2", "seconds": "8"}, None)
    server.create_script = ["drop"]
    server.honour_idempotency = True
    result = client.generate(
        REQUEST, on_remote_id=lambda _id: None, cancel=CancelToken(), out_path=tmp_path / "d.mp4"
    )
    ours = [j for j in server.jobs.values() if j.prompt == REQUEST.prompt]
    assert len(ours) == 1 and result.remote_id == ours[0].id


# ---------------------------------------------------------------------------------------------
# Validation of the downloaded clip
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [("low_res", "below 720p"), ("short", "lasts"), ("garbage", "does not decode")],
)
def test_an_unusable_clip_is_rejected_and_leaves_no_file(
    content: str,
    message: str,
    clips: dict[str, bytes],
    server: FakeVideosServer,
    client: VideoClipClient,
    governor: FakeGovernor,
    tmp_path: Path,
) -> None:
    server.content = clips[content]
    out = tmp_path / "bad.mp4"
    with pytest.raises(ProviderError, match=message):
        client.generate(REQUEST, on_remote_id=lambda _id: None, cancel=CancelToken(), out_path=out)
    assert not out.exists()
    assert leftovers(tmp_path) == []
    # The job completed, so the gateway billed it: settled at seconds × price.
    assert governor.calls[-1] == ("settle", 1, pytest.approx(0.8))


def test_validate_clip_accepts_portrait_720p(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "p.mp4", 720, 1280, 4)
    assert videos.validate_clip(path, 4) is None
    assert "lasts" in (videos.validate_clip(path, 8) or "")


# ---------------------------------------------------------------------------------------------
# Secrets and warnings
# ---------------------------------------------------------------------------------------------


def test_the_api_key_never_appears_in_errors_or_logs(
    server: FakeVideosServer,
    governor: FakeGovernor,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # A careless gateway that echoes the Authorization header in its error message.
    server.error_message_template = "Incorrect API key provided: {auth}"
    settings = make_settings(server, api_key=CANARY_KEY)
    texts: list[str] = []
    with VideoClipClient(settings, governor, price_per_second_usd=0.1) as video_client:
        for script in ([401], [400], ["quota"], ["drop"], []):
            server.create_script = list(script)
            try:
                video_client.generate(
                    REQUEST,
                    on_remote_id=lambda _id: None,
                    cancel=CancelToken(),
                    out_path=tmp_path / "k.mp4",
                )
            except (ProviderError, QuotaExhausted) as exc:
                texts.append(str(exc))
                texts.append("".join(traceback.format_exception(exc)))
    assert len(texts) == 6  # 401, 400 and quota failed; drop and happy succeeded
    assert any("Incorrect API key provided" in text for text in texts)
    for text in [*texts, caplog.text]:
        assert CANARY_KEY not in text


def test_only_the_sora_deprecation_warning_is_silenced() -> None:
    with videos._quiet_deprecation():
        warnings.warn(
            "The Sora API is scheduled to permanently shut down on September 24, 2026.",
            DeprecationWarning,
            stacklevel=1,
        )
        with pytest.raises(DeprecationWarning, match="something else"):
            warnings.warn("something else", DeprecationWarning, stacklevel=1)


def test_idempotency_keys_are_stable_per_reservation() -> None:
    assert videos.idempotency_key("a", 1) == videos.idempotency_key("a", 1)
    assert videos.idempotency_key("a", 1) != videos.idempotency_key("a", 2)
    assert videos.parse_size("720x1280") == (720, 1280)
    with pytest.raises(ValueError):
        videos.parse_size("hd")


# ---------------------------------------------------------------------------------------------
# ClipFrames and thumbnails (pipeline.avio)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """192×108, 4 fps, 1 s: four frames whose middle band brightens frame by frame."""
    return make_clip(tmp_path_factory.mktemp("small") / "small.mp4", 192, 108, 1.0, fps=4)


def _near(pixel: np.ndarray, colour: tuple[int, int, int], tol: int = 40) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(colour)) <= tol))


def test_clip_frames_cover_a_landscape_frame(small_clip: Path) -> None:
    with ClipFrames(small_clip, 1920, 1080) as source:
        frame = source.frame_at(0.0)
    assert frame.shape == (1080, 1920, 3) and frame.dtype == np.uint8
    assert frame.flags["C_CONTIGUOUS"]
    # Same aspect: scaled ×10, nothing cropped; the three bands keep their places.
    assert _near(frame[540, 100], BAND_COLOURS[0])
    assert _near(frame[540, 960], (30, 80, 30))
    assert _near(frame[540, 1820], BAND_COLOURS[2])


def test_clip_frames_centre_crop_a_portrait_frame(small_clip: Path) -> None:
    with ClipFrames(small_clip, 1080, 1920) as source:
        frame = source.frame_at(0.0)
    assert frame.shape == (1920, 1080, 3)
    # Scaled to cover 1920 px of height, the middle third of the clip fills the width.
    for y, x in ((10, 10), (960, 540), (1900, 1070), (10, 1070)):
        assert _near(frame[y, x], (30, 80, 30)), (y, x, frame[y, x])


def test_clip_frame_keys_follow_clip_frames_and_hold_at_the_end(small_clip: Path) -> None:
    with ClipFrames(small_clip, 320, 180) as source:
        assert source.n_frames == 4
        keys = [source.frame_key(t) for t in (0.0, 0.1, 0.25, 0.4, 0.5, 0.75, 1.0, 3.0, 60.0)]
        assert keys == [0, 0, 1, 1, 2, 3, 3, 3, 3]
        frames = [source.frame_at(t) for t in (0.0, 0.25, 0.5, 0.75)]
        greens = [int(f[90, 160, 1]) for f in frames]
        assert greens == sorted(greens) and greens[-1] - greens[0] > 80
        held = source.frame_at(5.0)
        assert np.array_equal(held, frames[3])
        # Going back (a preview) seeks and decodes the same pixels again.
        assert np.array_equal(source.frame_at(0.0), frames[0])
        assert np.array_equal(source.frame_at(0.5), frames[2])


def test_clip_frames_reject_a_file_without_video(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"nothing")
    with pytest.raises((ValueError, OSError)):
        ClipFrames(bad, 320, 180)


def test_make_thumbnail_writes_a_small_png(small_clip: Path, tmp_path: Path) -> None:
    out = make_thumbnail(small_clip, tmp_path / "thumb.png", max_width_px=96)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (96, 54)
    assert leftovers(tmp_path) == ["thumb.png"]
