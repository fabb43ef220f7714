"""Pure analysis: tidy frames in, typed results out; no file I/O and no text.

Nothing here imports :mod:`review_lib.report`.
"""
