"""Audio mastering: speech levelling, the music bed, the streaming mix and loudness
normalisation (ITU-R BS.1770 / EBU R128) before the AAC encode.

All PyAV/FFmpeg access goes through :mod:`pipeline.avio`; this package never imports ``av``.
"""
