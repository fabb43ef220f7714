"""Regional (cross-council) findings: every kind of sentence, on the sample and small cases."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import judgement_column, rating_column, write_wide_csv

from review_lib.findings import (
    changes_between_cycles,
    councils_outside_limits,
    programme_questions,
    question_differences,
    regional_caveats,
    regional_findings,
    regional_headline,
)
from review_lib.loading import load_programme
from review_lib.stats import funnel_table, good_counts, question_tests

QUESTIONS = [f"Q{i}" for i in range(1, 13)]

RANKING = re.compile(r"\b(league|highest|lowest|best|worst|top|bottom|ranks?|ranking)\b"
                     r"|\b\d+(st|nd|rd|th)\b|out of \d+ councils", re.IGNORECASE)

SECTIONS = ["Headline", "Questions across the programme",
            "Councils against the programme average",
            "Differences between councils, question by question", "Change between cycles",
            "Caveats", "Methods"]


column = rating_column
overall = judgement_column


def write_review(folder, council, *, cycle="2022-24", questions=None, default=None,
                 judgements=None):
    """A wide CSV of 20 cases by 4 auditors for one council."""
    questions = questions or {}
    default = default or column(g=20)
    judgements = judgements or overall()
    columns = [questions.get(q, default) for q in QUESTIONS]
    rows = [[f"C{j + 1:03d}", f"PSW {'ABCD'[j // 5]}", *[c[j] for c in columns],
             judgements[j]] for j in range(20)]
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{council.lower().replace(' ', '-')}-{cycle}.csv"
    return write_wide_csv(folder / name, rows, council=council, cycle=cycle)


def similar_councils(tmp_path):
    """Four councils whose shares differ by no more than chance: 16, 17, 17 and 18 of 20."""
    for name, good in (("Ashford", 16), ("Bexley Vale", 17), ("Carrow", 17),
                       ("Denholm", 18)):
        write_review(tmp_path, name, default=column(g=good, ri=20 - good),
                     judgements=overall(good=good, ri=20 - good))
    return load_programme(tmp_path)


def funnels(cycle_programme):
    counts = good_counts(cycle_programme.ratings, "rating")
    return (funnel_table(good_counts(cycle_programme.judgements, "judgement")),
            funnel_table(counts), funnel_table(counts, overdispersion=True))


@pytest.fixture(scope="module")
def cycle(sample_programme):
    return sample_programme.in_cycle("2022-24")


@pytest.fixture(scope="module")
def sample_sections(sample_programme):
    return regional_findings(sample_programme, "2022-24")


def bullet(text, starts):
    """The bullet line starting with ``starts`` (after "- ")."""
    lines = [line for line in text.splitlines() if line.startswith(f"- {starts}")]
    assert len(lines) == 1, (starts, lines)
    return lines[0]


# --------------------------------------------------------------------------- headline


def test_regional_headline_on_the_sample(cycle):
    text = regional_headline(cycle)
    assert ("In the 2022-24 cycle of the Practice Review programme, 14 councils were reviewed: "
            "Ashcombe, Brackenbury, Corrington, Dudley, Elverston, Farleigh Moor, Greyhaven, "
            "Hollinsworth, Kestrel Vale, Lydmouth, Northwold, Pennant Cross, Ravensfield and "
            "Thornbury Water.") in text
    assert ("Their review teams examined 280 case records (20 records in each council) and "
            "rated each record against the 12 questions of the audit tool.") in text
    assert ("11 answers were marked not applicable and left out of every count and share, "
            "which leaves 3,349 question ratings.") in text
    assert ("Across the programme, 229 of the 280 case records (81.8%; 95% interval 77% to "
            "86%) were judged Outstanding or Good overall: 83 Outstanding, 146 Good, 45 "
            "Requires Improvement and 6 Inadequate.") in text
    assert ("Of the 3,349 question ratings, 2,628 (78.5%; 95% interval 77% to 80%) were "
            "Outstanding or Good: 807 Outstanding, 1,821 Good, 612 Requires Improvement and "
            "109 Inadequate.") in text
    assert "That interval is narrower than the evidence really allows" in text
    assert "councils are not ranked" in text
    assert RANKING.search(text.replace("councils are not ranked", "")) is None


def test_regional_headline_small_programmes(tmp_path):
    write_review(tmp_path / "one", "Ashford", default=column(g=16, ri=4))
    one = load_programme(tmp_path / "one")
    text = regional_headline(one)
    assert ("1 council was reviewed: Ashford. Its review team examined 20 case records and "
            "rated each record against the 12 questions of the audit tool: 240 question "
            "ratings in all.") in text
    assert "Of the 240 question ratings, 192 (80%; 95% interval 74% to 85%)" in text
    assert regional_headline(one.in_cycle("2019")) == (
        "There are no reviews in the data for this cycle, so there is nothing to report.")


# --------------------------------------------------------------------------- questions


def table_rows(markdown, header):
    """First cells of the body rows of the table whose header starts with ``header``."""
    rows, inside = [], False
    for line in markdown.splitlines():
        if line.startswith(f"| {header}"):
            inside, rows = True, []
            continue
        if inside and line.startswith("|---"):
            continue
        if inside and line.startswith("| "):
            rows.append(line.split("|")[1].strip())
        elif inside:
            break
    return rows


def test_programme_questions_on_the_sample(cycle):
    text = programme_questions(cycle)
    assert text.startswith("Pooling the ratings of all 14 councils, each question has between "
                           "275 and 280 ratings.")
    strong, weak = text.split("**Where practice most often fell short of Good.**")
    assert table_rows(strong, "Question") == ["Person's voice (Q1)", "Mental capacity (Q5)",
                                              "Partnership (Q9)"]
    assert "| Person's voice (Q1) | 257 of 280 (91.8%) | 88% to 94% | 101 |" in strong
    assert "| Mental capacity (Q5) | 242 of 275 (88%) | 84% to 91% | 94 |" in strong
    assert ("Next comes Strengths (Q2), at 240 of 280 (85.7%) Outstanding or Good. The gap "
            "between it and the questions listed, 2 percentage points (95% interval -4 to +8 "
            "points), is within what chance would give") in strong
    assert table_rows(weak, "Question") == ["Management oversight (Q11)",
                                            "Community assets (Q3)", "Legislation (Q10)"]
    assert ("| Management oversight (Q11) | 165 of 280 (58.9%) | 53% to 65% | 115 of 280 "
            "(41.1%) | 32 |") in weak
    # The gap's interval crosses zero only just (-0.10 points): shown as -0.1, not 0.
    assert ("Next comes Carers (Q8), at 64 of 277 (23.1%) below Good. The gap between it and "
            "the questions listed, 7 percentage points (95% interval -0.1 to +15 points), is "
            "within what chance would give") in weak
    assert ("The gap of 33 percentage points (95% interval 26 to 39 points) is more than "
            "chance would readily explain") in weak
    assert "its n is smaller" in weak  # mental capacity, safeguarding and carers have N/A
    assert "the real uncertainty is larger than the intervals show" in weak


def test_programme_questions_ties_and_overlap(tmp_path):
    top = {q: column(g=19, ri=1) for q in QUESTIONS[:4]}
    write_review(tmp_path, "Ashford", questions=top, default=column(g=15, ri=5))
    write_review(tmp_path, "Bexley Vale", questions=top, default=column(g=15, ri=5))
    text = programme_questions(load_programme(tmp_path))
    assert text.startswith("Pooling the ratings of both councils, each question has 40 "
                           "ratings.")
    assert ("4 questions are listed rather than 3, because Person's voice (Q1), Strengths (Q2), "
            "Community assets (Q3) and Outcomes (Q4) are tied at 38 of 40 (95%) Outstanding or "
            "Good. Choosing between them would be arbitrary.") in text
    assert "8 questions are listed rather than 3, because 8 questions are tied at 10 of 40 "\
        "(25%) below Good." in text
    assert ("Next come Mental capacity (Q5), Risk (Q6), Safeguarding (Q7) and 5 others, at 30 "
            "of 40 (75%) Outstanding or Good each. The gap to the questions listed is more than "
            "chance would readily explain.") in text
    assert ("The gap of 20 percentage points (95% interval 4 to 36 points) is more than chance "
            "would readily explain") in text
    assert "councils differ from one another" in text


def test_programme_questions_within_chance_and_all_equal(tmp_path):
    write_review(tmp_path / "a", "Ashford", questions={"Q1": column(g=19, ri=1)},
                 default=column(g=18, ri=2))
    text = programme_questions(load_programme(tmp_path / "a"))
    assert "Pooling the ratings of the one council" in text
    assert ("Their 95% intervals overlap, and the gap of 5 percentage points (95% interval "
            "-15 to +26 points) is within what chance would give") in text
    assert "share that record and its auditor, so the real uncertainty" in text
    write_review(tmp_path / "c", "Ashford")
    assert programme_questions(load_programme(tmp_path / "c")).endswith(
        "Every question had the same share of ratings Outstanding or Good: 20 of 20 (100%). "
        "No question stands out from the others.")


# --------------------------------------------------------------------------- funnel limits


def test_councils_outside_limits_on_the_sample(cycle):
    text = councils_outside_limits(*funnels(cycle))
    assert ("On overall judgements, Kestrel Vale is above and Northwold is below the "
            "programme average by more than chance would readily explain.") in text
    judgements = text.split("**Question ratings: a second view.**")[0]
    assert ("For a council with 20 case records, the 95% limits run from 60% to 93% and the "
            "99.8% limits from 47% to 96%.") in judgements
    assert bullet(judgements, "**Above the 99.8% limits**").endswith(": Kestrel Vale, 20 of 20 "
                                                                     "(100%).")
    assert bullet(judgements, "**Below the 99.8% limits**").endswith(": Northwold, 6 of 20 "
                                                                     "(30%).")
    assert bullet(judgements, "**Above the 95% limits only**").endswith(
        "Pennant Cross, 19 of 20 (95%); Ravensfield, 19 of 20 (95%).")
    assert bullet(judgements, "**Inside the 95% limits**").endswith(
        "the other 10 councils (Ashcombe, Brackenbury, Corrington, Dudley, Elverston, Farleigh "
        "Moor, Greyhaven, Hollinsworth, Lydmouth and Thornbury Water).")
    # 14 councils x 5% = 0.7 expected outside the 95% limits by chance alone.
    assert ("about 1 council in 20 would fall outside the 95% limits by chance alone: about 0.7 "
            "of the 14 councils here, on average.") in judgements
    assert "(about 0.03 of the 14)" in judgements
    assert ("So the 2 councils just outside the 95% limits are a prompt for a closer look "
            "rather than a finding.") in judgements


def test_councils_outside_limits_ratings_with_and_without_adjustment(cycle):
    text = councils_outside_limits(*funnels(cycle))
    ratings = text.split("**Question ratings: a second view.**")[1]
    assert "treat every rating as independent" in ratings and "too narrow" in ratings
    plain, adjusted = ratings.split("With the limits widened to allow for this")
    assert bullet(plain, "**Above the 99.8% limits**").endswith(
        "Greyhaven, 207 of 240 (86.2%; 99.8% limits 69% to 85%); Kestrel Vale, 238 of 240 "
        "(99.2%; 99.8% limits 69% to 85%); Ravensfield, 207 of 240 (86.2%; 99.8% limits 69% "
        "to 85%).")
    assert "Corrington, 172 of 237 (72.6%; 95% limits 72.8% to 83.2%)" in plain
    assert "vary about 3.7 times as much as chance alone would give" in plain
    assert adjusted.startswith(" (an additive random-effects adjustment, as in Spiegelhalter "
                               "2005), Kestrel Vale is above and Northwold is below the "
                               "programme average by more than chance would readily explain.")
    assert "Kestrel Vale, 238 of 240 (99.2%; 99.8% limits 62% to 95%)" in adjusted
    assert "Northwold, 78 of 239 (32.6%; 99.8% limits 62% to 95%)" in adjusted
    assert bullet(adjusted, "**Inside the 95% limits**").endswith("the other 12 councils ("
                                                                  "Ashcombe, Brackenbury, "
                                                                  "Corrington, Dudley, "
                                                                  "Elverston, Farleigh Moor, "
                                                                  "Greyhaven, Hollinsworth, "
                                                                  "Lydmouth, Pennant Cross, "
                                                                  "Ravensfield and Thornbury "
                                                                  "Water).")
    assert text.endswith("The overall judgements are the safer guide.")


def test_councils_outside_limits_never_ranks(cycle):
    text = councils_outside_limits(*funnels(cycle))
    assert "Councils are listed alphabetically, not ranked." in text
    assert RANKING.search(text.replace("not ranked", "")) is None
    # Within each bullet, councils appear in alphabetical order, never by share.
    for line in text.splitlines():
        if line.startswith("- "):
            names = re.findall(r"([A-Z][a-z]+(?: [A-Z][a-z]+)?), \d+ of", line)
            assert names == sorted(names), line


def test_councils_outside_limits_none_outside(tmp_path):
    programme = similar_councils(tmp_path)
    judgements, ratings, adjusted = funnels(programme)
    text = councils_outside_limits(judgements, ratings, adjusted)
    assert ("On overall judgements, all 4 councils are inside the 95% limits: every council's "
            "share is within what chance would give.") in text
    assert ("- **Inside the 95% limits** (within what chance would give): all 4 councils "
            "(Ashford, Bexley Vale, Carrow and Denholm).") in text
    assert "about 0.2 of the 4 councils here" in text
    assert "prompt for a closer look rather than a finding" not in text
    assert "Above the 99.8%" not in text and "Below the 99.8%" not in text
    # Ratings vary little more than chance: no widened limits.
    assert ("vary only a little more than chance alone would give (an overdispersion ratio "
            "of 1.2, where chance alone gives about 1 or less), so the limits are not "
            "widened.") in text
    assert "With the limits widened" not in text


def test_councils_outside_limits_needs_three_councils(tmp_path):
    write_review(tmp_path, "Ashford", judgements=overall(good=16, ri=4))
    write_review(tmp_path, "Bexley Vale", default=column(g=15, ri=5))
    judgements, ratings, adjusted = funnels(load_programme(tmp_path))
    assert councils_outside_limits(judgements, ratings, adjusted) == (
        "Only 2 councils have data for this cycle, so comparing councils with the programme "
        "average is not meaningful.")


def test_councils_outside_limits_unequal_sizes_name_each_councils_limits():
    counts = pd.DataFrame({"successes": [40, 12, 30, 31], "n": [40, 20, 40, 40]},
                          index=["Ashford", "Bexley Vale", "Carrow", "Denholm"])
    table = funnel_table(counts)
    text = councils_outside_limits(table, table, funnel_table(counts, overdispersion=True))
    assert ("The limits depend on each council's number of case records, so they are given "
            "beside each council named outside them.") in text
    # Ashford (n = 40): 99.8% limits 0.5649 to 0.9310; Bexley Vale (n = 20) at 60% is
    # inside its wider 95% limits (59.2% to 92.4%).
    assert ("- **Above the 99.8% limits** (higher than the programme average by more than "
            "chance would readily explain): Ashford, 40 of 40 (100%; 99.8% limits 56% to "
            "93%).") in text
    assert ("- **Inside the 95% limits** (within what chance would give): the other 3 councils "
            "(Bexley Vale, Carrow and Denholm).") in text


def test_councils_outside_limits_without_an_adjusted_funnel(cycle):
    judgements, ratings, _ = funnels(cycle)
    text = councils_outside_limits(judgements, ratings)
    assert "vary about 3.7 times as much as chance alone would give" in text
    assert "Limits widened to allow for this are not shown." in text


# --------------------------------------------------------------------------- question tests


@pytest.fixture(scope="module")
def sample_tests(cycle):
    return question_tests(cycle.ratings, cycle.catalogue)


def test_question_differences_on_the_sample(sample_tests):
    text = question_differences(sample_tests)
    assert text.startswith(
        "For every one of the 12 questions tested, ratings differ between the 14 councils by "
        "more than chance would readily explain, once the p-values are adjusted for testing "
        "12 questions at once.")
    assert "not which councils or why" in text
    assert ("| Management oversight (Q11) | 14 | 280 | 60.0 | p < 0.001 | p = 0.006 | Yes |"
            in text)
    assert "chi-square" in text and "p (chi-square)" not in text
    # The choice of test, in plain words.
    for words in ("ordered (Inadequate, Requires Improvement, Good, Outstanding)",
                  "about 20 ratings per question", "Kruskal-Wallis test",
                  "shuffled at random 2,000 times", "Holm's method",
                  "None of the 12 questions met Cochran's rule (every expected count at least "
                  "1, and no more than 20% of them below 5).",
                  "between 50% and 75% of expected counts were below 5",
                  "So no chi-square result is given: it would not be reliable."):
        assert words in text, words


def constructed_tests(p_holm, chi2_used=None):
    """A question_tests-shaped frame for three questions."""
    questions = ["Q1", "Q2", "Q3"]
    chi2_used = chi2_used or [False] * 3
    frame = pd.DataFrame({
        "label": ["Person's voice", "Strengths", "Community assets"], "groups": [5, 5, 5],
        "n": [100, 100, 100], "H": [20.0, 3.1, np.nan],
        "p_asymptotic": [0.001, 0.5, np.nan], "p_permutation": [p / 3 for p in p_holm],
        "chi2_used": chi2_used, "chi2_p": [0.0004 if c else np.nan for c in chi2_used],
        "chi2_note": ["every expected count is at least 1 and no more than 20% are below 5"
                      if c else "40% of expected counts are below 5 (smallest 0.8), so the "
                      "chi-square approximation is unsafe" for c in chi2_used],
    }, index=pd.Index(questions, name="question"))
    frame["p_holm"] = p_holm
    frame["beyond_chance"] = frame["p_holm"] < 0.05
    return frame


def test_question_differences_some_beyond_some_within_some_untested():
    tests = constructed_tests([0.003, 0.9, np.nan], chi2_used=[True, False, False])
    text = question_differences(tests, permutations=999)
    assert text.startswith(
        "For 1 of the 2 questions tested, ratings differ between the 5 councils by more than "
        "chance would readily explain, once the p-values are adjusted for testing 3 questions "
        "at once: Person's voice (Q1). For the other 1 (Strengths (Q2)), the differences "
        "between councils are within what chance would give.")
    assert ("Community assets (Q3) was not tested: every rating was at the same level, or "
            "fewer than two councils had ratings.") in text
    assert ("| Question | Councils | Ratings | Kruskal-Wallis H | p (permutation) | p "
            "(Holm-adjusted) | p (chi-square) | Beyond chance? |") in text
    assert ("| Person's voice (Q1) | 5 | 100 | 20.0 | p = 0.001 | p = 0.003 | p < 0.001 | Yes |"
            in text)
    assert "| Strengths (Q2) | 5 | 100 | 3.1 | p = 0.30 | p = 0.90 | not used | No |" in text
    assert "| Community assets (Q3) | 5 | 100 | not tested |" in text
    assert "shuffled at random 999 times" in text
    assert "about 0.0010" in text
    assert ("1 of the 3 questions met Cochran's rule (every expected count at least 1, and no "
            "more than 20% of them below 5): Person's voice (Q1). For it, a chi-square test "
            "of councils by level is given as a check.") in text
    assert ("With about 20 ratings per council spread over four levels, the rarer levels have "
            "few expected ratings in each council: for the questions that did not meet the "
            "rule, 40% of expected counts were below 5.") in text


def test_question_differences_with_councils_set_aside():
    tests = constructed_tests([0.003, 0.006, 0.009])
    still = constructed_tests([0.02, 0.6, 0.7])
    still["groups"] = 3
    text = question_differences(tests, set_aside=(["Northwold", "Kestrel Vale"], still))
    assert ("Setting aside Kestrel Vale and Northwold (outside the 99.8% limits on overall "
            "judgements) and testing the other 3 councils again, 1 question still differs by "
            "more than chance would readily explain: Person's voice (Q1). For the others, the "
            "differences come from Kestrel Vale and Northwold.") in text
    gone = constructed_tests([0.5, 0.6, 0.7])
    text = question_differences(tests, set_aside=(["Northwold"], gone))
    assert ("no question differs by more than chance would readily explain. The differences "
            "question by question come from that council; among the others, they are within "
            "what chance would give.") in text
    text = question_differences(tests, set_aside=(["Northwold"], tests))
    assert "every question still differs by more than chance would readily explain" in text
    # Nothing to set aside when no question differs.
    assert "Setting aside" not in question_differences(gone, set_aside=(["Northwold"], gone))


def test_question_differences_none_beyond_chance(tmp_path):
    programme = similar_councils(tmp_path)
    tests = question_tests(programme.ratings, programme.catalogue, permutations=200)
    text = question_differences(tests, permutations=200)
    assert text.startswith("For none of the 12 questions tested do ratings differ between "
                           "the 4 councils by more than chance would readily explain")
    assert "the differences between councils are within what chance would give." in text
    assert "not which councils or why" not in text
    assert "| Person's voice (Q1) | 4 | 80 | 0.8 | p = 0.97 | p = 1.00 | No |" in text


def test_question_differences_cannot_test(tmp_path):
    write_review(tmp_path / "one", "Ashford", default=column(g=15, ri=5))
    one = load_programme(tmp_path / "one")
    assert question_differences(question_tests(one.ratings, one.catalogue)) == (
        "Only one council has ratings, so whether councils differ on each question cannot be "
        "tested.")
    write_review(tmp_path / "tied", "Ashford")
    write_review(tmp_path / "tied", "Bexley Vale")
    tied = load_programme(tmp_path / "tied")
    assert question_differences(question_tests(tied.ratings, tied.catalogue)).startswith(
        "No question could be tested: on every question, every rating was at the same level")


# --------------------------------------------------------------------------- change


def test_changes_between_cycles_on_the_sample(sample_programme):
    text = changes_between_cycles(sample_programme)
    assert text.startswith("5 councils were reviewed in more than one cycle: Ashcombe, "
                           "Dudley, Greyhaven, Lydmouth and Northwold.")
    assert table_rows(text, "Council") == ["Ashcombe", "Dudley", "Greyhaven", "Lydmouth",
                                           "Northwold"]
    assert ("| Dudley | 2019: 13 of 20 (65%; 43% to 82%) | 2022-24: 18 of 20 (90%; 70% to 97%) "
            "| +25 points (-1 to +48) | No: within what chance would give |") in text
    assert ("| Northwold | 2019: 6 of 20 (30%; 15% to 52%) | 2022-24: 6 of 20 (30%; 15% to "
            "52%) | 0 points (-27 to +27) |") in text
    assert "| Ashcombe | 2019: 16 of 20 (80%; 58% to 92%) |" in text
    assert ("None of the 5 changes goes beyond chance: for each council the interval runs "
            "from a fall to a rise") in text
    # 1 - 0.95^5 = 0.226.
    assert "about a 23% chance that at least one interval left out zero by chance alone" in text
    assert changes_between_cycles(sample_programme, "2022-24") == text


def test_changes_between_cycles_beyond_chance(tmp_path):
    write_review(tmp_path, "Ashford", cycle="2019", judgements=overall(good=8, ri=12))
    write_review(tmp_path, "Ashford", judgements=overall(good=20))
    write_review(tmp_path, "Bexley Vale", cycle="2019", judgements=overall(good=19, ri=1))
    write_review(tmp_path, "Bexley Vale", judgements=overall(good=6, ri=14))
    write_review(tmp_path, "Carrow", cycle="2019", judgements=overall(good=18, ri=2))
    write_review(tmp_path, "Carrow", judgements=overall(good=17, ri=3))
    text = changes_between_cycles(load_programme(tmp_path))
    assert ("| Ashford | 2019: 8 of 20 (40%; 22% to 61%) | 2022-24: 20 of 20 (100%; 84% to "
            "100%) | +60 points (+33 to +78) | Yes: a rise beyond chance |") in text
    assert "| Bexley Vale | 2019: 19 of 20 (95%" in text
    assert "Yes: a fall beyond chance" in text
    assert ("The change goes beyond chance for 2 councils: a rise for Ashford and a fall for "
            "Bexley Vale. The whole of each 95% interval lies on one side of zero. For Carrow, "
            "the change is within what chance would give") in text
    assert "about a 14% chance" in text


def test_changes_between_cycles_none_repeated_and_one(tmp_path):
    write_review(tmp_path / "none", "Ashford")
    write_review(tmp_path / "none", "Bexley Vale", cycle="2019")
    programme = load_programme(tmp_path / "none")
    assert changes_between_cycles(programme) == (
        "No council was reviewed in more than one cycle in the data, so change between "
        "cycles cannot be shown.")
    assert changes_between_cycles(programme, "2022-24") == (
        "None of the councils reviewed in the 2022-24 cycle has an earlier review in the "
        "data, so change between cycles cannot be shown.")
    write_review(tmp_path / "one", "Ashford", cycle="2019", judgements=overall(good=18, ri=2))
    write_review(tmp_path / "one", "Ashford", judgements=overall(good=17, ri=3))
    text = changes_between_cycles(load_programme(tmp_path / "one"))
    assert text.startswith("1 council was reviewed in more than one cycle: Ashford.")
    assert ("The change for Ashford is within what chance would give: the interval runs from a "
            "fall to a rise.") in text
    assert "chance that at least one interval" not in text


def test_changes_between_cycles_latest_and_the_one_before(tmp_path):
    write_review(tmp_path, "Ashford", cycle="2016", judgements=overall(good=2, ri=18))
    write_review(tmp_path, "Ashford", cycle="2019", judgements=overall(good=10, ri=10))
    write_review(tmp_path, "Ashford", judgements=overall(good=12, ri=8))
    programme = load_programme(tmp_path)
    text = changes_between_cycles(programme)
    assert "| Ashford | 2019: 10 of 20 (50%" in text and "2022-24: 12 of 20 (60%" in text
    assert "2016" not in text
    earlier = changes_between_cycles(programme, "2019")
    assert "| Ashford | 2016: 2 of 20 (10%" in earlier and "2019: 10 of 20 (50%" in earlier
    assert "Yes: a rise beyond chance" in earlier


# --------------------------------------------------------------------------- caveats


def test_regional_caveats_on_the_sample(cycle):
    text = regional_caveats(cycle)
    assert ("- **Auditors and councils are entangled.** One auditor rated each case record "
            "(4 auditors in each council)") in text
    assert "auditors may differ between councils" in text
    assert "No record was rated twice" in text
    assert "- **Councils chose their own records.**" in text
    assert "councils are not strictly comparable" in text
    assert ("- **Ratings are clustered.** The 12 ratings of one case record share that record "
            "and its auditor, so the 3,349 question ratings carry far less information") in text
    assert ("- **20 case records in each council.** With 20 records, one record more or less "
            "moves a council's share by 5 percentage points. Around the programme average of "
            "81.8%, a council's share would have to fall outside 60% to 93%") in text
    assert "not a full case file audit" in text


# --------------------------------------------------------------------------- all sections


def test_regional_findings_sections_and_language(sample_sections):
    assert list(sample_sections) == SECTIONS
    text = "\n".join(sample_sections.values())
    assert "significan" not in text.casefold()
    assert "judgment" not in text.casefold()
    assert "/work" not in text
    methods = sample_sections["Methods"]
    assert "Kruskal-Wallis" in methods and "permutation" in methods and "Holm" in methods
    assert "Wilson 95% interval" in methods and "Newcombe" in methods
    assert "Mann-Whitney" not in methods
    assert "Kestrel Vale is above and Northwold is below" in sample_sections[
        "Councils against the programme average"]
    # Without the two councils outside the 99.8% limits, no question differs beyond chance.
    assert ("Setting aside Kestrel Vale and Northwold (outside the 99.8% limits on overall "
            "judgements) and testing the other 12 councils again, no question differs by more "
            "than chance would readily explain. The differences question by question come "
            "from those councils") in sample_sections[
        "Differences between councils, question by question"]
    assert sample_sections["Change between cycles"].startswith(
        "5 councils were reviewed in more than one cycle")
    for heading in ("Headline", "Councils against the programme average",
                    "Change between cycles"):
        body = sample_sections[heading].replace("not ranked", "")
        assert RANKING.search(body) is None, heading


def test_regional_findings_ignore_later_cycles(sample_programme):
    sections = regional_findings(sample_programme, "2019")
    assert "In the 2019 cycle of the Practice Review programme, 5 councils were reviewed" in \
        sections["Headline"]
    assert sections["Change between cycles"] == (
        "None of the councils reviewed in the 2019 cycle has an earlier review in the data, "
        "so change between cycles cannot be shown.")
    assert "Northwold" in sections["Councils against the programme average"]


def test_regional_findings_fewer_than_three_councils(tmp_path):
    write_review(tmp_path, "Ashford", default=column(g=15, ri=5))
    write_review(tmp_path, "Bexley Vale", default=column(g=18, ri=2))
    sections = regional_findings(load_programme(tmp_path), "2022-24")
    assert list(sections) == SECTIONS
    assert sections["Councils against the programme average"] == (
        "Only 2 councils have data for the 2022-24 cycle, so comparing councils with the "
        "programme average is not meaningful.")
    assert "Pooling the ratings of both councils" in sections["Questions across the programme"]
    assert "Around the programme average" not in sections["Caveats"]


def test_regional_findings_all_good_runs_without_warnings(tmp_path, recwarn):
    for name in ("Ashford", "Bexley Vale", "Carrow"):
        write_review(tmp_path, name)
    sections = regional_findings(load_programme(tmp_path), "2022-24")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert ("On overall judgements, all 3 councils are inside the 95% limits"
            in sections["Councils against the programme average"])


def test_regional_findings_unknown_cycle(sample_programme):
    with pytest.raises(KeyError, match="available: 2019, 2022-24"):
        regional_findings(sample_programme, "2030")
