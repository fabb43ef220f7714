"""Files to validated tidy frames: the rating scale, the question catalogue, reading, loading.

Nothing here imports :mod:`review_lib.analysis` or :mod:`review_lib.report`.
"""
