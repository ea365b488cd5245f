"""H.264 repeat frames: an unchanged frame coded without running the encoder.

Most frames of a narrated video repeat the previous one (a card held while a sentence is
read). x264 still analyses every such frame before it codes it as "all macroblocks skipped",
which costs about 7 ms of CPU per 1080p frame on the reference machine
(``benchmarks/repeat_frames.py``), the largest single cost of a render. This module writes that
all-skip frame itself, in a few microseconds, from the stream's parameter sets:

- :func:`parse_parameter_sets` reads the SPS and PPS fields a slice header needs from the
  encoder's Annex B extradata (ITU-T H.264 (08/2021) §7.3.2.1.1 and §7.3.2.2).
- :class:`RepeatFrameWriter` builds a P slice whose every macroblock is ``P_Skip`` (§7.3.4:
  one ``mb_skip_run`` covering the picture). With no neighbour motion, a skipped macroblock's
  motion vector is zero and its reference is the previous frame (§8.4.1.1), and skipped
  macroblocks have no residual, so the decoded picture is the previous picture exactly; the
  slice also turns the deblocking filter off (§7.4.3) so not even an edge is touched.
- Every frame of the stream is a reference frame, so ``frame_num`` counts frames since the
  last IDR (§7.4.3: consecutive reference frames increase it by one, modulo
  ``MaxFrameNum``). :meth:`RepeatFrameWriter.renumber` rewrites the encoder's own slices to
  continue that count after inserted repeats; with ``pic_order_cnt_type`` 2 the picture
  order follows ``frame_num`` (§8.2.1.3), so nothing else changes.

Only streams this can write exactly are accepted (:func:`supports_repeat_frames`): CAVLC
entropy coding (x264's ``ultrafast``), ``pic_order_cnt_type`` 2 (no B-frames), progressive
frames, one slice group. Anything else keeps the encoder path.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ParameterSets",
    "RepeatFrameWriter",
    "parse_parameter_sets",
    "split_annexb",
    "supports_repeat_frames",
]

_START = b"\x00\x00\x00\x01"
NAL_SLICE = 1
NAL_IDR = 5
NAL_SPS = 7
NAL_PPS = 8
_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


class BitstreamError(ValueError):
    """The H.264 data is not what this module can read (truncated or an unsupported form)."""


def split_annexb(data: bytes) -> list[bytes]:
    """Split an Annex B byte stream into NAL units (start codes removed, EBSP kept).

    Raises:
        BitstreamError: no start code found.
    """
    units: list[bytes] = []
    starts: list[tuple[int, int]] = []  # (start of the start code, start of the NAL unit)
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        begin = i - 1 if i > 0 and data[i - 1] == 0 else i
        starts.append((begin, i + 3))
        i = data.find(b"\x00\x00\x01", i + 3)
    if not starts:
        raise BitstreamError("no Annex B start code in the H.264 data")
    for n, (_, nal_start) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(data)
        units.append(data[nal_start:end])
    return units


def nal_types(access_unit: bytes, length_size: int = 0) -> list[int]:
    """The ``nal_unit_type`` of each NAL unit of one access unit (§7.4.1).

    Args:
        access_unit: Annex B bytes (``length_size`` 0), or NAL units each preceded by its
            length in ``length_size`` big-endian bytes (1, 2 or 4: the MP4 ``avcC`` form).

    Raises:
        BitstreamError: no start code (Annex B), or a length runs past the data.
    """
    if not length_size:
        return [unit[0] & 0x1F for unit in split_annexb(access_unit) if unit]
    types: list[int] = []
    pos = 0
    while pos + length_size <= len(access_unit):
        size = int.from_bytes(access_unit[pos : pos + length_size], "big")
        pos += length_size
        if size == 0 or pos + size > len(access_unit):
            raise BitstreamError("an H.264 NAL unit length runs past its packet")
        types.append(access_unit[pos] & 0x1F)
        pos += size
    return types


def avcc_length_size(extradata: bytes) -> int:
    """Bytes of each NAL unit's length in an MP4 stream whose ``avcC`` record is
    ``extradata`` (``lengthSizeMinusOne`` + 1, ISO/IEC 14496-15 §5.3.3.1), or 0 when the
    extradata is Annex B (or absent)."""
    if len(extradata) >= 5 and extradata[0] == 1:
        return (extradata[4] & 0x03) + 1
    return 0


def ebsp_to_rbsp(ebsp: bytes) -> bytes:
    """Remove emulation-prevention bytes (``00 00 03`` → ``00 00``; §7.4.1)."""
    return ebsp.replace(b"\x00\x00\x03", b"\x00\x00")


def rbsp_to_ebsp(rbsp: bytes) -> bytes:
    """Insert emulation-prevention bytes: ``03`` after two zeros before a byte ≤ 3 (§7.4.1)."""
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class _BitReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0  # in bits

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.pos >> 3
            if byte >= len(self.data):
                raise BitstreamError("H.264 header ends early")
            value = (value << 1) | ((self.data[byte] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise BitstreamError("invalid Exp-Golomb code in H.264 header")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


class _BitWriter:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def u(self, n: int, value: int) -> None:
        self.bits.extend((value >> (n - 1 - i)) & 1 for i in range(n))

    def ue(self, value: int) -> None:
        code = value + 1
        length = code.bit_length()
        self.u(length - 1, 0)
        self.u(length, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def trailing(self) -> bytes:
        """``rbsp_trailing_bits``: a stop bit, then zeros to the byte boundary."""
        self.bits.append(1)
        self.bits.extend([0] * (-len(self.bits) % 8))
        out = bytearray()
        for i in range(0, len(self.bits), 8):
            byte = 0
            for bit in self.bits[i : i + 8]:
                byte = (byte << 1) | bit
            out.append(byte)
        return bytes(out)


@dataclass(frozen=True)
class ParameterSets:
    """The fields of one SPS and its PPS that a P slice header depends on.

    Attributes:
        log2_max_frame_num: bits of ``frame_num`` (4–16).
        pic_order_cnt_type: 0, 1 or 2.
        frame_mbs_only: progressive frames only.
        pic_size_in_mbs: macroblocks per frame (``PicSizeInMbs``).
        chroma_array_type: 0 (monochrome/separate planes) or 1–3.
        pps_id: the PPS's ``pic_parameter_set_id``.
        entropy_coding_mode: ``True`` for CABAC.
        num_slice_groups: 1 unless FMO is used.
        weighted_pred: explicit weighted prediction for P slices.
        deblocking_filter_control: slices may set the deblocking filter.
        redundant_pic_cnt_present: slices carry ``redundant_pic_cnt``.
    """

    log2_max_frame_num: int
    pic_order_cnt_type: int
    frame_mbs_only: bool
    pic_size_in_mbs: int
    chroma_array_type: int
    pps_id: int
    entropy_coding_mode: bool
    num_slice_groups: int
    weighted_pred: bool
    deblocking_filter_control: bool
    redundant_pic_cnt_present: bool


def _skip_scaling_lists(reader: _BitReader, count: int) -> None:
    for i in range(count):
        if reader.u(1):  # seq_scaling_list_present_flag[i]
            size = 16 if i < 6 else 64
            last, following = 8, 8
            for _ in range(size):
                if following:
                    following = (last + reader.se() + 256) % 256
                last = following or last


def parse_parameter_sets(extradata: bytes) -> ParameterSets:
    """Read the first SPS and PPS of an Annex B ``extradata`` (what libx264 writes for MP4).

    Args:
        extradata: the codec context's extradata, ``00 00 00 01``-separated NAL units.

    Raises:
        BitstreamError: no SPS or PPS, or a header ends early.
    """
    sps = pps = None
    for unit in split_annexb(extradata):
        if unit and unit[0] & 0x1F == NAL_SPS and sps is None:
            sps = ebsp_to_rbsp(unit[1:])
        elif unit and unit[0] & 0x1F == NAL_PPS and pps is None:
            pps = ebsp_to_rbsp(unit[1:])
    if sps is None or pps is None:
        raise BitstreamError("the H.264 extradata has no SPS or no PPS")

    r = _BitReader(sps)
    profile_idc = r.u(8)
    r.u(16)  # constraint flags, reserved bits, level_idc
    r.ue()  # seq_parameter_set_id
    chroma_format_idc = 1
    separate_colour_plane = 0
    if profile_idc in _HIGH_PROFILES:
        chroma_format_idc = r.ue()
        if chroma_format_idc == 3:
            separate_colour_plane = r.u(1)
        r.ue()  # bit_depth_luma_minus8
        r.ue()  # bit_depth_chroma_minus8
        r.u(1)  # qpprime_y_zero_transform_bypass_flag
        if r.u(1):  # seq_scaling_matrix_present_flag
            _skip_scaling_lists(r, 8 if chroma_format_idc != 3 else 12)
    log2_max_frame_num = r.ue() + 4
    poc_type = r.ue()
    if poc_type == 0:
        r.ue()  # log2_max_pic_order_cnt_lsb_minus4
    elif poc_type == 1:
        r.u(1)
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    r.ue()  # max_num_ref_frames
    r.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs = r.ue() + 1
    height_map_units = r.ue() + 1
    frame_mbs_only = bool(r.u(1))
    pic_size_in_mbs = width_mbs * height_map_units * (1 if frame_mbs_only else 2)

    p = _BitReader(pps)
    pps_id = p.ue()
    p.ue()  # seq_parameter_set_id
    entropy_coding_mode = bool(p.u(1))
    p.u(1)  # bottom_field_pic_order_in_frame_present_flag
    num_slice_groups = p.ue() + 1
    if num_slice_groups > 1:
        raise BitstreamError("H.264 slice groups (FMO) are not supported")
    p.ue()  # num_ref_idx_l0_default_active_minus1
    p.ue()  # num_ref_idx_l1_default_active_minus1
    weighted_pred = bool(p.u(1))
    p.u(2)  # weighted_bipred_idc
    p.se()  # pic_init_qp_minus26
    p.se()  # pic_init_qs_minus26
    p.se()  # chroma_qp_index_offset
    deblocking_filter_control = bool(p.u(1))
    p.u(1)  # constrained_intra_pred_flag
    redundant_pic_cnt_present = bool(p.u(1))
    return ParameterSets(
        log2_max_frame_num=log2_max_frame_num,
        pic_order_cnt_type=poc_type,
        frame_mbs_only=frame_mbs_only,
        pic_size_in_mbs=pic_size_in_mbs,
        chroma_array_type=0 if separate_colour_plane else chroma_format_idc,
        pps_id=pps_id,
        entropy_coding_mode=entropy_coding_mode,
        num_slice_groups=num_slice_groups,
        weighted_pred=weighted_pred,
        deblocking_filter_control=deblocking_filter_control,
        redundant_pic_cnt_present=redundant_pic_cnt_present,
    )


def supports_repeat_frames(params: ParameterSets) -> bool:
    """Whether :class:`RepeatFrameWriter` can write exact repeats for this stream."""
    return (
        not params.entropy_coding_mode
        and params.pic_order_cnt_type == 2
        and params.frame_mbs_only
        and params.num_slice_groups == 1
        and params.chroma_array_type != 0
    )


class RepeatFrameWriter:
    """Write all-skip P frames into one stream and keep its ``frame_num`` count.

    Feed every access unit of the stream in decoding order: the encoder's through
    :meth:`renumber`, the repeats from :meth:`repeat`. Both return Annex B bytes.

    Raises:
        BitstreamError: (constructor) the stream is one :func:`supports_repeat_frames`
            rejects; (:meth:`renumber`) an access unit has no slice.
    """

    def __init__(self, params: ParameterSets) -> None:
        if not supports_repeat_frames(params):
            raise BitstreamError(
                "repeat frames need CAVLC, pic_order_cnt_type 2 and progressive frames"
            )
        self.params = params
        self.max_frame_num = 1 << params.log2_max_frame_num
        self.frame_num = 0
        self.nal_ref_idc = 2
        self._cache: dict[tuple[int, int], bytes] = {}

    def renumber(self, access_unit: bytes) -> bytes:
        """Give an encoder access unit the next ``frame_num`` (0 after an IDR).

        Every slice NAL unit's ``frame_num`` is rewritten in place (a fixed-width field
        after three Exp-Golomb codes); other NAL units (SEI) are copied.
        """
        units = split_annexb(access_unit)
        slices = [u for u in units if u and u[0] & 0x1F in (NAL_SLICE, NAL_IDR)]
        if not slices:
            raise BitstreamError("an H.264 access unit without a slice")
        if slices[0][0] & 0x1F == NAL_IDR:
            self.frame_num = 0
        else:
            self.frame_num = (self.frame_num + 1) % self.max_frame_num
        ref_idc = (slices[0][0] >> 5) & 3
        if ref_idc == 0:
            raise BitstreamError("non-reference H.264 frames are not supported")
        self.nal_ref_idc = ref_idc
        out = bytearray()
        for unit in units:
            if unit and unit[0] & 0x1F in (NAL_SLICE, NAL_IDR):
                unit = self._with_frame_num(unit, self.frame_num)
            out += _START + unit
        return bytes(out)

    def _with_frame_num(self, unit: bytes, frame_num: int) -> bytes:
        # Only the slice header's first bytes are unescaped and rewritten: the cut is made
        # after a byte that is neither 0 nor 3, so no emulation-prevention sequence spans it
        # and the rest of the NAL unit (the slice data, up to megabytes) is copied unchanged.
        cut = next((i for i in range(12, len(unit)) if unit[i - 1] not in (0, 3)), len(unit))
        rbsp = bytearray(ebsp_to_rbsp(unit[1:cut]))
        reader = _BitReader(bytes(rbsp))
        reader.ue()  # first_mb_in_slice
        reader.ue()  # slice_type
        reader.ue()  # pic_parameter_set_id
        pos = reader.pos
        bits = self.params.log2_max_frame_num
        if pos + bits > 8 * len(rbsp):
            raise BitstreamError("H.264 slice header ends early")
        for i in range(bits):
            bit = (frame_num >> (bits - 1 - i)) & 1
            byte, shift = (pos + i) >> 3, 7 - ((pos + i) & 7)
            rbsp[byte] = (rbsp[byte] & ~(1 << shift)) | (bit << shift)
        return unit[:1] + rbsp_to_ebsp(bytes(rbsp)) + unit[cut:]

    def repeat(self) -> bytes:
        """The next access unit: a P frame repeating the previous frame exactly."""
        self.frame_num = (self.frame_num + 1) % self.max_frame_num
        key = (self.frame_num, self.nal_ref_idc)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._skip_slice(self.frame_num)
        return cached

    def _skip_slice(self, frame_num: int) -> bytes:
        """One P slice of ``pic_size_in_mbs`` skipped macroblocks (§7.3.3, §7.3.4)."""
        p = self.params
        w = _BitWriter()
        w.ue(0)  # first_mb_in_slice
        w.ue(5)  # slice_type: P (every slice of the picture is P)
        w.ue(p.pps_id)
        w.u(p.log2_max_frame_num, frame_num)
        # frame_mbs_only: no field_pic_flag; not IDR: no idr_pic_id; POC type 2: no POC fields
        if p.redundant_pic_cnt_present:
            w.ue(0)  # redundant_pic_cnt
        w.u(1, 1)  # num_ref_idx_active_override_flag
        w.ue(0)  # num_ref_idx_l0_active_minus1: one reference, the previous frame
        w.u(1, 0)  # ref_pic_list_modification_flag_l0
        if p.weighted_pred:  # pred_weight_table with default weights
            w.ue(0)  # luma_log2_weight_denom
            if p.chroma_array_type != 0:
                w.ue(0)  # chroma_log2_weight_denom
            w.u(1, 0)  # luma_weight_l0_flag[0]
            if p.chroma_array_type != 0:
                w.u(1, 0)  # chroma_weight_l0_flag[0]
        w.u(1, 0)  # dec_ref_pic_marking: adaptive_ref_pic_marking_mode_flag (sliding window)
        w.se(0)  # slice_qp_delta
        if p.deblocking_filter_control:
            w.ue(1)  # disable_deblocking_filter_idc: off
        w.ue(p.pic_size_in_mbs)  # slice_data: mb_skip_run over the whole picture
        header = bytes([(self.nal_ref_idc << 5) | NAL_SLICE])
        return _START + header + rbsp_to_ebsp(w.trailing())
