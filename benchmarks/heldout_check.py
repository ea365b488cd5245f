"""Check the held-out batch's outputs: reopen every MP4 of ``benchmarks/heldout`` and print,
per manifest row, its state from ``batch-report.csv``, the streams, the duration and the
loudness recorded by validation.

Run after the batch (see ``benchmarks/heldout/README.md``):

    .venv/bin/python benchmarks/heldout_check.py

Exit code 1 when a row did not succeed or an output does not reopen as H.264 + AAC.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import av

HERE = Path(__file__).resolve().parent / "heldout"


def describe(video: Path) -> tuple[str, bool]:
    """A one-line description of ``video`` and whether it is H.264 video with AAC sound."""
    with av.open(str(video)) as container:
        v = container.streams.video[0]
        a = container.streams.audio[0]
        duration_s = float(container.duration or 0) / av.time_base
        text = (
            f"{v.codec_context.name} {v.codec_context.width}x{v.codec_context.height} "
            f"+ {a.codec_context.name} {a.codec_context.channels} ch, {duration_s:.1f} s"
        )
        ok = v.codec_context.name == "h264" and a.codec_context.name == "aac"
    metadata = video.with_suffix(".metadata.json")
    if metadata.is_file():
        audio = json.loads(metadata.read_text(encoding="utf-8")).get("audio", {})
        text += (
            f", {audio.get('integrated_lufs', float('nan')):.1f} LUFS,"
            f" {audio.get('true_peak_dbtp', float('nan')):.1f} dBTP"
        )
    return text, ok


def main() -> int:
    report = HERE / "batch-report.csv"
    if not report.is_file():
        print(f"no {report}: run the batch first (see {HERE / 'README.md'})", file=sys.stderr)
        return 1
    failures = 0
    with report.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            output = row.get("output") or ""
            line = f"line {row.get('line')}: {row.get('source')} → {row.get('state')}"
            path = Path(output)
            if row.get("state") == "SUCCEEDED" and path.is_file():
                text, ok = describe(path)
                failures += not ok
                print(f"{line}: {text}")
            else:
                failures += 1
                print(f"{line}: {row.get('error') or 'no output'}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
