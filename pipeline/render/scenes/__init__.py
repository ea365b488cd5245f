"""One renderer class per scene type, grouped by family."""
