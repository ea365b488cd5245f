"""Scene renderers: draw the frames of each scene type with Pillow/numpy."""
