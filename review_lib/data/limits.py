"""Limits on what one input may hold, so that no file can hang a run or exhaust memory.

Each limit has a default that is far above any real Practice Review (about 20 case records
of 12 questions) and can be raised with an environment variable for unusual programmes.
"""

from __future__ import annotations

import os

#: Largest data file read, in megabytes (``PRACTICE_REVIEW_MAX_FILE_MB``).
DEFAULT_MAX_FILE_MB = 20
#: Most case records in one review (``PRACTICE_REVIEW_MAX_CASES``).
DEFAULT_MAX_CASES = 1000
#: Most rows and columns read from one worksheet or CSV.
MAX_ROWS = 200_000
MAX_COLUMNS = 1_000
#: Largest uncompressed part of a workbook, and of all its parts together, in megabytes.
MAX_WORKBOOK_PART_MB = 100
MAX_WORKBOOK_TOTAL_MB = 300
#: Largest uncompressed part of a Word file (notes, or a council's style document), and of
#: all its parts together, in megabytes: a notes file is text, and its document part a few
#: megabytes at most (pictures are parts of their own).
MAX_WORD_PART_MB = 25
MAX_WORD_TOTAL_MB = 100
#: Largest heap pandoc may use, in megabytes (``+RTS -M``): pandoc stops with a message
#: rather than take the machine's memory.
PANDOC_HEAP_MB = 1024
#: Seconds pandoc may take to read one Word file (``PRACTICE_REVIEW_PANDOC_TIMEOUT``).
DEFAULT_PANDOC_TIMEOUT = 30


def _setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def max_file_bytes() -> int:
    """The largest data file read, in bytes.

    Returns
    -------
    int
        ``PRACTICE_REVIEW_MAX_FILE_MB`` (default 20) megabytes.
    """
    return _setting("PRACTICE_REVIEW_MAX_FILE_MB", DEFAULT_MAX_FILE_MB) * 1024 * 1024


def max_cases() -> int:
    """The most case records one review may hold.

    Returns
    -------
    int
        ``PRACTICE_REVIEW_MAX_CASES`` (default 1000).
    """
    return _setting("PRACTICE_REVIEW_MAX_CASES", DEFAULT_MAX_CASES)


def pandoc_timeout() -> int:
    """Seconds pandoc may take to read one Word file before it is stopped.

    Returns
    -------
    int
        ``PRACTICE_REVIEW_PANDOC_TIMEOUT`` (default 30).
    """
    return _setting("PRACTICE_REVIEW_PANDOC_TIMEOUT", DEFAULT_PANDOC_TIMEOUT)
