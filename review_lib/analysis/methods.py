"""The names of the funnel-limit methods, importable without numpy, pandas or scipy.

``practice-review run`` checks its options with them before it starts its workers, which
it does first of all: importing :mod:`review_lib.analysis.funnel` for them (pandas and
scipy) had cost every run a third of a second before its workers began to prepare.
"""

#: Funnel methods, the default first (:func:`review_lib.analysis.funnel.funnel_table`).
FUNNEL_METHODS = ("exact", "fingertips")
