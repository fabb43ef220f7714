"""Chart reuse: a chart is drawn again exactly when something that shapes it has changed."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from review_lib.report import chart_cache
from review_lib.report.chart_cache import chart_key, key_path
from review_lib.report.html import chart_html

CALLS: list[tuple] = []


def bar_chart(frame: pd.DataFrame, *, title: str = "", colour: str = "#12436D",
              context: object = None):
    """A tiny chart that records each time it is drawn (``context`` is not drawn)."""
    CALLS.append((title, colour))
    _, ax = plt.subplots(figsize=(2, 1.5))
    ax.bar(frame.index.astype(str), frame["count"], color=colour)
    ax.set_title(title)
    return ax


@pytest.fixture(autouse=True)
def _fresh():
    CALLS.clear()
    yield
    plt.close("all")


def _frame(counts=(3, 5, 2)) -> pd.DataFrame:
    frame = pd.DataFrame({"count": list(counts)}, index=pd.Index(["A", "B", "C"], name="q"))
    frame.attrs["n"] = sum(counts)
    return frame


def _html(folder, frame, **kwargs):
    return chart_html(bar_chart, frame, alt="Three bars.", caption="Counts.",
                      filename="bars.png", folder=folder, **kwargs)


def test_equal_content_gives_equal_keys_and_any_difference_another():
    key = chart_key(bar_chart, (_frame(),), {"title": "T"})
    assert key == chart_key(bar_chart, (_frame(),), {"title": "T"})  # a separate, equal frame
    different = [
        chart_key(bar_chart, (_frame((3, 5, 1)),), {"title": "T"}),  # a value
        chart_key(bar_chart, (_frame(),), {"title": "U"}),  # an option
        chart_key(bar_chart, (_frame(),), {"title": "T", "colour": "#28A197"}),
        chart_key(bar_chart, (_frame().rename(index={"C": "D"}),), {"title": "T"}),  # index
        chart_key(bar_chart, (_frame().astype("float64"),), {"title": "T"}),  # dtype
        chart_key(bar_chart, (_frame().rename(columns={"count": "n"}),), {"title": "T"}),
        chart_key(chart_html, (_frame(),), {"title": "T"}),  # another function
    ]
    with_attrs = _frame()
    with_attrs.attrs["n"] = 99
    different.append(chart_key(bar_chart, (with_attrs,), {"title": "T"}))
    with matplotlib.rc_context({"font.size": 14}):  # the style charts are drawn with
        different.append(chart_key(bar_chart, (_frame(),), {"title": "T"}))
    with matplotlib.rc_context({"interactive": True}):  # but not interactive mode
        assert chart_key(bar_chart, (_frame(),), {"title": "T"}) == key
    assert key not in different and len(set(different)) == len(different)


def test_an_argument_read_only_by_identity_gives_no_key():
    assert chart_key(bar_chart, (object(),), {}) is None


def test_a_chart_is_drawn_once_then_reused_until_its_inputs_change(tmp_path):
    first = _html(tmp_path, _frame(), title="T")
    assert len(CALLS) == 1 and (tmp_path / "bars.png").exists()
    assert key_path(tmp_path / "bars.png").exists()
    again = _html(tmp_path, _frame(), title="T")
    assert len(CALLS) == 1 and again == first  # the same picture, not drawn again
    changed = _html(tmp_path, _frame((3, 5, 1)), title="T")
    assert len(CALLS) == 2 and changed != first


def test_a_damaged_or_replaced_png_is_drawn_again(tmp_path):
    first = _html(tmp_path, _frame(), title="T")
    (tmp_path / "bars.png").write_bytes(b"not the chart")
    assert _html(tmp_path, _frame(), title="T") == first
    assert len(CALLS) == 2
    key_path(tmp_path / "bars.png").write_text("garbage")
    _html(tmp_path, _frame(), title="T")
    assert len(CALLS) == 3


def test_an_unkeyable_chart_is_always_drawn_and_leaves_no_stale_key(tmp_path):
    _html(tmp_path, _frame(), title="T")
    _html(tmp_path, _frame(), title="T", context=object())
    assert len(CALLS) == 2
    assert not key_path(tmp_path / "bars.png").exists()  # the old key no longer applies


def test_without_a_folder_nothing_is_kept(tmp_path):
    chart_html(bar_chart, _frame(), alt="Three bars.", caption="Counts.")
    chart_html(bar_chart, _frame(), alt="Three bars.", caption="Counts.")
    assert len(CALLS) == 2


def test_a_change_to_the_library_code_changes_every_key(tmp_path, monkeypatch):
    package = tmp_path / "package"
    package.mkdir()
    module = package / "charts.py"
    module.write_text("X = 1\n")
    monkeypatch.setattr(chart_cache, "PACKAGE_DIR", package)
    monkeypatch.setattr(chart_cache, "_code_digest", None)
    before = chart_key(bar_chart, (_frame(),), {})
    module.write_text("X = 22\n")
    # Within a second of the last look the files are not looked at again ...
    assert chart_key(bar_chart, (_frame(),), {}) == before
    # ... and after one they are.
    monkeypatch.setattr(chart_cache, "_code_checked", chart_cache._code_checked - 1.5)
    assert chart_key(bar_chart, (_frame(),), {}) != before


def test_a_change_of_style_changes_the_key_every_time():
    """The drawing environment is written out again whenever a setting changes."""
    import matplotlib

    before = chart_key(bar_chart, (_frame(),), {})
    keys = set()
    for size in (9.0, 13.0, 9.0, 13.0):
        with matplotlib.rc_context({"font.size": size}):
            keys.add(chart_key(bar_chart, (_frame(),), {}))
    assert len(keys) == 2 and before not in keys
    assert chart_key(bar_chart, (_frame(),), {}) == before
    original = matplotlib.rcParams["lines.linewidth"]
    try:
        for width in (2.0, 3.0, 2.0):
            matplotlib.rcParams["lines.linewidth"] = width
            assert chart_key(bar_chart, (_frame(),), {}) != before
    finally:
        matplotlib.rcParams["lines.linewidth"] = original
    assert chart_key(bar_chart, (_frame(),), {}) == before
