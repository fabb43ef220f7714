import pandas as pd
import pytest

from review_lib.data.scale import LEVELS, NOT_APPLICABLE, RATING_DTYPE, is_blank, parse_label


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Outstanding", "Outstanding"),
        ("  outstanding ", "Outstanding"),
        ("O", "Outstanding"),
        ("good", "Good"),
        ("G", "Good"),
        ("Requires Improvement", "Requires Improvement"),
        ("requires  improvement", "Requires Improvement"),
        ("RequiresImprovement", "Requires Improvement"),
        ("Req. Improvement", "Requires Improvement"),
        ("RI", "Requires Improvement"),
        ("r i", "Requires Improvement"),
        ("Inadequate", "Inadequate"),
        ("I", "Inadequate"),
    ],
)
def test_labels_are_read_forgivingly(raw, expected):
    assert parse_label(raw) == expected


@pytest.mark.parametrize("raw", ["N/A", "n/a", "NA", "Not applicable", "not-applicable"])
def test_not_applicable_is_not_a_level(raw):
    assert parse_label(raw) is NOT_APPLICABLE
    assert parse_label(raw) not in LEVELS


@pytest.mark.parametrize("raw", ["Very good", "Gd", "Adequate", "3", "OK", "Good?", "", None, 4])
def test_labels_are_never_guessed(raw):
    assert parse_label(raw) is None


def test_blank_values():
    assert is_blank(None) and is_blank("  ") and is_blank(float("nan"))
    assert not is_blank("Good") and not is_blank(0)


def test_rating_dtype_orders_worst_to_best():
    ratings = pd.Series(["Good", "Inadequate", "Outstanding"], dtype=RATING_DTYPE)
    assert ratings.max() == "Outstanding"
    assert ratings.min() == "Inadequate"
    assert list(RATING_DTYPE.categories) == list(reversed(LEVELS))
