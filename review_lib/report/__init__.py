"""Typed results to words, charts, sections and HTML."""
