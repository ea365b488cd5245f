"""Repeat frames written without the encoder (pipeline.h264): every test decodes the result."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import avio, h264
from pipeline.speech.base import SAMPLE_RATE_HZ

FPS = 30
W, H = 320, 240


class Cards:
    """Textured cards held for runs of frames, with a one-frame flash now and then.

    ``runs`` lists (card, frames); a card is a mosaic of random 8-pixel blocks (sharp edges
    everywhere, like text) plus a bright block whose place tells cards apart.
    """

    def __init__(self, runs: list[tuple[int, int]]) -> None:
        rng = np.random.default_rng(7)
        self.cards = []
        for card in range(4):
            blocks = rng.integers(0, 256, (H // 8, W // 8, 1)).repeat(3, axis=2).astype(np.uint8)
            image = np.repeat(np.repeat(blocks, 8, axis=0), 8, axis=1)
            image[40:90, 20 + 60 * card : 70 + 60 * card] = 250
            self.cards.append(image)
        self.keys: list[int] = []
        for card, frames in runs:
            self.keys.extend([card] * frames)
        self.draws = 0

    def frame_key(self, t_s: float) -> int:
        return self.keys[round(t_s * FPS)]

    def frame_at(self, t_s: float) -> np.ndarray:
        self.draws += 1
        return self.cards[self.frame_key(t_s)]


RUNS = [(0, 50), (1, 1), (2, 70), (3, 3), (0, 40)]
N_FRAMES = sum(n for _, n in RUNS)


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.options = {"err_detect": "explode"}
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)]


def psnr_db(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / mse) if mse else 99.0


@pytest.fixture(scope="module")
def encoder() -> avio.EncoderChoice:
    return avio.probe_encoder("x264")


@pytest.fixture(scope="module")
def pair(tmp_path_factory, encoder) -> dict[bool, tuple[Path, avio.SegmentInfo]]:
    """The same cards encoded with and without repeat frames."""
    folder = tmp_path_factory.mktemp("h264")
    out = {}
    for repeat in (False, True):
        settings = avio.EncodeSettings(fps=FPS, width_px=W, height_px=H, repeat_frames=repeat)
        path = folder / f"repeat-{repeat}.mp4"
        out[repeat] = (path, avio.encode_segment(Cards(RUNS), N_FRAMES, settings, encoder, path))
    return out


def test_unchanged_frames_are_written_as_repeats_that_decode_cleanly(pair):
    path, info = pair[True]
    keyint = avio.EncodeSettings().keyint_frames
    # every frame after a run's first is a repeat, except where a keyframe is due
    keyframes = avio.keyframe_indices(path)
    assert keyframes == list(range(0, N_FRAMES, keyint)), keyframes
    changes = len(RUNS)
    assert info.n_drawn == changes
    assert info.n_repeated == N_FRAMES - changes - (len(keyframes) - 1)
    report = avio.decode_check(path)  # err_detect=explode: any bitstream error counts
    assert report.errors == []
    assert report.video_frames == N_FRAMES
    assert report.video_end_s == pytest.approx(N_FRAMES / FPS)
    media = avio.probe_media(path)
    assert media.video is not None and media.video.fps == FPS
    assert media.video.n_frames == N_FRAMES


def test_a_repeat_decodes_to_exactly_the_frame_before_it(pair):
    path, _ = pair[True]
    frames = decoded(path)
    keys = Cards(RUNS).keys
    repeats = 0
    for i in range(1, N_FRAMES):
        if keys[i] == keys[i - 1]:
            repeats += 1
            if i % avio.EncodeSettings().keyint_frames:
                assert np.array_equal(frames[i], frames[i - 1]), f"frame {i} differs"
    assert repeats > 100


def test_repeats_look_as_good_as_encoded_frames(pair):
    cards = Cards(RUNS)
    quality = {}
    for repeat, (path, _) in pair.items():
        frames = decoded(path)
        quality[repeat] = min(
            psnr_db(frames[i], cards.cards[cards.keys[i]]) for i in range(N_FRAMES)
        )
    assert quality[True] > 35.0
    assert quality[True] >= quality[False] - 1.0, quality


def test_repeat_segments_join_and_validate(tmp_path, pair, encoder):
    settings = avio.EncodeSettings(fps=FPS, width_px=W, height_px=H)
    second = avio.encode_segment(
        Cards([(3, 20), (1, 25)]), 45, settings, encoder, tmp_path / "second.mp4"
    )
    joined = tmp_path / "joined.mp4"
    silence = np.zeros(round((N_FRAMES + 45) / FPS * SAMPLE_RATE_HZ), np.float32)
    avio.concat_and_mux([pair[True][0], second.path], silence, joined, fps=FPS)
    report = avio.decode_check(joined)
    assert report.errors == []
    assert report.video_frames == N_FRAMES + 45
    frames = decoded(joined)
    assert np.array_equal(frames[N_FRAMES + 5], frames[N_FRAMES + 19])  # repeats after a join


def test_streams_that_cannot_take_repeats_keep_the_encoder(tmp_path, encoder):
    # x264 "medium": CABAC and B-frames, which the writer does not produce
    settings = avio.EncodeSettings(fps=FPS, width_px=W, height_px=H, preset="medium")
    info = avio.encode_segment(Cards(RUNS), N_FRAMES, settings, encoder, tmp_path / "m.mp4")
    assert info.n_repeated == 0
    report = avio.decode_check(info.path)
    assert report.errors == [] and report.video_frames == N_FRAMES


def test_parameter_sets_of_ultrafast_and_medium(tmp_path, encoder):
    found = {}
    for preset in ("ultrafast", "medium"):
        settings = avio.EncodeSettings(fps=FPS, width_px=W, height_px=H, preset=preset)
        path = avio.encode_segment(
            Cards([(0, 3)]), 3, settings, encoder, tmp_path / f"{preset}.mp4"
        ).path
        with av.open(str(path)) as container:
            extradata = container.streams.video[0].codec_context.extradata
        assert extradata is not None
        # MP4 stores avcC; rebuild Annex B from its SPS and PPS (ISO/IEC 14496-15 §5.3.3.1)
        found[preset] = h264.parse_parameter_sets(_annexb_from_avcc(bytes(extradata)))
    fast, medium = found["ultrafast"], found["medium"]
    assert fast.pic_size_in_mbs == (W // 16) * (H // 16)
    assert fast.pic_order_cnt_type == 2 and not fast.entropy_coding_mode
    assert h264.supports_repeat_frames(fast)
    assert medium.entropy_coding_mode and medium.pic_order_cnt_type == 0
    assert not h264.supports_repeat_frames(medium)


def _annexb_from_avcc(avcc: bytes) -> bytes:
    out = bytearray()
    pos = 5
    for count_mask in (0x1F, 0xFF):
        count = avcc[pos] & count_mask
        pos += 1
        for _ in range(count):
            size = int.from_bytes(avcc[pos : pos + 2], "big")
            out += b"\x00\x00\x00\x01" + avcc[pos + 2 : pos + 2 + size]
            pos += 2 + size
    return bytes(out)


def _frame_num(access_unit: bytes, bits: int) -> int:
    unit = h264.split_annexb(access_unit)[-1]
    reader = h264._BitReader(h264.ebsp_to_rbsp(unit[1:]))
    reader.ue(), reader.ue(), reader.ue()
    return reader.u(bits)


PARAMS = h264.ParameterSets(
    log2_max_frame_num=4,
    pic_order_cnt_type=2,
    frame_mbs_only=True,
    pic_size_in_mbs=8160,
    chroma_array_type=1,
    pps_id=0,
    entropy_coding_mode=False,
    num_slice_groups=1,
    weighted_pred=False,
    deblocking_filter_control=True,
    redundant_pic_cnt_present=False,
)


def test_frame_num_counts_on_across_repeats_and_wraps():
    writer = h264.RepeatFrameWriter(PARAMS)
    # an IDR slice header: first_mb 0 (1), slice_type 7 (0001000), pps 0 (1), frame_num 0000
    idr = b"\x00\x00\x00\x01\x65" + bytes([0b10001000, 0b10000010]) + b"\x80\xaa\xbb"
    assert _frame_num(writer.renumber(idr), 4) == 0
    seen = [_frame_num(writer.repeat(), 4) for _ in range(20)]
    assert seen == [n % 16 for n in range(1, 21)]
    # an encoder P slice after the repeats continues the count (rewritten in place)
    p_slice = b"\x00\x00\x00\x01\x41" + bytes([0b10011010, 0b00000010]) + b"\x80\xcc"
    renumbered = writer.renumber(p_slice)
    assert _frame_num(renumbered, 4) == 21 % 16
    assert renumbered.endswith(b"\x80\xcc")  # the slice data is untouched
    assert _frame_num(writer.renumber(idr), 4) == 0  # an IDR starts again


def test_unsupported_streams_are_refused():
    cabac = h264.ParameterSets(**{**PARAMS.__dict__, "entropy_coding_mode": True})
    with pytest.raises(h264.BitstreamError, match="CAVLC"):
        h264.RepeatFrameWriter(cabac)
    with pytest.raises(h264.BitstreamError, match="start code"):
        h264.split_annexb(b"\x12\x34")


@given(st.binary(max_size=64))
def test_emulation_prevention_round_trips(rbsp):
    ebsp = h264.rbsp_to_ebsp(rbsp + b"\x80")
    assert h264.ebsp_to_rbsp(ebsp) == rbsp + b"\x80"
    for start in (b"\x00\x00\x00", b"\x00\x00\x01", b"\x00\x00\x02"):
        assert start not in ebsp
