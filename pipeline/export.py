"""Export a finished render for video editors: an OpenTimelineIO timeline with its media.

``export_for_editors(video)`` reads the render's ``metadata.json`` and subtitles and writes,
beside the video:

* ``<stem>_media/`` — one video-only file per scene (``<stem>-NN.mp4``, copied from the
  render without re-encoding: every scene starts on a keyframe), the sound track
  (``<stem>-sound.m4a``, the narration with its music as mixed in the render) and, when the
  render was made with ``--export otio``, its stems (``<stem>-narration.m4a`` and, with
  music, ``<stem>-music.m4a``: the bed as mixed, ducked under the voice);
* ``<stem>.otio`` — the timeline: one clip per scene on the video track (its scene type,
  narration and visual tier in the clip's metadata), the narration and the music on audio
  tracks of their own (or the mixed sound on one track when there are no stems), every
  caption as a marker; DaVinci Resolve (18.5 and later) and Kdenlive (25.04 and later)
  import it natively;
* ``<stem>.otioz`` — the same timeline bundled with its media in one file;
* ``<stem>.fcp.xml`` — Final Cut Pro 7 XML, for Premiere Pro (OTIO's ``fcp_xml`` adapter).

Every file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import avio
from pipeline.errors import InputError
from pipeline.fsutil import TEMP_PREFIX

EXPORT_FORMATS = ("otio",)
"""What ``--export`` accepts: ``otio`` writes .otio, .otioz and FCP7 XML."""


@dataclass(frozen=True)
class EditorExport:
    """The files of an export (all beside the video)."""

    otio: Path
    otioz: Path
    fcp_xml: Path
    scene_media: tuple[Path, ...]
    sound: Path
    stems: tuple[Path, ...] = ()
    """The narration and music files on the timeline's audio tracks (empty when the render
    kept no stems: then the mixed ``sound`` is the one audio track)."""


@dataclass(frozen=True)
class _Caption:
    start_s: float
    end_s: float
    text: str


def _read_metadata(video: Path, metadata: Path | None) -> dict[str, Any]:
    path = metadata or video.with_name(video.stem + ".metadata.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(
            f"cannot read the render's metadata ({error})",
            source=str(path),
            hint="export a video rendered by Video Studio (its .metadata.json beside it)",
        ) from error
    if not isinstance(data, dict) or not data.get("scenes") or not data.get("fps"):
        raise InputError(
            "the metadata has no scenes or frame rate",
            source=str(path),
            hint="render the video again, then export it",
        )
    return data


def _captions(video: Path, data: dict[str, Any]) -> list[_Caption]:
    import pysubs2

    name = (data.get("subtitles") or {}).get("srt") or video.with_suffix(".srt").name
    path = video.with_name(str(name))
    if not path.is_file():
        return []
    subs = pysubs2.load(str(path), encoding="utf-8")
    return [_Caption(e.start / 1000, e.end / 1000, e.plaintext.strip()) for e in subs]


def _write(timeline: Any, target: Path, adapter: str | None = None) -> Path:
    import opentimelineio as otio

    tmp = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{target.name}")
    try:
        otio.adapters.write_to_file(timeline, str(tmp), adapter_name=adapter)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


STEM_TRACKS = {"narration": "Narration", "music": "Music"}
"""Audio tracks of the timeline when the render kept its stems (``--export otio`` at render
time), in this order."""


def _copy_stems(video: Path, data: dict[str, Any], media: Path) -> dict[str, Path]:
    """Copy the stems this render listed in its metadata (``audio.stems``) into ``media`` as
    ``<stem>-narration.m4a`` / ``<stem>-music.m4a``; files of an older render that this one
    did not list are never used."""
    listed = (data.get("audio") or {}).get("stems") or {}
    copied: dict[str, Path] = {}
    for part in STEM_TRACKS:
        name = listed.get(part)
        source = video.with_name(str(name)) if name else None
        if source is None or not source.is_file():
            continue
        target = media / f"{video.stem}-{part}.m4a"
        tmp = media / f"{TEMP_PREFIX}{os.getpid()}-{target.name}"
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except OSError as error:
            tmp.unlink(missing_ok=True)
            raise InputError(
                f"cannot copy the {part} track into {media} ({error})",
                source=str(source),
                hint="check the free space and permissions of the video's folder",
            ) from error
        copied[part] = target
    return copied


def export_for_editors(video: Path, metadata: Path | None = None) -> EditorExport:
    """Write the editor export of ``video`` (see the module docstring) and return its files.

    Args:
        video: a finished render (``.mp4``).
        metadata: its ``.metadata.json`` (default: beside the video).

    Raises:
        InputError: no metadata, or metadata without scenes.
        EncodeError: the video cannot be split (disk full, not a Video Studio render).
    """
    import opentimelineio as otio

    video = Path(video).resolve()
    data = _read_metadata(video, metadata)
    fps = int(data["fps"])
    scenes = data["scenes"]
    starts = [round(float(scene["start_s"]) * fps) for scene in scenes]
    total_frames = int(data.get("n_frames") or round(float(data["duration_s"]) * fps))
    ends = [*starts[1:], total_frames]
    media = video.with_name(f"{video.stem}_media")
    parts = avio.split_video(video, starts, media, video.stem)
    sound = avio.extract_audio(video, media / f"{video.stem}-sound.m4a")

    def rt(frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, fps)

    def span(start: int, length: int) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(rt(start), rt(length))

    timeline = otio.schema.Timeline(name=str(data.get("title") or video.stem))
    timeline.global_start_time = rt(0)
    timeline.metadata["videostudio"] = {
        "source_video": video.name,
        "width_px": data.get("width_px"),
        "height_px": data.get("height_px"),
        "fps": fps,
    }
    pictures = otio.schema.Track(name="Scenes", kind=otio.schema.TrackKind.Video)
    for index, (scene, part, start, end) in enumerate(
        zip(scenes, parts, starts, ends, strict=True)
    ):
        length = end - start
        reference = otio.schema.ExternalReference(
            target_url=part.as_uri(), available_range=span(0, length)
        )
        clip = otio.schema.Clip(
            name=f"{index + 1:02d} {scene.get('scene_type', 'scene')}",
            media_reference=reference,
            source_range=span(0, length),
        )
        clip.metadata["videostudio"] = {
            key: scene.get(key) for key in ("scene_type", "narration", "tier", "speech_provider")
        }
        pictures.append(clip)
    for caption in _captions(video, data):
        start = round(caption.start_s * fps)
        length = max(1, round(caption.end_s * fps) - start)
        pictures.markers.append(
            otio.schema.Marker(
                name=caption.text,
                marked_range=span(start, length),
                color=otio.schema.MarkerColor.YELLOW,
            )
        )
    stems = _copy_stems(video, data, media)
    timeline.tracks.append(pictures)
    audio_tracks = [(STEM_TRACKS[part], path) for part, path in stems.items()] or [
        ("Narration and music", sound)
    ]
    for name, path in audio_tracks:
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
        track.append(
            otio.schema.Clip(
                name=name,
                media_reference=otio.schema.ExternalReference(
                    target_url=path.as_uri(), available_range=span(0, total_frames)
                ),
                source_range=span(0, total_frames),
            )
        )
        timeline.tracks.append(track)
    return EditorExport(
        stems=tuple(stems.values()),
        otio=_write(timeline, video.with_suffix(".otio")),
        otioz=_write(timeline, video.with_suffix(".otioz")),
        fcp_xml=_write(timeline, video.with_name(video.stem + ".fcp.xml"), "fcp_xml"),
        scene_media=tuple(parts),
        sound=sound,
    )
