"""Column headings are never read a word a line: long ones get balanced lines."""

import pytest

from review_lib.report.html import column_heading, heading_lines, html_table


@pytest.mark.parametrize(("heading", "lines"), [
    ("n", ["n"]),
    ("95% interval", ["95% interval"]),  # two words: the browser may wrap them
    ("Good or better", ["Good or better"]),  # short: one line
    ("Effective n (design effect)", ["Effective n", "(design effect)"]),
    ("Question ratings: difference", ["Question ratings:", "difference"]),
    ("p (permutation, 2,000 shuffles)", ["p (permutation,", "2,000 shuffles)"]),
    ("one two three four five six seven eight nine",
     ["one two three", "four five six", "seven eight nine"]),
])
def test_heading_lines(heading, lines):
    assert heading_lines(heading) == lines


@pytest.mark.parametrize("heading", [
    "Effective n (design effect)", "Judgement vs most common rating",
    "Krippendorff's alpha (95% interval)", "Leniency in the moderation exercise",
    "a b c d e f g h i j k l m n o p q r s t", "Good or better (of case records)"])
def test_split_headings_keep_every_word_in_order_on_fewer_lines_than_words(heading):
    lines = heading_lines(heading)
    assert " ".join(lines).split() == heading.split()
    assert 1 < len(lines) < len(heading.split())
    # Balanced: no split whose longest line is shorter exists among two-line splits.
    if len(lines) == 2:
        words = heading.split()
        best = min(max(len(" ".join(words[:i])), len(" ".join(words[i:])))
                   for i in range(1, len(words)))
        assert max(map(len, lines)) == best


def test_column_heading_marks_split_and_three_word_headings_and_escapes():
    assert column_heading("n", "n", " class=num") == '<th scope="col" class=num>n</th>'
    assert (column_heading("Good or better", "Good or better", " class=num")
            == '<th scope="col" class="lines num">Good or better</th>')
    assert (column_heading("Below &amp; above the 95% limits", "Below & above the 95% limits")
            == '<th scope="col" class="lines">Below &amp; above<br>the 95% limits</th>')
    # Markup is left as it is.
    assert (column_heading("<em>Good</em> or better", "Good or better")
            == '<th scope="col"><em>Good</em> or better</th>')


def test_html_table_uses_balanced_headings():
    import pandas as pd

    frame = pd.DataFrame({"Effective n (design effect)": ["44 (5.5)"]},
                         index=pd.Index(["Ashcombe"], name="Council"))
    html = html_table(frame, "Funnel", numeric=["Effective n (design effect)"])
    assert '<th scope="col" class="lines num">Effective n<br>(design effect)</th>' in html
    assert '<th scope="col">Council</th>' in html
