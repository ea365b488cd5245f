"""Text-to-speech: providers behind one small interface, with a fallback chain.

Edge TTS (online) → eSpeak NG (offline, bundled through ``espeakng-loader``).
"""
