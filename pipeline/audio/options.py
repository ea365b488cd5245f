"""How a render's sound is made: loudness target, music bed, offline voice."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.audio.loudness import DEFAULT_TARGET_LUFS, TRUE_PEAK_LIMIT_DBTP, check_target
from pipeline.audio.mix import DEFAULT_MUSIC_LEVEL_DB


@dataclass(frozen=True)
class AudioOptions:
    """Sound options of one render.

    Attributes:
        target_lufs: integrated loudness of the output (−14, −16 or −23 are the usual ones).
        true_peak_dbtp: highest true peak allowed.
        music: a bundled bed name (``calm``, ``bright``, ``pulse``) or an audio file's path;
            ``None`` for no music.
        music_level_db: bed loudness relative to the voice while it speaks, dB (−40..0).
        offline_voice: offline provider tried first (``piper``, ``espeak``); ``None``: the
            environment variable ``VIDEOSTUDIO_OFFLINE_VOICE``, else Piper.

    Raises:
        ValueError: target outside −31..−9 LUFS, music level outside −40..0 dB.
    """

    target_lufs: float = DEFAULT_TARGET_LUFS
    true_peak_dbtp: float = TRUE_PEAK_LIMIT_DBTP
    music: str | None = None
    music_level_db: float = DEFAULT_MUSIC_LEVEL_DB
    offline_voice: str | None = None

    def __post_init__(self) -> None:
        check_target(self.target_lufs)
        if not -40.0 <= self.music_level_db <= 0.0:
            raise ValueError(f"music level must be in -40..0 dB, not {self.music_level_db:g}")
