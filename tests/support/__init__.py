"""Helpers shared by tests: hostile input files."""
