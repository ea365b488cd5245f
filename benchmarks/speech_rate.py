"""Fit the narration-length model of pipeline.condense to eSpeak NG on real documents.

Speaks every scene narration of the corpus documents (and the pytest-qt reST README) with the
offline voice, measures each clip, and fits seconds per word, per number, per digit, per
sentence end and per clause mark (``, ; :``) by least squares. Prints the coefficients and
how well the fitted model and a plain words-per-minute estimate predict the total.

    nice .venv/bin/python benchmarks/speech_rate.py
"""

import re
import time
from pathlib import Path

import numpy as np

from pipeline.adapters import read_document
from pipeline.narration import script_stage
from pipeline.speech.base import VoiceRef
from pipeline.speech.espeak import EspeakProvider

ROOT = Path(__file__).resolve().parents[1]
C = ROOT.parent / "shared" / "corpus"
if not C.is_dir():
    C = Path("/work/shared/corpus")
texts = []
for n in [
    "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md",
    "pyav-README.md",
    "napari-README.md",
    "manim-README.md",
    "video_gen-Internet_Guide_README.md",
]:
    spec = read_document(C / n).spec
    texts += [t for t in script_stage(spec) if t]
spec = read_document(ROOT / "tests" / "data" / "rst" / "pytest-qt-README.rst").spec
texts += [t for t in script_stage(spec) if t]
prov = EspeakProvider()


def feats(t):
    toks = t.split()
    words = sum(1 for x in toks if not re.search(r"\d", x))
    digits = sum(len(re.findall(r"\d", x)) for x in toks)
    numtok = sum(1 for x in toks if re.search(r"\d", x))
    ends = len(re.findall(r"[.!?](\s|$)", t))
    clauses = len(re.findall(r"[,;:](\s|$)", t))
    return [words, numtok, digits, ends, clauses]


X = []
y = []
t0 = time.time()
for t in texts:
    a = prov.synthesize(t, VoiceRef())
    X.append(feats(t))
    y.append(a.duration_s)
X = np.array(X, float)
y = np.array(y)
coef, *_ = np.linalg.lstsq(X, y, rcond=None)
print(len(texts), "texts", round(time.time() - t0, 1), "s")
print("coef words,numtok,digits,ends,clauses", coef.round(3))
pred = X @ coef
err = (pred - y) / y
print(
    "rel err mean",
    err.mean().round(3),
    "abs",
    np.abs(err).mean().round(3),
    "total",
    (pred.sum() / y.sum()).round(3),
)
w = X[:, 0] + X[:, 1]
simple = w * 60 / 150
print(
    "simple total",
    (simple.sum() / y.sum()).round(3),
    "abs",
    np.abs((simple - y) / y).mean().round(3),
)
