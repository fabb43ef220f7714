"""The fast paths give exactly what the straightforward computations give.

Frames are built from codes, counts come from category codes, Wilson intervals are
vectorised, every review's question table can come from one call, and plain CSV text is
split without the csv module. Each test here compares one of them with the slow,
obvious computation (the code these fast paths replaced), to the last bit: values, dtypes,
categories, index and attrs.
"""

from __future__ import annotations

import csv
import io
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from review_lib.analysis import summary
from review_lib.analysis.summary import (
    count_table_text,
    good_or_better,
    headline_sentence,
    level_counts,
    question_summary,
    review_summary,
    wilson_interval,
    wilson_intervals,
)
from review_lib.data.catalogue import Catalogue
from review_lib.data.loading import load_programme
from review_lib.data.reading import read_review_file
from review_lib.data.records import _PARTS, Programme, _frame
from review_lib.data.scale import GOOD_OR_BETTER, LEVELS, RATING_DTYPE, parse_label
from review_lib.data.tables import _split_plain_csv, read_csv

PARTS = ("ratings", "not_applicable", "judgements")
QUESTIONS = [f"Q{i}" for i in range(1, 13)]


def assert_same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal values, dtypes (categories and their dtype included), index, columns and attrs."""
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_index_type=True,
                                  check_column_type=True, check_categorical=True)
    assert list(got.dtypes) == list(want.dtypes)
    for column in got.columns:
        if isinstance(got[column].dtype, pd.CategoricalDtype):
            assert got[column].cat.categories.dtype == want[column].cat.categories.dtype
            assert got[column].cat.ordered == want[column].cat.ordered
    assert got.index.dtype == want.index.dtype and got.columns.dtype == want.columns.dtype
    assert got.attrs == want.attrs


# --------------------------------------------------------------------------- references
# The implementations the fast paths replaced, kept here as the yardstick.


def reference_level_counts(values) -> pd.DataFrame:
    counts = pd.Series(values).astype("object").value_counts().reindex(list(LEVELS),
                                                                        fill_value=0)
    n = int(counts.sum())
    table = pd.DataFrame({"count": counts.astype(int),
                          "percent": counts / n * 100 if n else counts * math.nan})
    table.index.name = "level"
    table.attrs["n"] = n
    return table


def reference_with_shares(counts: pd.DataFrame) -> pd.DataFrame:
    table = counts.copy()
    table["n"] = counts[list(LEVELS)].sum(axis=1)
    good = counts[list(GOOD_OR_BETTER)].sum(axis=1)
    intervals = [wilson_interval(int(g), int(n)) for g, n in zip(good, table["n"], strict=True)]
    table["good_or_better"] = good
    table["share_good"] = good / table["n"].where(table["n"] > 0)
    table["ci_low"] = [low for low, _ in intervals]
    table["ci_high"] = [high for _, high in intervals]
    table["share_ri_or_worse"] = 1 - table["share_good"]
    return table


def reference_level_matrix(frame: pd.DataFrame, by: str, column: str) -> pd.DataFrame:
    grouped = (frame.groupby([by, column], observed=False).size()
               .unstack(column, fill_value=0))
    grouped = grouped.reindex(columns=list(LEVELS), fill_value=0).astype(int)
    grouped.columns.name = None
    return grouped


def reference_question_summary(ratings, not_applicable=None, catalogue=None) -> pd.DataFrame:
    table = reference_with_shares(reference_level_matrix(ratings, "question", "rating"))
    if not_applicable is not None:
        na = not_applicable.groupby("question", observed=False).size()
        table["not_applicable"] = na.reindex(table.index, fill_value=0).astype(int)
    else:
        table["not_applicable"] = 0
    if catalogue is not None:
        table["label"] = [catalogue[q].short_label for q in table.index]
    table.index.name = "question"
    return table


def reference_review_summary(ratings, judgements) -> pd.DataFrame:
    r = ratings.assign(review=list(zip(ratings["council"].astype(str),
                                       ratings["cycle"].astype(str), strict=True)))
    table = reference_with_shares(reference_level_matrix(r, "review", "rating"))
    j = judgements.assign(review=list(zip(judgements["council"].astype(str),
                                          judgements["cycle"].astype(str), strict=True)))
    jcounts = reference_with_shares(reference_level_matrix(j, "review", "judgement"))
    table["cases"] = jcounts["n"].reindex(table.index, fill_value=0)
    table["cases_good"] = jcounts["good_or_better"].reindex(table.index, fill_value=0)
    table.index = pd.MultiIndex.from_tuples(table.index, names=["council", "cycle"])
    return table


def reference_count_table_text(table: pd.DataFrame, title: str) -> str:
    width = max(len(level) for level in LEVELS)
    lines = [title]
    for level, row in table.iterrows():
        percent = (summary.format_percent(row["percent"] / 100, 1) if table.attrs.get("n")
                   else "n/a")
        lines.append(f"  {level:<{width}}  {int(row['count']):>4} ({percent})")
    lines.append(f"  {'Total':<{width}}  {int(table['count'].sum()):>4}")
    return "\n".join(lines)


def reference_csv_rows(text: str, delimiter: str = ",") -> tuple[list[int], list[list[str]]]:
    """Row numbers and rows as the csv module reads them, tracking its line count."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    numbers, rows, line_start = [], [], 1
    for row in reader:
        numbers.append(line_start)
        rows.append(row)
        line_start = reader.line_num + 1
    return numbers, rows


# --------------------------------------------------------------------------- data


def write_long(path, councils, cycles=("2019",), n_cases=3, na_every=0, auditors=None,
               questions=QUESTIONS):
    """A valid long CSV; every ``na_every``-th answer N/A (0: none)."""
    auditors = auditors or ["PSW A", "psw b", "Zoë", "alpha"]
    rows = [["council", "cycle", "case", "auditor", "question", "rating"]]
    k = 0
    for council in councils:
        for cycle in cycles:
            for case in range(n_cases):
                auditor = auditors[(case + len(council)) % len(auditors)]
                for j, question in enumerate(questions):
                    k += 1
                    label = "N/A" if na_every and k % na_every == 0 else LEVELS[(case + j) % 4]
                    rows.append([council, cycle, f"C{case + 1}", auditor, question, label])
                rows.append([council, cycle, f"C{case + 1}", auditor, "Overall",
                             LEVELS[case % 3]])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def odd_programme(tmp_path_factory, catalogue):
    """Councils and auditors whose names sort awkwardly (case, accents), some N/A answers."""
    folder = tmp_path_factory.mktemp("odd")
    write_long(folder / "a.csv", ["Zeta Vale", "alpha", "Émile", "Ashcombe"],
               cycles=("2019", "2022-24"), na_every=7)
    write_long(folder / "b.csv", ["beta"], cycles=("2016-17",), na_every=0,
               auditors=["Ängel", "bob"])
    return load_programme(folder, catalogue)


@pytest.fixture(scope="module", params=["sample", "odd"])
def programme(request, sample_programme, odd_programme):
    return sample_programme if request.param == "sample" else odd_programme


# --------------------------------------------------------------------------- frames


@pytest.mark.parametrize("part", PARTS)
def test_review_frames_equal_frames_built_from_lists(programme, part):
    for review in programme.reviews:
        want = _frame(review._lists(part), review.catalogue, _PARTS[part])
        assert_same_frame(getattr(review, part), want)


@pytest.mark.parametrize("part", PARTS)
def test_review_frames_equal_filtering_the_programme_frames(programme, part):
    whole = getattr(programme, part)
    for review in programme.reviews:
        rows = whole[(whole["council"] == review.council) & (whole["cycle"] == review.cycle)]
        want = rows.reset_index(drop=True)
        for column in ("council", "cycle", "auditor"):
            want[column] = want[column].cat.remove_unused_categories()
        if want.empty:  # an empty frame's columns come from empty lists, as before
            want = _frame(review._lists(part), review.catalogue, _PARTS[part])
        assert_same_frame(getattr(review, part), want)


@pytest.mark.parametrize("part", PARTS)
def test_programme_frames_equal_frames_built_from_lists(programme, part):
    merged: dict[str, list] = {}
    for review in programme.reviews:
        for key, values in review._lists(part).items():
            merged.setdefault(key, []).extend(values)
    want = _frame(merged, programme.catalogue, _PARTS[part])
    assert_same_frame(getattr(programme, part), want)


def test_programme_of_reviews_read_with_other_catalogues(tmp_path, catalogue):
    reversed_tool = Catalogue(list(reversed(catalogue.questions)), "reversed.csv")
    short_tool = Catalogue([catalogue["Q2"], catalogue["Q1"]], "short.csv")
    reviews = [
        read_review_file(write_long(tmp_path / "a.csv", ["Alpha"], na_every=5), catalogue)[0],
        read_review_file(write_long(tmp_path / "b.csv", ["Beta"], na_every=4),
                         reversed_tool)[0],
        read_review_file(write_long(tmp_path / "c.csv", ["Gamma"], na_every=3,
                                    questions=["Q2", "Q1"]), short_tool)[0],
    ]
    assert all(len(found) == 1 for found in reviews)
    programme = Programme([found[0] for found in reviews], catalogue)
    for part in PARTS:
        merged: dict[str, list] = {}
        for review in programme.reviews:
            for key, values in review._lists(part).items():
                merged.setdefault(key, []).extend(values)
        assert_same_frame(getattr(programme, part),
                          _frame(merged, catalogue, _PARTS[part]))


def test_empty_programme_frames(catalogue):
    empty = Programme([], catalogue)
    for part in PARTS:
        want = _frame({key: [] for key in _frame_columns(part)}, catalogue, _PARTS[part])
        assert_same_frame(getattr(empty, part), want)


def _frame_columns(part):
    keys = ["council", "cycle", "case", "auditor"]  # no raw case identifiers by default
    return {"ratings": [*keys, "question", "rating"], "not_applicable": [*keys, "question"],
            "judgements": [*keys, "judgement"]}[part]


def test_empty_frames_are_not_shared(dudley, sample_programme):
    first = dudley.not_applicable
    assert first.empty
    other = next(r for r in sample_programme.reviews
                 if r is not dudley and r.not_applicable.empty)
    assert first is not other.not_applicable
    first.attrs["marker"] = True
    assert "marker" not in other.not_applicable.attrs


# --------------------------------------------------------------------------- counts


def level_inputs(programme):
    """Categorical ratings and judgements of some reviews, plus awkward series."""
    series = []
    for review in programme.reviews[:6]:
        series += [review.ratings["rating"], review.judgements["judgement"]]
    series += [
        pd.Series([], dtype=RATING_DTYPE),
        pd.Series(["Good", None, "Inadequate"], dtype=RATING_DTYPE),
        pd.Series(pd.Categorical(["Good", "N/A", "Good", "Outstanding"],
                                 categories=["N/A", "Outstanding", "Good"])),
        pd.Series(pd.Categorical(["Good", "Inadequate"],
                                 categories=["Inadequate", "Good", "Outstanding",
                                             "Requires Improvement"])),
        pd.Series(pd.Categorical([1, 2, 2], categories=[1, 2])),
    ]
    return series


def test_level_counts_of_categories_equal_counting_the_values(programme):
    for values in level_inputs(programme):
        want = reference_level_counts(values)
        assert_same_frame(level_counts(values), want)
        # plain strings take the other path and agree as well
        assert_same_frame(level_counts(values.astype(object)), want)


def test_shares_and_sentences_from_counts_equal_those_from_tables(programme):
    for values in level_inputs(programme):
        strings = values.astype(object)
        counts = reference_level_counts(values)["count"]
        want = summary.Proportion.of(int(counts[list(GOOD_OR_BETTER)].sum()),
                                     int(counts.sum()))
        for given in (values, strings):
            got = good_or_better(given)
            assert got.as_dict() == pytest.approx(want.as_dict(), nan_ok=True, abs=0)
            assert got.describe() == want.describe()
        assert headline_sentence(values) == headline_sentence(strings)


def test_count_table_text_equals_the_row_by_row_text(programme):
    for values in level_inputs(programme):
        table = level_counts(values)
        assert count_table_text(table, "Ratings:") == reference_count_table_text(
            table, "Ratings:")


# --------------------------------------------------------------------------- intervals


def test_vectorised_wilson_equals_the_scalar_interval_to_the_bit():
    n = np.repeat(np.arange(0, 61), 61)
    successes = np.tile(np.arange(0, 61), 61)
    keep = successes <= n
    n, successes = n[keep], successes[keep]
    for confidence in (0.95, 0.9, 0.99):
        low, high = wilson_intervals(successes, n, confidence)
        for s, m, lo, hi in zip(successes, n, low, high, strict=True):
            want = wilson_interval(int(s), int(m), confidence)
            if m == 0:
                assert math.isnan(lo) and math.isnan(hi) and all(map(math.isnan, want))
            else:
                assert (lo, hi) == want
    with pytest.raises(ValueError):
        wilson_intervals([3], [2])


def test_z95_is_scipys_quantile_without_importing_scipy():
    from statistics import NormalDist

    from scipy.stats import norm

    assert summary.Z95 == float(norm.ppf(0.975))
    assert summary.Z95 == pytest.approx(NormalDist().inv_cdf(0.975), abs=1e-15)
    code = ("import sys, review_lib.analysis.summary, review_lib.data.loading; "
            "print('scipy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True)
    assert done.stdout.strip() == "False"


# --------------------------------------------------------------------------- tables


def test_question_summary_equals_the_groupby_computation(programme):
    for review in programme.reviews:
        for args in ((review.ratings, review.not_applicable, review.catalogue),
                     (review.ratings, review.not_applicable), (review.ratings,)):
            assert_same_frame(question_summary(*args), reference_question_summary(*args))


def test_question_summary_by_review_equals_one_call_per_review(programme):
    catalogue = programme.catalogue
    tables = question_summary(programme.ratings, programme.not_applicable, catalogue,
                              by=("council", "cycle"))
    assert list(tables.index.names) == ["council", "cycle", "question"]
    keys = list(dict.fromkeys(tables.index.droplevel("question")))
    assert keys == sorted((r.council, r.cycle) for r in programme.reviews)
    for review in programme.reviews:
        want = question_summary(review.ratings, review.not_applicable, catalogue)
        assert_same_frame(tables.loc[review.key], want)
    without = question_summary(programme.ratings, by=["council", "cycle"])
    for review in programme.reviews:
        assert_same_frame(without.loc[review.key], question_summary(review.ratings))


def test_question_summary_by_on_plain_strings_takes_the_slow_path(sample_programme):
    ratings = sample_programme.ratings.astype({"question": str, "rating": str})
    tables = question_summary(ratings, by="council")
    for council in sample_programme.councils:
        want = question_summary(ratings[ratings["council"] == council])
        pd.testing.assert_frame_equal(tables.loc[council], want, check_exact=True)


def test_review_summary_equals_the_groupby_computation(programme):
    got = review_summary(programme.ratings, programme.judgements)
    assert_same_frame(got, reference_review_summary(programme.ratings, programme.judgements))
    plain = programme.ratings.astype({"council": str, "cycle": str})
    assert_same_frame(review_summary(plain, programme.judgements), got)


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("text", [
    "a,b,c\n1,2,3\n",
    "a,b,c\n1,2,3",
    "a,b\r\n1,2\r\n\r\n3,4\r\n",
    "\n\na,b\n\n1,2\n\n\n",
    "a;b;c\n1;;3\n",
    "a\tb\n1\t2\n",
    "a,b\n 1 , 2 \n,\n",
    "a,b\n'x',y\n",
    "a,b\n1,2\x0c3\n4\u20285,6\n",
])
def test_plain_csv_split_equals_the_csv_module(text):
    delimiter = ";" if ";" in text else "\t" if "\t" in text else ","
    rows = _split_plain_csv(text, delimiter)
    numbers, want = reference_csv_rows(text, delimiter)
    assert rows == want
    assert list(range(1, len(rows) + 1)) == numbers


@pytest.mark.parametrize("text", [
    'a,b\n"1\n2",3\n4,5\n',  # a quoted line break: records span lines
    "a,b\r1,2\r",            # carriage returns alone
    "a,b\n" + "1,2\n" * 1500 + "1,\x002\n",  # NUL (late: early NULs mean a binary file)
])
def test_csv_text_the_split_cannot_read_goes_to_the_csv_module(tmp_path, text):
    assert _split_plain_csv(text, ",") is None
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    table, _ = read_csv(path, "t.csv")
    numbers, rows = reference_csv_rows(text)
    content = [(n, r) for n, r in zip(numbers, rows, strict=True) if any(v.strip() for v in r)]
    assert table.header_row == content[0][0]
    assert table.row_numbers == [n for n, _ in content[1:]]


def test_row_numbers_count_blank_and_short_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\n a , b ,c\n1,2,3\n\n,,\n4\n5,6,7,8\n", encoding="utf-8")
    table, problems = read_csv(path, "t.csv")
    assert not problems
    assert (table.header, table.header_row) == (["a", "b", "c"], 2)
    assert table.row_numbers == [3, 6, 7]
    assert table.rows == [["1", "2", "3"], ["4", None, None], ["5", "6", "7", "8"]]


def test_repeated_bad_values_in_a_long_file_are_each_reported(tmp_path, catalogue):
    path = write_long(tmp_path / "long.csv", ["Dudley"], n_cases=2)
    lines = path.read_text(encoding="utf-8").splitlines()
    for at in (2, 3, 15):  # two Q ratings of case 1, one of case 2
        lines[at - 1] = lines[at - 1].rsplit(",", 1)[0] + ",Gd"
    lines[13] = lines[13].rsplit(",", 1)[0] + ",N/A"  # case 1's Overall row (line 14)
    lines[26] = lines[26].rsplit(",", 1)[0] + ",N/A"  # case 2's Overall row (line 27)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reviews, problems = read_review_file(path, catalogue, display_name="long.csv")
    assert reviews == []
    found = [(p.kind, p.row, p.cell, p.value) for p in problems]
    assert found == [("unknown-label", 2, "F2", "Gd"), ("unknown-label", 3, "F3", "Gd"),
                     ("judgement-not-applicable", 14, "F14", "N/A"),
                     ("unknown-label", 15, "F15", "Gd"),
                     ("judgement-not-applicable", 27, "F27", "N/A")]


def test_parse_label_cache_gives_the_same_answers():
    for raw in ["Good", " good ", "RI", "n/a", "Very good", "", "Good"]:
        first = parse_label(raw)
        assert parse_label(raw) is first or parse_label(raw) == first
    assert parse_label(3) is None
