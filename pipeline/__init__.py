"""The headless render engine of Video Studio.

Pure Python + pydantic + Pillow/numpy + PyAV. Nothing here imports Qt (a test checks it).
Data flow: adapters → script (narration) → speech → timeline → render → encode → validate.
"""

__version__ = "0.1.0"
