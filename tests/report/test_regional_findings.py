"""Regional (cross-council) findings: every kind of sentence, on the sample and small cases.

Where a number in the text is a statistic, the expected value is worked out here from
scipy or statsmodels (exact binomial tails, Wilson and Newcombe intervals, cluster-robust
variances), not copied from the library.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from conftest import exact_flag, judgement_column, rating_column, write_wide_csv
from scipy import stats as sps
from scipy.optimize import brentq
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.contingency_tables import cochrans_q
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from review_lib.analysis.comparison import programme_funnels
from review_lib.analysis.stats import funnel_table, question_tests
from review_lib.data.loading import load_programme
from review_lib.report.wording.differences import question_differences
from review_lib.report.wording.programme import (
    councils_outside_limits,
    programme_questions,
    regional_headline,
)
from review_lib.report.wording.regional import (
    changes_between_cycles,
    regional_caveats,
    regional_findings,
)

QUESTIONS = [f"Q{i}" for i in range(1, 13)]
GOOD = ("Outstanding", "Good")
SCORES = {"Inadequate": 1, "Requires Improvement": 2, "Good": 3, "Outstanding": 4}

RANKING = re.compile(r"\b(league|highest|lowest|best|worst|top|bottom|ranks?|ranking)\b"
                     r"|\b\d+(st|nd|rd|th)\b|out of \d+ councils", re.IGNORECASE)

SECTIONS = ["Headline", "Questions across the programme",
            "Councils against the programme average",
            "Differences between councils, question by question", "Change between cycles",
            "Caveats", "Methods"]

SAMPLE_COUNCILS = ["Ashcombe", "Brackenbury", "Corrington", "Dudley", "Elverston",
                   "Farleigh Moor", "Greyhaven", "Hollinsworth", "Kestrel Vale", "Lydmouth",
                   "Northwold", "Pennant Cross", "Ravensfield", "Thornbury Water"]


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
    """Four councils whose shares differ by no more than chance: 16, 17, 17 and 18 of 20.

    Every question of a record is rated alike (all Good or all Requires Improvement).
    """
    for name, good in (("Ashford", 16), ("Bexley Vale", 17), ("Carrow", 17),
                       ("Denholm", 18)):
        write_review(tmp_path, name, default=column(g=good, ri=20 - good),
                     judgements=overall(good=good, ri=20 - good))
    return load_programme(tmp_path)


def spread_column(index, good):
    """20 ratings of question ``index``: the ones below Good fall on different records for
    each question, so no record's ratings all go together."""
    below = {(index * (20 - good) + j) % 20 for j in range(20 - good)}
    return ["RI" if j in below else "Good" for j in range(20)]


SPREAD = (("Ashford", 10), ("Bexley Vale", 13), ("Carrow", 15), ("Denholm", 17),
          ("Easterby", 19))


@pytest.fixture(scope="module")
def spread_programme(tmp_path_factory):
    """Five councils whose question ratings differ far more than chance (10 to 19 of 20
    Good on every question), with the same overall judgements (15 of 20) everywhere."""
    folder = tmp_path_factory.mktemp("spread")
    for name, good in SPREAD:
        write_review(folder, name,
                     questions={q: spread_column(i, good) for i, q in enumerate(QUESTIONS)},
                     judgements=overall(good=15, ri=5))
    return load_programme(folder)


def funnels(cycle_programme):
    """Judgement, ratings and widened ratings funnels, as every report computes them."""
    computed = programme_funnels(cycle_programme)
    return computed.judgements, computed.ratings, computed.ratings_adjusted


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


# --------------------------------------------------------------------------- by hand


def pct(share):
    """A share as a whole percentage, as the text gives limits and interval ends."""
    return f"{round(share * 100)}%"


def wilson(successes, n):
    """Wilson 95% interval from statsmodels (any n, whole or effective)."""
    return proportion_confint(successes, n, alpha=0.05, method="wilson")


def tails(x, n, target):
    """``P(X >= x)`` and ``P(X <= x)`` for X ~ Binomial(n, target), by scipy.

    Whole counts use ``scipy.stats.binom``; an effective (non-whole) count and n use the
    beta distribution, which equals the binomial tail at whole counts and continues it
    between them.
    """
    if float(x).is_integer() and float(n).is_integer():
        return sps.binom.sf(x - 1, n, target), sps.binom.cdf(x, n, target)
    above = 1.0 if x <= 0 else sps.beta.cdf(target, x, n - x + 1)
    below = 1.0 if x >= n else sps.beta.cdf(1 - target, n - x, x + 1)
    return above, below


def expected_flag(x, n, target):
    """The exact-binomial funnel flag: one-sided p below 0.001 (99.8%) or 0.025 (95%)."""
    return exact_flag(*tails(x, n, target))


def exact_limit(target, n, alpha, side):
    """The share where a one-sided exact tail reaches alpha (beyond 0-1 when unreachable)."""
    if side == "upper":
        def upper(x):
            return sps.beta.cdf(target, x, n - x + 1) - alpha
        return brentq(upper, 1e-9, n + 1 - 1e-9, xtol=1e-12) / n

    def lower(x):
        return sps.beta.cdf(1 - target, n - x, x + 1) - alpha
    return brentq(lower, -1 + 1e-9, n - 1e-9, xtol=1e-12) / n


def fingertips_limit(target, n, z, side):
    """The Fingertips limit: the share whose own Wilson interval just reaches the target."""
    alpha = 2 * (1 - sps.norm.cdf(z))

    def reaches(share):
        low, high = proportion_confint(share * n, n, alpha=alpha, method="wilson")
        return (high if side == "lower" else low) - target
    return brentq(reaches, 1e-9, target) if side == "lower" else brentq(reaches, target,
                                                                        1 - 1e-9)


def chance_outside_exact(n, target, alpha):
    """Chance that a whole count x of n is flagged by the exact limits, with no real
    difference: the binomial probabilities of every flagged count."""
    counts = np.arange(n + 1)
    flagged = (sps.binom.sf(counts - 1, n, target) < alpha) | (
        sps.binom.cdf(counts, n, target) < alpha)
    return float(sps.binom.pmf(counts[flagged], n, target).sum())


def council_counts(frame, column_name):
    """Good-or-better count and n per council, straight from the tidy data."""
    good = frame[column_name].isin(GOOD)
    table = good.groupby(frame["council"].astype(str)).agg(["sum", "count"])
    return table.rename(columns={"sum": "successes", "count": "n"})


def case_clusters(ratings):
    """One code per case record (council and case)."""
    keys = ratings["council"].astype(str) + "|" + ratings["case"].astype(str)
    return pd.factorize(keys)[0]


def cluster_variance_of_mean(values, clusters):
    """Variance of the mean of ``values`` allowing for clusters (statsmodels OLS)."""
    fit = OLS(values, np.ones_like(values)).fit(cov_type="cluster",
                                                cov_kwds={"groups": clusters})
    return float(fit.bse[0] ** 2)


def pooled_design_effect(ratings):
    """Design effect of the pooled share of ratings Good or better."""
    good = ratings["rating"].isin(GOOD).to_numpy(dtype=float)
    share = good.mean()
    return cluster_variance_of_mean(good, case_clusters(ratings)) / (
        share * (1 - share) / len(good))


def within_design_effect(ratings):
    """Design effect within councils: each rating centred on its own council's share."""
    good = ratings["rating"].isin(GOOD).to_numpy(dtype=float)
    councils = ratings["council"].astype(str).to_numpy()
    share = pd.Series(good).groupby(councils).transform("mean").to_numpy()
    independent = float((share * (1 - share)).sum()) / len(good) ** 2
    return cluster_variance_of_mean(good - share, case_clusters(ratings)) / independent


def funnelplotr_phi(successes, n, target):
    """FunnelPlotR's phi for proportions: mean square of the arcsine z-scores, winsorised at
    10% each end."""
    successes, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    z = 2 * np.sqrt(n) * (np.arcsin(np.sqrt(successes / n)) - math.asin(math.sqrt(target)))
    low, high = np.quantile(z, [0.1, 0.9])
    return float(np.mean(np.clip(z, low, high) ** 2))


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
    # One judgement per record, but the records of one council go together (issue 26): the
    # plain Wilson interval (77% to 86%) was too narrow; allowing for councils, 71% to 89%.
    assert tuple(map(pct, wilson(229, 280))) == ("77%", "86%")
    assert ("Across the programme, 229 of the 280 case records (81.8%; 95% interval 71% to "
            "89%) were judged Outstanding or Good overall: 83 Outstanding, 146 Good, 45 "
            "Requires Improvement and 6 Inadequate.") in text
    # Ratings: the records' design effect is about 4.8 (75% to 81%), but over councils it
    # is about 30.5, so the 3,349 ratings are worth about 110 independent ones.
    deff = pooled_design_effect(cycle.ratings)
    assert f"{deff:.1f}" == "4.8"
    assert ("Of the 3,349 question ratings, 2,628 (78.5%; 95% interval 70% to 85%) were "
            "Outstanding or Good: 807 Outstanding, 1,821 Good, 612 Requires Improvement and "
            "109 Inadequate.") in text
    assert ("so these 3,349 ratings carry about as much information as 110 independent ones "
            "(a design effect of 30.5); the interval allows for that.") in text
    assert "councils are not ranked" in text
    assert RANKING.search(text.replace("councils are not ranked", "")) is None


def test_regional_headline_small_programmes(tmp_path):
    write_review(tmp_path / "one", "Ashford", default=column(g=16, ri=4))
    one = load_programme(tmp_path / "one")
    text = regional_headline(one)
    assert ("1 council was reviewed: Ashford. Its review team examined 20 case records and "
            "rated each record against the 12 questions of the audit tool: 240 question "
            "ratings in all.") in text
    # Every record's 12 ratings are alike (all Good or all Requires Improvement), and the
    # four records below Good are too few to estimate the clustering from (issue 26), so
    # each record counts once: the effective n is 20, and the interval that of 16 of 20.
    assert tuple(map(pct, wilson(16, 20))) == ("58%", "92%")
    assert "Of the 240 question ratings, 192 (80%; 95% interval 58% to 92%)" in text
    assert ("the less common answer in fewer than five records), or there was a single "
            "record, so how closely the ratings of one record go together cannot be "
            "estimated; the interval counts each of the 20 records once.") in text
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


def good_by_record(ratings):
    """Records x questions, 1 for Outstanding or Good, NaN where not rated."""
    keys = ratings["council"].astype(str) + "|" + ratings["case"].astype(str)
    frame = pd.DataFrame({"key": keys.to_numpy(), "question": ratings["question"].astype(str),
                          "good": ratings["rating"].isin(GOOD).astype(float).to_numpy()})
    return frame.pivot_table(index="key", columns="question", values="good", aggfunc="first")


def test_programme_questions_on_the_sample(cycle):
    text = programme_questions(cycle)
    assert text.startswith("Pooling the ratings of all 14 councils, each question has between "
                           "275 and 280 ratings.")
    strong, weak = text.split("**Where practice most often fell short of Good.**")
    assert table_rows(strong, "Question") == ["Person's voice (Q1)", "Mental capacity (Q5)",
                                              "Partnership (Q9)"]
    # One rating per record for each question, but the records of one council go together
    # (issue 26): intervals clustered by council, about 1.7 times the plain Wilson ones.
    assert tuple(map(pct, wilson(257, 280))) == ("88%", "94%")
    assert "| Person's voice (Q1) | 257 of 280 (91.8%) | 85% to 96% | 101 |" in strong
    assert "| Mental capacity (Q5) | 242 of 275 (88%) | 77% to 94% | 94 |" in strong
    # Where a list stops is a choice: no test of the gap to the next question.
    assert ("Next comes Strengths (Q2), at 240 of 280 (85.7%) Outstanding or Good. Where the "
            "list stops marks where to look first, not a divide between the questions.") in strong
    assert table_rows(weak, "Question") == ["Management oversight (Q11)",
                                            "Community assets (Q3)", "Legislation (Q10)"]
    assert tuple(map(pct, wilson(165, 280))) == ("53%", "65%")
    assert ("| Management oversight (Q11) | 165 of 280 (58.9%) | 49% to 68% | 115 of 280 "
            "(41.1%) | 32 |") in weak
    assert ("Next comes Carers (Q8), at 64 of 277 (23.1%) below Good. Where the list stops "
            "marks where to look first, not a divide between the questions.") in weak
    assert "its n is smaller" in weak  # mental capacity, safeguarding and carers have N/A
    # The questions are compared within the same records. Cochran's Q on the 269 records
    # rated on every question (statsmodels) is far beyond anything 2,000 shuffles reach.
    table = good_by_record(cycle.ratings).dropna()
    assert len(table) == 269 and cochrans_q(table.to_numpy()).pvalue < 1e-40
    assert ("A test that compares the questions within the same case records (Cochran's Q, "
            "p < 0.0005, 2,000 shuffles) finds that the questions do differ, by more than "
            "chance would readily explain.") in weak
    above = ["Person's voice (Q1)", "Strengths (Q2)", "Mental capacity (Q5)",
             "Partnership (Q9)"]
    below = ["Community assets (Q3)", "Legislation (Q10)", "Management oversight (Q11)"]
    assert ("Comparing each question with the others of the same records (Holm's adjustment "
            f"for 12 comparisons): {', '.join(above[:-1])} and {above[-1]} were rated "
            "Outstanding or Good more often than the other questions of the same records; "
            f"{', '.join(below[:-1])} and {below[-1]} were rated Outstanding or Good less "
            "often than the other questions of the same records.") in weak
    # Those standing out above are rated Good or better more often than the programme's
    # 78.5%, those below less often.
    shares = table.mean()
    assert all(shares[re.search(r"\((Q\d+)\)", q).group(1)] > 0.785 for q in above)
    assert all(shares[re.search(r"\((Q\d+)\)", q).group(1)] < 0.785 for q in below)
    assert "Each question's interval counts one rating per case record" in weak
    assert ("The records come from 14 councils, whose practice and review teams differ, so "
            "each interval also allows for the records of one council going together, which "
            "widens it.") in weak


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
            "of 40 (75%) Outstanding or Good each. Where the list stops marks where to look "
            "first, not a divide between the questions.") in text
    # Only 8 records (4 in each council) have mixed ratings: Q1-Q4 Good, Q5-Q12 below.
    # Shuffling each record's 4 good ratings among its 12 questions, a question gets
    # Binomial(8, 1/3) of them. All 8 on one of Q1-Q4 has probability (1/3)^8, tiny even
    # after Holm's adjustment for 12 questions; none on one of Q5-Q12 (or 6 or more, as
    # far from the 8/3 expected) is not unusual even before adjustment.
    assert 12 * sps.binom.pmf(8, 8, 1 / 3) < 0.05
    assert sps.binom.pmf(0, 8, 1 / 3) + sps.binom.sf(5, 8, 1 / 3) > 0.05
    assert ("finds that the questions do differ, by more than chance would readily explain. "
            "Comparing each question with the others of the same records (Holm's adjustment "
            "for 12 comparisons): Person's voice (Q1), Strengths (Q2), Community assets (Q3) "
            "and Outcomes (Q4) were rated Outstanding or Good more often than the other "
            "questions of the same records.") in text
    assert "less often" not in text
    assert ("The records come from 2 councils, whose practice and review teams differ, so "
            "each interval also allows for the records of one council going together, which "
            "widens it.") in text


def test_programme_questions_within_chance_and_all_equal(tmp_path):
    write_review(tmp_path / "a", "Ashford", questions={"Q1": column(g=19, ri=1)},
                 default=column(g=18, ri=2))
    text = programme_questions(load_programme(tmp_path / "a"))
    assert "Pooling the ratings of the one council" in text
    # Only record 19 has mixed ratings (Q1 Good, the rest below): every shuffle of its one
    # good rating gives the same Q, so p = 1.
    assert ("A test that compares the questions within the same case records (Cochran's Q, "
            "p = 1.00, 2,000 shuffles) gives no clear evidence that the questions differ from "
            "one another: gaps like these between the questions' shares could arise by chance "
            "among 20 records.") in text
    assert ("not questions shown to stand out from the rest.") in text
    assert "Each question's interval counts one rating per case record" in text
    assert "But the records come from" not in text  # one council
    write_review(tmp_path / "c", "Ashford")
    assert programme_questions(load_programme(tmp_path / "c")).endswith(
        "Every question had the same share of ratings Outstanding or Good: 20 of 20 (100%). "
        "No question stands out from the others.")


# --------------------------------------------------------------------------- funnel limits


def test_councils_outside_limits_on_the_sample(cycle):
    text = councils_outside_limits(*funnels(cycle))
    counts = council_counts(cycle.judgements, "judgement")
    target = counts["successes"].sum() / counts["n"].sum()  # 229 of 280
    flags = {c: expected_flag(r.successes, r.n, target) for c, r in counts.iterrows()}
    # 20 of 20: P(X = 20) = target^20 = 0.018, below 0.025 but not 0.001. 19 of 20 (Pennant
    # Cross, Ravensfield): P(X >= 19) = 0.098, within.
    assert flags == {**dict.fromkeys(SAMPLE_COUNCILS, "within"),
                     "Kestrel Vale": "above95", "Northwold": "below998"}
    assert target ** 20 == pytest.approx(0.0179, abs=1e-4)
    assert ("On overall judgements, Northwold is below the programme average by more than "
            "chance would readily explain.") in text
    judgements = text.split("**Question ratings: a second view.**")[0]
    lower95, upper95 = (exact_limit(target, 20, 0.025, side) for side in ("lower", "upper"))
    lower998, upper998 = (exact_limit(target, 20, 0.001, side) for side in ("lower", "upper"))
    assert upper998 > 1  # even 20 of 20 is not unlikely enough
    assert (pct(lower95), pct(upper95), pct(lower998)) == ("61%", "99%", "49%")
    assert ("For a council with 20 case records, the 95% limits run from 61% to 99%. The "
            "99.8% limits run from 49% up: at this n not even 100% lies above them."
            ) in judgements
    assert bullet(judgements, "**Below the 99.8% limits**").endswith(": Northwold, 6 of 20 "
                                                                     "(30%).")
    assert bullet(judgements, "**Above the 95% limits only**").endswith(
        ": Kestrel Vale, 20 of 20 (100%).")
    assert "**Above the 99.8% limits**" not in judgements
    assert bullet(judgements, "**Inside the 95% limits**").endswith(
        "the other 12 councils (Ashcombe, Brackenbury, Corrington, Dudley, Elverston, Farleigh "
        "Moor, Greyhaven, Hollinsworth, Lydmouth, Pennant Cross, Ravensfield and Thornbury "
        "Water).")
    # Counts 0-12 and 20 of 20 are flagged: against a known average, together 3.7% of the
    # time with no real difference (about 0.5 of 14 councils). With the average pooled from
    # the 14 councils, as the report pools it, 2.1%: about 0.3 of them (issue 26; the
    # statistician's 2.0% and 0.3; simulated, review_lib.analysis.funnel.pooled_chances).
    rate95 = chance_outside_exact(20, target, 0.025)
    assert f"{rate95:.1%}" == "3.7%" and f"{14 * rate95:.1f}" == "0.5"
    assert ("each council, with 20 case records, would fall outside the 95% limits by "
            "chance alone about 1 time in 48 (2.1%)") in judgements
    assert ("On that basis, fewer than one council (about one in every 3 programmes of 14 "
            "councils like this one) would be expected outside the 95% limits by chance, and "
            "fewer than one council (about one in every 290 programmes of 14 councils like "
            "this one) would be expected outside the 99.8% limits by chance.") in judgements
    assert ("So the 1 council just outside the 95% limits is a prompt for a closer look "
            "rather than a finding.") in judgements


def test_councils_outside_limits_ratings_at_their_effective_n(cycle):
    text = councils_outside_limits(*funnels(cycle))
    ratings = text.split("**Question ratings: a second view.**")[1]
    deff = within_design_effect(cycle.ratings)
    assert f"{deff:.1f}" == "3.8"
    assert ("within councils the design effect is 3.8, and each council's ratings are "
            "compared at their effective number (its ratings divided by its own design "
            "effect or the programme's 3.8, whichever is larger)") in ratings
    counts = council_counts(cycle.ratings, "rating")
    target = counts["successes"].sum() / counts["n"].sum()  # 2,628 of 3,349
    # Each council's own design effect, from statsmodels' cluster-robust variance.
    own = {}
    for council, part in cycle.ratings.groupby(cycle.ratings["council"].astype(str)):
        own[council] = pooled_design_effect(part)
    used = {c: max(deff, min(own[c], counts.loc[c, "n"] / 20)) for c in counts.index}
    assert f"{used['Dudley']:.1f}" == "5.0" and f"{used['Northwold']:.1f}" == "5.9"
    assert used["Kestrel Vale"] == deff  # its own (about 1) is smaller
    effective = pd.Series({c: counts.loc[c, "n"] / used[c] for c in counts.index})
    flags = {c: expected_flag(r.successes / r.n * effective[c], effective[c], target)
             for c, r in counts.iterrows()}
    # Treating ratings as independent put Greyhaven and Ravensfield (207 of 240) above the
    # 99.8% limits; at their effective n they are inside the 95% limits.
    assert flags == {**dict.fromkeys(SAMPLE_COUNCILS, "within"),
                     "Kestrel Vale": "above998", "Northwold": "below998"}
    kestrel = [exact_limit(target, effective["Kestrel Vale"], 0.001, side)
               for side in ("lower", "upper")]
    northwold = [exact_limit(target, effective["Northwold"], 0.001, side)
                 for side in ("lower", "upper")]
    assert tuple(map(pct, kestrel)) == ("61%", "94%")
    assert tuple(map(pct, northwold)) == ("56%", "97%")
    assert bullet(ratings, "**Above the 99.8% limits**").endswith(
        ": Kestrel Vale, 238 of 240 (99.2%; effective n 63; 99.8% limits 61% to 94%).")
    assert bullet(ratings, "**Below the 99.8% limits**").endswith(
        ": Northwold, 78 of 239 (32.6%; effective n 41; 99.8% limits 56% to 97%).")
    assert bullet(ratings, "**Inside the 95% limits**").endswith(
        "the other 12 councils (Ashcombe, Brackenbury, Corrington, Dudley, Elverston, Farleigh "
        "Moor, Greyhaven, Hollinsworth, Lydmouth, Pennant Cross, Ravensfield and Thornbury "
        "Water).")
    assert "95% limits only" not in ratings
    # Once clustering is allowed for, little spread beyond chance is left (phi 1.05, not
    # above the 1.5 at which widened limits are shown).
    phi = funnelplotr_phi(counts["successes"] / counts["n"] * effective, effective, target)
    assert phi < 1 and f"{phi:.2f}" == "0.98"
    assert ("Once clustering is allowed for, and leaving aside the most extreme councils (the "
            "spread is measured with the tenth of councils furthest from the average at each "
            "end pulled in, as FunnelPlotR does), the councils' shares of question ratings "
            "vary no more than chance alone would give (an overdispersion ratio of 0.98, "
            "where chance alone gives about 1 or less), so the limits are not widened "
            "further.") in ratings
    assert "With the limits widened" not in ratings
    assert text.endswith("The overall judgements, one per record, remain the main comparison.")


def test_councils_outside_limits_widened_for_overdispersion(spread_programme):
    text = councils_outside_limits(*funnels(spread_programme))
    assert ("On overall judgements, all 5 councils are inside the 95% limits: there is no "
            "clear evidence that any council differs from the programme average.") in text
    ratings = text.split("**Question ratings: a second view.**")[1]
    # The ratings below Good fall on different records for each question, so a record's
    # ratings agree less than chance would give (a raw design effect below 1). Ratings are
    # never counted as more than independent: the design effect is 1, each council's n 240.
    assert within_design_effect(spread_programme.ratings) < 1
    assert ("Within councils the ratings of one record went together no more than chance "
            "would give (design effect 1.0), so each rating counts once.") in ratings
    assert "widens the limits" not in ratings
    target = sum(good for _, good in SPREAD) * 12 / 1200
    flags = {name: expected_flag(good * 12, 240, target) for name, good in SPREAD}
    assert flags == {"Ashford": "below998", "Bexley Vale": "below95", "Carrow": "within",
                     "Denholm": "above998", "Easterby": "above998"}
    plain, widened = ratings.split("With the limits widened to allow for this")
    assert bullet(plain, "**Above the 99.8% limits**").endswith(
        ": Denholm, 204 of 240 (85%); Easterby, 228 of 240 (95%).")
    assert bullet(plain, "**Below the 99.8% limits**").endswith(": Ashford, 120 of 240 (50%).")
    assert bullet(plain, "**Below the 95% limits only**").endswith(
        ": Bexley Vale, 156 of 240 (65%).")
    assert bullet(plain, "**Inside the 95% limits**").endswith(": the other council (Carrow).")
    shares = np.array([good / 20 for _, good in SPREAD])
    phi = funnelplotr_phi(shares * 240, np.full(5, 240), target)
    assert f"{phi:.1f}" == "23.5"
    assert ("The councils' shares of question ratings vary about 23.5 times as much as chance "
            "alone would give, even allowing for clustering (an overdispersion ratio of 23.5, "
            "where chance alone gives about 1 or less).") in plain
    # FunnelPlotR: tau^2 = (k phi - (k - 1)) / (sum w - sum w^2 / sum w), w = 4n. On the
    # arcsine scale it stretches each limit's distance from the target by
    # sqrt(1 + 4 n tau^2); applied to the exact 95% limits, every council is then inside.
    weights = np.full(5, 4 * 240.0)
    tau2 = (5 * phi - 4) / (weights.sum() - (weights ** 2).sum() / weights.sum())
    factor = math.sqrt(1 + 4 * 240 * tau2)
    centre = math.asin(math.sqrt(target))

    def widen(limit):
        angle = centre + (math.asin(math.sqrt(limit)) - centre) * factor
        return math.sin(min(max(angle, 0), math.pi / 2)) ** 2
    low, high = (widen(exact_limit(target, 240, 0.025, side)) for side in ("lower", "upper"))
    assert all(low < share < high for share in shares)
    assert widened.startswith(
        " (the random-effects adjustment FunnelPlotR uses, on the arcsine scale), all 5 "
        "councils are inside the 95% limits: there is no clear evidence that any council "
        "differs from the programme average.")
    assert bullet(widened, "**Inside the 95% limits**").endswith(
        ": all 5 councils (Ashford, Bexley Vale, Carrow, Denholm and Easterby).")
    assert text.endswith("The overall judgements, one per record, remain the main comparison.")


def test_councils_outside_limits_never_ranks(cycle, spread_programme):
    for programme in (cycle, spread_programme):
        text = councils_outside_limits(*funnels(programme))
        assert "Councils are listed alphabetically, not ranked." in text
        assert RANKING.search(text.replace("not ranked", "")) is None
        # Within each bullet, councils appear in alphabetical order, never by share.
        for line in text.splitlines():
            if line.startswith("- "):
                names = re.findall(r"([A-Z][a-z]+(?: [A-Z][a-z]+)?), \d+ of", line)
                assert names == sorted(names), line


def test_councils_outside_limits_none_outside(tmp_path):
    programme = similar_councils(tmp_path)
    text = councils_outside_limits(*funnels(programme))
    assert ("On overall judgements, all 4 councils are inside the 95% limits: there is no "
            "clear evidence that any council differs from the programme average.") in text
    assert ("- **Inside the 95% limits** (no clear evidence of a difference from the "
            "programme average; not the same as being equal to it): all 4 councils (Ashford, "
            "Bexley Vale, Carrow and Denholm).") in text
    # At 68 of 80 (85%), 20 of 20 has probability 0.85^20 = 0.039: no share at n = 20 can
    # be above either limit.
    target = 68 / 80
    assert target ** 20 > 0.025
    assert pct(exact_limit(target, 20, 0.025, "lower")) == "66%"
    assert pct(exact_limit(target, 20, 0.001, "lower")) == "54%"
    assert ("the 95% limits run from 66% up: at this n not even 100% lies above them. The "
            "99.8% limits run from 54% up: at this n not even 100% lies above them.") in text
    # Against a known average, counts 0-13 only: 2.2%. With the average pooled from just
    # four councils, a council's own count moves it a quarter of the way: 0.7% (issue 26).
    rate = chance_outside_exact(20, target, 0.025)
    assert f"{rate:.1%}" == "2.2%"
    assert "would fall outside the 95% limits by chance alone about 1 time in 143 (0.7%)" in text
    assert ("fewer than one council (about one in every 36 programmes of 4 councils like "
            "this one) would be expected outside the 95% limits by chance") in text
    assert "prompt for a closer look rather than a finding" not in text
    assert "Above the 99.8%" not in text and "Below the 99.8%" not in text
    # Each record's ratings are alike, so each record counts once (design effect 12): at 20
    # effective ratings each, the councils vary less than chance would give.
    ratings = text.split("**Question ratings: a second view.**")[1]
    assert "within councils the design effect is 12.0" in ratings
    assert bullet(ratings, "**Inside the 95% limits**").endswith(
        "all 4 councils (Ashford, Bexley Vale, Carrow and Denholm).")
    phi = funnelplotr_phi([16, 17, 17, 18], [20] * 4, target)
    assert f"{phi:.2f}" == "0.10"
    assert ("vary no more than chance alone would give (an overdispersion ratio of 0.10, where "
            "chance alone gives about 1 or less), so the limits are not widened further.") in text
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
    target = 113 / 140
    flags = {c: expected_flag(r.successes, r.n, target) for c, r in counts.iterrows()}
    assert flags == {"Ashford": "above998", "Bexley Vale": "within", "Carrow": "within",
                     "Denholm": "within"}
    # Ashford (n = 40): 40 of 40 has probability target^40 = 0.0002. Its 99.8% limits:
    limits = [exact_limit(target, 40, 0.001, side) for side in ("lower", "upper")]
    assert tuple(map(pct, limits)) == ("58%", "98%")
    assert ("- **Above the 99.8% limits** (higher than the programme average by more than "
            "chance would readily explain): Ashford, 40 of 40 (100%; 99.8% limits 58% to "
            "98%).") in text
    # Bexley Vale (n = 20) at 12 of 20 is only just inside: P(X <= 12) = 0.026, while
    # 11 of 20 would have been below.
    assert sps.binom.cdf(12, 20, target) >= 0.025 > sps.binom.cdf(11, 20, target)
    assert ("- **Inside the 95% limits** (no clear evidence of a difference from the "
            "programme average; not the same as being equal to it): the other 3 councils "
            "(Bexley Vale, Carrow and Denholm).") in text
    # Against a known average 2.2% and 2.5%; pooled from these four councils (issue 26):
    rates = [chance_outside_exact(n, target, 0.025) for n in (20, 40)]
    assert (f"{min(rates):.1%}", f"{max(rates):.1%}") == ("2.2%", "2.5%")
    assert ("a council would fall outside the 95% limits by chance alone between 1.1% and "
            "1.6% of the time, depending on its n (exact limits keep this") in text


def test_councils_outside_limits_without_an_adjusted_funnel(spread_programme):
    judgements, ratings, _ = funnels(spread_programme)
    text = councils_outside_limits(judgements, ratings)
    assert "vary about 23.5 times as much as chance alone would give" in text
    assert "Limits widened to allow for this are not shown." in text
    assert "With the limits widened" not in text


# --------------------------------------------------------------------------- question tests


@pytest.fixture(scope="module")
def sample_tests(cycle):
    return question_tests(cycle.ratings, cycle.catalogue)


def test_question_differences_on_the_sample(cycle, sample_tests):
    text = question_differences(sample_tests)
    assert text.startswith(
        "For every one of the 12 questions tested, ratings differ between the 14 councils by "
        "more than chance would readily explain, once the p-values are adjusted for testing "
        "12 questions at once.")
    assert "not which councils or why" in text
    # Kruskal-Wallis H for Q11 from scipy (tie-corrected). Its chi-square p-value (13
    # degrees of freedom) is about 5e-8: none of 2,000 shuffles reaches it, so the
    # permutation p-value is only known to be below 1/2,001 (p < 0.0005), and Holm's
    # adjustment for 12 questions bounds it at 12/2,001 (p ≤ 0.006).
    q11 = cycle.ratings[cycle.ratings["question"] == "Q11"]
    scores = q11["rating"].astype(str).map(SCORES)
    groups = [scores[q11["council"].astype(str) == c] for c in SAMPLE_COUNCILS]
    kruskal = sps.kruskal(*groups)
    assert f"{kruskal.statistic:.1f}" == "60.0" and kruskal.pvalue < 1e-6
    assert f"{12 / 2001:.3f}" == "0.006"
    assert ("| Question | Councils | Ratings | Kruskal-Wallis H | p (permutation, 2,000 "
            "shuffles) | p (Holm-adjusted) | Beyond chance? |") in text
    assert ("| Management oversight (Q11) | 14 | 280 | 60.0 | p < 0.0005 | p ≤ 0.006 | Yes |"
            in text)
    assert "p (chi-square)" not in text
    # The choice of test, in plain words.
    for words in ("ordered (Inadequate, Requires Improvement, Good, Outstanding)",
                  "about 20 ratings per question", "Kruskal-Wallis test",
                  "shuffled at random 2,000 times", "The smallest p-value this can give is "
                  "about 0.0005.", "Holm's method",
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
        "at once: Person's voice (Q1). For the other 1 (Strengths (Q2)), there is no clear "
        "evidence that councils differ.")
    assert ("Community assets (Q3) was not tested: every rating was at the same level, or "
            "fewer than two councils had ratings.") in text
    assert ("| Question | Councils | Ratings | Kruskal-Wallis H | p (permutation, 999 "
            "shuffles) | p (Holm-adjusted) | p (chi-square) | Beyond chance? |") in text
    # With 999 shuffles the smallest possible p-value is 1/1,000: Q1's 0.001 is at that
    # floor, so it and its Holm-adjusted 0.003 are bounds, not values.
    assert ("| Person's voice (Q1) | 5 | 100 | 20.0 | p < 0.001 | p ≤ 0.003 | p < 0.001 | Yes |"
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
            "more than chance would readily explain: Person's voice (Q1). For the others, there "
            "is no clear evidence of a difference once Kestrel Vale and Northwold are set "
            "aside.") in text
    # With 2,000 shuffles, 0.001 is above the floor of 1/2,001: given as a value.
    assert "| Person's voice (Q1) | 5 | 100 | 20.0 | p = 0.001 | p = 0.003 | Yes |" in text
    gone = constructed_tests([0.5, 0.6, 0.7])
    gone["groups"] = 4
    text = question_differences(tests, set_aside=(["Northwold"], gone))
    assert ("Setting aside Northwold (outside the 99.8% limits on overall judgements) and "
            "testing the other 4 councils again, no question differs by more than chance "
            "would readily explain. Among the others there is no clear evidence of a difference "
            "on any question, so the differences found may lie with that council.") in text
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
    assert "there is no clear evidence that councils differ on any question." in text
    assert ("That is not evidence that they rate alike: with about 20 ratings per council per "
            "question, only large differences would show.") in text
    assert "not which councils or why" not in text
    # 16, 17, 17 and 18 of 20 Good, the rest Requires Improvement (scipy's H).
    groups = [[3] * g + [2] * (20 - g) for g in (16, 17, 17, 18)]
    assert f"{sps.kruskal(*groups).statistic:.1f}" == "0.8"
    assert "| Person's voice (Q1) | 4 | 80 | 0.8 | p = 0.97 | p = 1.00 | No |" in text
    assert "The smallest p-value this can give is about 0.0050." in text  # 1/201


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


def newcombe_words(after, before, n=20):
    """A change in the text's words, from statsmodels' Newcombe interval."""
    low, high = confint_proportions_2indep(after, n, before, n, method="newcomb",
                                           compare="diff")

    def end(value):
        rounded = round(value * 100)
        return "0" if rounded == 0 else f"{rounded:+d}"
    return f"{end((after - before) / n)} points ({end(low)} to {end(high)})"


def test_changes_between_cycles_on_the_sample(sample_programme):
    text = changes_between_cycles(sample_programme)
    assert text.startswith("4 councils were reviewed in more than one cycle: Ashcombe, "
                           "Greyhaven, Lydmouth and Northwold.")
    assert table_rows(text, "Council") == ["Ashcombe", "Greyhaven", "Lydmouth", "Northwold"]
    assert newcombe_words(18, 14) == "+20 points (-5 to +43)"
    assert ("| Greyhaven | 2019: 14 of 20 (70%; 48% to 85%) | 2022-24: 18 of 20 (90%; 70% to "
            "97%) | +20 points (-5 to +43) | No clear evidence: the interval includes zero |"
            ) in text
    assert newcombe_words(6, 6) == "0 points (-27 to +27)"
    assert ("| Northwold | 2019: 6 of 20 (30%; 15% to 52%) | 2022-24: 6 of 20 (30%; 15% to "
            "52%) | 0 points (-27 to +27) | No clear evidence: the interval includes zero |"
            ) in text
    assert "| Ashcombe | 2019: 16 of 20 (80%; 58% to 92%) |" in text
    assert text.count("No clear evidence: the interval includes zero") == 4
    assert "Yes:" not in text
    assert ("None of the 4 changes goes beyond chance: for each council the interval includes "
            "zero (it runs from a fall to a rise), so there is no clear evidence of a change"
            ) in text
    # 1 - 0.95^4 = 0.185.
    assert "about a 19% chance that at least one interval left out zero by chance alone" in text
    assert changes_between_cycles(sample_programme, "2022-24") == text


def test_changes_between_cycles_beyond_chance(tmp_path):
    write_review(tmp_path, "Ashford", cycle="2019", judgements=overall(good=8, ri=12))
    write_review(tmp_path, "Ashford", judgements=overall(good=20))
    write_review(tmp_path, "Bexley Vale", cycle="2019", judgements=overall(good=19, ri=1))
    write_review(tmp_path, "Bexley Vale", judgements=overall(good=6, ri=14))
    write_review(tmp_path, "Carrow", cycle="2019", judgements=overall(good=18, ri=2))
    write_review(tmp_path, "Carrow", judgements=overall(good=17, ri=3))
    text = changes_between_cycles(load_programme(tmp_path))
    assert newcombe_words(20, 8) == "+60 points (+33 to +78)"
    assert ("| Ashford | 2019: 8 of 20 (40%; 22% to 61%) | 2022-24: 20 of 20 (100%; 84% to "
            "100%) | +60 points (+33 to +78) | Yes: a rise beyond chance |") in text
    assert "| Bexley Vale | 2019: 19 of 20 (95%" in text
    assert f"| {newcombe_words(6, 19)} | Yes: a fall beyond chance |" in text
    assert (f"| {newcombe_words(17, 18)} | No clear evidence: the interval includes zero |"
            in text)
    assert ("The change goes beyond chance for 2 councils: a rise for Ashford and a fall for "
            "Bexley Vale. The whole of each 95% interval lies on one side of zero. For Carrow, "
            "there is no clear evidence of a change with 20 or so records in each review: the "
            "interval includes zero (it runs from a fall to a rise).") in text
    assert "about a 14% chance" in text  # 1 - 0.95^3


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
    assert ("there is no clear evidence of a change: the interval includes zero (it runs from "
            "a fall to a rise).") in text
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
    within, pooled = within_design_effect(cycle.ratings), pooled_design_effect(cycle.ratings)
    assert (f"{within:.1f}", round(3349 / within), f"{pooled:.1f}") == ("3.8", 881, "4.8")
    assert ("- **Ratings are clustered.** The 12 ratings of one case record share that record "
            "and its auditor, so the 3,349 question ratings carry far less information than "
            "their number suggests: within councils the design effect is 3.8, so they are "
            "worth about 881 independent ratings (across the programme as a whole it is 30.5, "
            "because differences between councils add to it).") in text
    # Exact limits at n = 20 around 229 of 280: 12 of 20 (60%) and fewer are below, only
    # 20 of 20 above.
    target = 229 / 280
    assert sps.binom.cdf(12, 20, target) < 0.025 <= sps.binom.cdf(13, 20, target)
    assert sps.binom.sf(19, 20, target) < 0.025 <= sps.binom.sf(18, 20, target)
    assert ("- **20 case records in each council.** With 20 records, one record more or less "
            "moves a council's share by 5 percentage points. Around the programme average of "
            "81.8%, a council's share would have to be below 61% or above 99% before it stood "
            "outside the 95% limits, so only large differences between councils can be "
            "seen.") in text
    assert "not a full case file audit" in text


def test_regional_caveats_follow_the_funnel_method(cycle):
    # Fingertips: the lower 95% limit is the share whose own Wilson interval just reaches
    # the programme average (64.9%, so 13 of 20 is inside); the upper one is 98.7%.
    target = 229 / 280
    z95 = sps.norm.ppf(0.975)
    limits = [fingertips_limit(target, 20, z95, side) for side in ("lower", "upper")]
    assert tuple(map(pct, limits)) == ("65%", "99%")
    assert ("a council's share would have to be below 65% or above 99% before it stood "
            "outside the 95% limits") in regional_caveats(cycle, "fingertips")


# --------------------------------------------------------------------------- all sections


def test_regional_findings_sections_and_language(sample_sections):
    assert list(sample_sections) == SECTIONS
    text = "\n".join(sample_sections.values())
    assert "significan" not in text.casefold()
    assert "judgment" not in text.casefold()
    assert "/work" not in text
    assert "within what chance would give" not in text  # now "no clear evidence ..."
    methods = sample_sections["Methods"]
    assert "Kruskal-Wallis" in methods and "permutation" in methods and "Holm" in methods
    assert "Wilson interval" in methods and "Newcombe" in methods
    assert "exact binomial distribution" in methods and "Fingertips" not in methods
    assert "Cochran's Q" in methods and "effective number of ratings" in methods
    assert "Mann-Whitney" not in methods
    councils = sample_sections["Councils against the programme average"]
    assert ("On overall judgements, Northwold is below the programme average by more than "
            "chance would readily explain.") in councils
    # Only Northwold is outside the 99.8% limits on overall judgements (Kestrel Vale's 20 of
    # 20 has P = 0.018), so only Northwold is set aside.
    assert sps.binom.cdf(6, 20, 229 / 280) < 0.001 < sps.binom.sf(19, 20, 229 / 280)
    assert ("Setting aside Northwold (outside the 99.8% limits on overall judgements) and "
            "testing the other 13 councils again, 7 questions still differ by more than "
            "chance would readily explain: Person's voice (Q1), Community assets (Q3), "
            "Outcomes (Q4), Safeguarding (Q7), Carers (Q8), Management oversight (Q11) and "
            "Recording (Q12).") in sample_sections[
        "Differences between councils, question by question"]
    assert sample_sections["Change between cycles"].startswith(
        "4 councils were reviewed in more than one cycle")
    for heading in ("Headline", "Councils against the programme average",
                    "Change between cycles"):
        body = sample_sections[heading].replace("not ranked", "")
        assert RANKING.search(body) is None, heading


def test_regional_findings_with_fingertips_limits(sample_programme):
    sections = regional_findings(sample_programme, "2022-24", method="fingertips")
    assert list(sections) == SECTIONS
    assert "Fingertips method" in sections["Methods"]
    assert "exact binomial distribution" not in sections["Methods"]
    councils = sections["Councils against the programme average"]
    target = 229 / 280
    z95, z998 = sps.norm.ppf(0.975), sps.norm.ppf(0.999)
    low95, high95 = (fingertips_limit(target, 20, z95, side) for side in ("lower", "upper"))
    low998 = fingertips_limit(target, 20, z998, "lower")
    # Even 20 of 20 has a Wilson 99.8% interval that reaches down to the average, so the
    # upper 99.8% limit is clipped to 100%.
    assert proportion_confint(20, 20, alpha=0.002, method="wilson")[0] < target
    assert (pct(low95), pct(high95), pct(low998)) == ("65%", "99%", "55%")
    assert ("For a council with 20 case records, the 95% limits run from 65% to 99%. The "
            "99.8% limits run from 55% to 100%.") in councils
    # The flagged counts: 0-12 and 20 of 20 at 95% (3.7%), 0-11 at 99.8% (0.53%, more than
    # the nominal 0.2%), so about 0.07 of 14 councils outside the 99.8% limits by chance.
    counts = np.arange(21)
    pmf = sps.binom.pmf(counts, 20, target)
    rate95 = pmf[(counts / 20 < low95) | (counts / 20 > high95)].sum()
    rate998 = pmf[counts / 20 < low998].sum()
    assert f"{rate95:.1%}" == "3.7%" and rate998 > 0.002 and f"{14 * rate998:.2f}" == "0.07"
    # With the average pooled from the 14 councils, as the report pools it (issue 26): 4.0%
    # and 0.03 of the 14 (simulated, review_lib.analysis.funnel.pooled_chances).
    assert "would fall outside the 95% limits by chance alone about 1 time in 25 (4.0%)" in \
        councils
    assert ("fewer than one council (about one in every 35 programmes of 14 councils like "
            "this one) would be expected outside the 99.8% limits by chance") in councils
    assert "Northwold is below the programme average by more than chance" in councils
    assert bullet(councils, "**Above the 95% limits only**").endswith(
        ": Kestrel Vale, 20 of 20 (100%).")
    with pytest.raises(ValueError, match="unknown funnel method"):
        regional_findings(sample_programme, "2022-24", method="wilson")


def test_regional_findings_ignore_later_cycles(sample_programme):
    sections = regional_findings(sample_programme, "2019")
    assert "In the 2019 cycle of the Practice Review programme, 4 councils were reviewed" in \
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


def test_a_long_change_table_says_its_cycles_once_and_reads_a_row_a_line(sample_programme):
    from review_lib.report.wording.regional import changes_between_cycles

    full = changes_between_cycles(sample_programme, "2022-24")
    compact = changes_between_cycles(sample_programme, "2022-24", compact=True)
    assert "Earlier review: Outstanding or Good (95% interval)" in full
    assert "| 2019: " in full and "No clear evidence: the interval includes zero" in full
    # The sample's four councils all compare 2019 with 2022-24: the headings say so.
    assert ("| 2019: Outstanding or Good (95% interval) | 2022-24: Outstanding or Good "
            "(95% interval) |") in compact
    rows = [line for line in compact.splitlines() if line.startswith("| ") and " of " in line]
    assert len(rows) == 4
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert not cells[1].startswith("2019") and not cells[2].startswith("2022")
        assert re.fullmatch(r"\d+ of \d+ \(\d+%; \d+% to \d+%\)", cells[1])
        assert re.fullmatch(r"[+-]?\d+ \([+-]?\d+ to [+-]?\d+\)", cells[3])
        assert cells[4] in ("No clear evidence", "A rise beyond chance", "A fall beyond chance")
    # What the short readings mean is said in the sentences after the table.
    assert "the interval includes zero" in compact.split(rows[-1])[1]
