"""Imported by the fork server of ``practice-review run``: prepares what workers inherit.

With the ``forkserver`` start method, one server process imports this module once, and
every worker is then a fork of it: each starts with pandas, matplotlib, nbconvert,
papermill and the notebook shell already loaded and the report templates compiled,
instead of importing them itself (about 1.5 s of CPU per worker). See
:mod:`review_lib.batch.workers`. Importing this module anywhere else does the same preparation.
"""

from __future__ import annotations


def _preload() -> None:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the server's stderr is the user's terminal
            from review_lib.batch.workers import prepare

            prepare()
    except Exception:
        pass


_preload()
