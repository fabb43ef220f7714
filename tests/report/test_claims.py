"""Every sentence that states a figure is true: claims checked by tests/claims_checker.py.

The checker re-derives each claim from the tidy frames without review_lib.analysis. It runs
over the sample's reports as a batch writes them (claims.json beside the HTML), over every
sample council's summary and findings, and over generated programmes (hypothesis): ties at
both ends, every record Good, every record Requires Improvement, tiny councils, a question
not applicable everywhere, two councils, many councils, councils with and without an
earlier cycle.
"""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
from claims_checker import Checker, Facts, page_text
from conftest import SMALL_QUESTIONS
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from review_lib.analysis.comparison import programme_funnels
from review_lib.analysis.results import analyse_review
from review_lib.data.loading import load_programme
from review_lib.data.notes import read_programme_notes
from review_lib.data.records import Programme
from review_lib.paths import SAMPLE_DIR
from review_lib.report import leadership
from review_lib.report.claims import recording, stated
from review_lib.report.context import ReviewContext, open_review
from review_lib.report.council import context_findings, markdown_html
from review_lib.report.wording import council_findings, regional_findings
from review_lib.report.wording.programme import expected_words


def _facts(programme: Programme, roots=()) -> Facts:
    index = read_programme_notes(programme, list(roots))
    notes_cycles, selection, dates, files = [], {}, {}, {}
    for (council, cycle), notes in index.notes.items():
        name = next((str(r.council) for r in programme.reviews
                     if str(r.council).casefold() == council), notes.council or council)
        notes_cycles.append((name, cycle))
        selection[(name, cycle)] = notes.selection
        if notes.review_dates:
            dates[(name, cycle)] = notes.review_dates
        # a notes file is named from the data folder, or (beside a data file) from its parent
        found = [folder / notes.file for root in roots
                 for folder in (Path(root), Path(root).parent) if (folder / notes.file).is_file()]
        if found:
            files[(name, cycle)] = found[0]
    return Facts.of(programme, notes_cycles, selection, dates, notes_roots=roots,
                    notes_files=files)


@pytest.fixture(scope="module")
def sample_facts(sample_programme):
    return _facts(sample_programme, [SAMPLE_DIR])


def _claims(*sections) -> list[dict]:
    return [claim.as_dict() for section in sections for claim in section.claims]


# --------------------------------------------------------------------------- the sample


@pytest.mark.parametrize("council", ["Ashcombe", "Brackenbury", "Corrington", "Dudley",
                                     "Elverston", "Farleigh Moor", "Greyhaven", "Hollinsworth",
                                     "Kestrel Vale", "Lydmouth", "Northwold", "Pennant Cross",
                                     "Ravensfield", "Thornbury Water"])
def test_every_sample_summary_and_finding_is_true(council, sample_facts):
    context = open_review(council, "2022-24")
    summary = leadership.summary(context)
    findings = context_findings(context)
    text = page_text(summary.html + "".join(markdown_html(t) for t in findings.values()))
    claims = _claims(summary) + [c.as_dict() for t in findings.values() for c in t.claims]
    assert claims
    assert Checker(sample_facts).check(claims, text) == []


def test_listed_questions_each_carry_their_own_count():
    """Corrington: five questions listed, each with its count (13, 10, 6, 6 and 6)."""
    summary = leadership.summary(open_review("Corrington", "2022-24"))
    counts = {c.scope["question"]: c.figures["count"] for c in summary.claims
              if c.kind == "question_count" and c.figures["measure"] == "below_good"}
    table = open_review("Corrington", "2022-24").results.questions
    assert counts == {q: int(table.loc[q, "below_good"]) for q in counts}
    assert len(set(counts.values())) > 1
    for count in counts.values():
        assert f"{count} of 20 below Good" in summary.text


def test_dudley_sections_agree_about_its_earlier_review_and_dates(sample_facts):
    context = open_review("Dudley", "2022-24")
    sections = [leadership.summary(context), leadership.introduction(context),
                leadership.previous_review(context)]
    findings = context_findings(context)
    claims = _claims(*sections) + [c.as_dict() for t in findings.values() for c in t.claims]
    earlier = [c for c in claims if c["kind"] == "earlier_review"]
    assert earlier and all(c["figures"]["exists"] for c in earlier)
    assert {c["figures"]["dates"] for c in claims if c["kind"] == "review_dates"} == {
        "November to December 2023"}
    assert "There is no earlier review" not in "".join(findings.values())
    assert Checker(sample_facts).check(claims) == []


def test_northwold_says_one_thing_about_how_records_were_chosen(sample_facts):
    context = open_review("Northwold", "2022-24")
    claims = _claims(leadership.appendix(context))
    assert {c["figures"]["how"] for c in claims if c["kind"] == "selection"} == {"random"}
    assert "not drawn at random" not in leadership.appendix(context).text


def test_summary_average_says_it_includes_the_council():
    text = leadership.summary(open_review("Ashcombe", "2022-24")).text
    assert "in line with" not in text
    assert "Ashcombe included" in text


def test_batch_reports_write_claims_that_the_checker_confirms(sample_run, sample_facts):
    _, out = sample_run
    root = out / "reports" / "2022-24"
    files = sorted(root.glob("*/*.claims.json")) + [root / "cross-council.claims.json"]
    assert {f.name for f in files} >= {"leadership.claims.json", "distributions.claims.json",
                                        "cross-council.claims.json"}
    for path in files:
        claims = json.loads(path.read_text())["claims"]
        html = path.with_name(path.name.replace(".claims.json", ".html")).read_text()
        assert claims, path
        assert Checker(sample_facts).check(claims, page_text(html)) == [], path


# --------------------------------------------------------------------------- the checker


def test_the_checker_catches_each_kind_of_false_claim(sample_facts):
    scope = {"council": "Corrington", "cycle": "2022-24"}
    with recording() as false:
        stated("Q3 and Q4: 13 of 20 below Good each", "question_count",
               {**scope, "question": "Q4"}, measure="below_good", count=13, n=20)
        stated("Q1 Person's voice had the highest share Good or better (95%)",
               "question_extreme", scope, measure="share_good", which="highest",
               questions=["Q1"], share=0.95)
        stated("This is in line with the other 13 councils (82%)", "council_vs_average",
               scope, measure="judgements", successes=14, n=20, average_successes=229,
               average_n=280, includes_council=False, councils=13, flag="within")
        stated("There is no earlier review of Ashcombe in the data.", "earlier_review",
               {"council": "Ashcombe", "cycle": "2022-24"}, exists=False)
        stated("The records lean towards the better levels (p = 0.84)", "lean", scope,
               previous_cycle="2019", direction="better", p=0.84)
        stated("about 0.003 of the 14 outside the 99.8% limits", "expected_by_chance",
               {"cycle": "2022-24"}, limit="998", expected=0.003, councils=14)
    failures = Checker(sample_facts).check([c.as_dict() for c in false])
    kinds = {failure.split(" ", 1)[0] for failure in failures}
    assert kinds >= {"question_count", "council_vs_average", "earlier_review", "lean",
                     "expected_by_chance"}, failures


def test_the_calibration_report_names_only_auditors_the_test_supports(sample_programme,
                                                                      sample_facts):
    from review_lib.data.moderation import load_moderation
    from review_lib.report import calibration
    from review_lib.report.calibration import open_exercise

    exercises = load_moderation(SAMPLE_DIR)
    facts = sample_facts
    facts.exercises = {(e.name, e.cycle): e for e in exercises}
    context = open_exercise(exercises[0].name, exercises[0].cycle)
    sections = [calibration.summary(context), calibration.leniency_section(context)]
    claims = _claims(*sections)
    named = {(c["figures"]["auditor"], c["figures"]["measure"]) for c in claims
             if c["kind"] == "leniency"}
    # The sample's exercise is built with a generous PSW B and a severe PSW D; PSW D's
    # judgements (3 of 8 one level lower) are not enough to name (issue 26).
    assert named == {("PSW B", "ratings"), ("PSW D", "ratings"), ("PSW B", "judgements")}
    text = page_text("".join(section.html for section in sections))
    assert Checker(facts).check(claims, text) == []


def test_expected_counts_are_in_words_people_use():
    assert expected_words(0.0034, 14).startswith("fewer than one council (about one in "
                                                 "every 290 programmes")
    assert expected_words(0.52, 14) == "about 1 of the 14 councils"
    assert expected_words(3.4, 150) == "about 3 of the 150 councils"


# --------------------------------------------------------------------------- generated


LETTERS = ("O", "G", "RI", "I", "N/A")


def _write(folder: Path, council: str, cycle: str, rows) -> None:
    lines = ["Council,Cycle,Case,Auditor,A1,A2,A3,Overall judgement"]
    for i, (a1, a2, a3, overall) in enumerate(rows, start=1):
        lines.append(f"{council},{cycle},{council[:2].upper()}-{cycle}-{i:03d},"
                     f"PSW {'AB'[i % 2]},{a1},{a2},{a3},{overall}")
    place = folder / cycle
    place.mkdir(exist_ok=True)
    (place / f"{council.lower()}.csv").write_text("\n".join(lines) + "\n")


ratings = st.sampled_from(LETTERS[:4])
case = st.tuples(ratings, ratings, ratings, ratings)


@st.composite
def programmes(draw):
    """A programme of 2-5 councils of 3-8 cases, some with an earlier cycle."""
    k = draw(st.integers(2, 5))
    pattern = draw(st.sampled_from(["mixed", "all good", "all ri", "na question", "ties"]))
    councils = {}
    for index in range(k):
        n = draw(st.integers(3, 8))
        if pattern == "all good":
            rows = [("G", "G", "G", "G")] * n
        elif pattern == "all ri":
            rows = [("RI", "RI", "RI", "RI")] * n
        elif pattern == "ties":
            row = draw(case)
            rows = [(row[0], row[0], row[0], row[3])] * n
        else:
            rows = draw(st.lists(case, min_size=n, max_size=n))
        if pattern == "na question":
            rows = [(a, "N/A", c, d) for a, _, c, d in rows]
        earlier = (draw(st.lists(case, min_size=3, max_size=6)) if draw(st.booleans())
                   else None)
        councils[f"Council {chr(65 + index)}"] = (rows, earlier)
    return councils


def _programme_of(tmp_path: Path, councils) -> Programme:
    """Write each council's rows (and its earlier cycle's, if any) and load them."""
    folder = tmp_path / "programme"
    folder.mkdir()
    questions = tmp_path / "questions.csv"
    questions.write_text(SMALL_QUESTIONS)
    for council, (rows, earlier) in councils.items():
        _write(folder, council, "2024", rows)
        if earlier:
            _write(folder, council, "2021", earlier)
    return load_programme(folder, questions)


class _NotComputed:
    """Stands in for the per-auditor and per-record tables, which only the distributions
    report shows: any use of one by the summary or the findings fails the test loudly."""

    def __init__(self, what: str):
        self.what = what

    def __getattr__(self, name):
        raise AssertionError(f"the summary or findings used {self.what}.{name}, which the "
                             "generated-programme tests do not compute")

    def __len__(self):
        raise AssertionError(f"the summary or findings used len({self.what})")

    def __iter__(self):
        raise AssertionError(f"the summary or findings iterated over {self.what}")


def _summary_results(review, programme, funnels):
    """analyse_review without the auditor and case-record tables (a quarter of its time,
    never read by the summary or the findings: see _NotComputed)."""
    import review_lib.analysis.results as results

    with mock.patch.object(results, "auditor_summary",
                           lambda *a: _NotComputed("results.auditors")), \
            mock.patch.object(results, "case_table",
                              lambda *a: _NotComputed("results.case_records")):
        return analyse_review(review, programme, funnels=funnels)


def _check_programme(tmp_path: Path, councils) -> None:
    programme = _programme_of(tmp_path, councils)
    facts = _facts(programme)
    checker = Checker(facts)
    claims = []
    latest = programme.in_cycle("2024")
    funnels = programme_funnels(latest) if len(latest.reviews) >= 3 else None
    for review in latest.reviews:
        context = ReviewContext(review, programme, None,
                                computed=_summary_results(review, programme, funnels))
        summary = leadership.summary(context)
        findings = council_findings(context.results)
        text = page_text(summary.html + "".join(markdown_html(t) for t in findings.values()))
        found = _claims(summary) + [c.as_dict() for t in findings.values() for c in t.claims]
        assert checker.check(found, text) == [], councils
        claims += found
    regional = regional_findings(programme, "2024")
    text = page_text("".join(markdown_html(t) for t in regional.values()))
    found = [c.as_dict() for t in regional.values() for c in t.claims]
    assert found
    assert Checker(facts).check(found, text) == [], councils


#: Generated programmes: half here, half in test_claims_generated.py (another seed), so
#: that the two halves run at once under pytest-xdist.
GENERATED_EXAMPLES = 100


@settings(max_examples=GENERATED_EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(councils=programmes())
@example(councils={"Council A": ([("G", "G", "G", "G")] * 3, None),
                   "Council B": ([("RI", "RI", "RI", "RI")] * 3, [("G", "G", "G", "G")] * 3)})
@pytest.mark.slow
def test_generated_programmes_state_only_true_claims(councils, tmp_path_factory):
    _check_programme(tmp_path_factory.mktemp("generated"), councils)


@pytest.mark.slow
def test_a_programme_of_150_councils_states_only_true_claims(tmp_path):
    import random

    chance = random.Random(150)
    councils = {}
    for index in range(150):
        rows = [tuple(chance.choice(LETTERS[:4]) for _ in range(4)) for _ in range(5)]
        councils[f"Council {index:03d}"] = (rows, None)
    programme = _programme_of(tmp_path, councils)
    regional = regional_findings(programme, "2024", compact=True)
    found = [c.as_dict() for t in regional.values() for c in t.claims]
    assert found
    text = page_text("".join(markdown_html(t) for t in regional.values()))
    assert Checker(_facts(programme)).check(found, text) == []


# --------------------------------------------------------------------------- issue 29


@pytest.mark.parametrize("council", ["Dudley", "Northwold", "Greyhaven"])
def test_the_follow_up_counts_and_question_changes_are_true(council, sample_facts):
    context = open_review(council, "2022-24")
    sections = [leadership.summary(context), leadership.previous_review(context)]
    claims = _claims(*sections)
    statuses = [c for c in claims if c["kind"] == "recommendation_statuses"]
    assert len(statuses) == 2  # the summary's and section 2's
    if council == "Northwold":
        assert {c["scope"]["question"] for c in claims if c["kind"] == "question_change"} == {
            "Q11", "Q10", "Q4", "Q8", "Q3"}
    text = page_text("".join(s.html for s in sections))
    assert Checker(sample_facts).check(claims, text) == []


def test_the_checker_reads_statuses_from_the_notes_and_catches_a_false_count(sample_facts):
    scope = {"council": "Northwold", "cycle": "2022-24"}
    true = {"earlier_cycle": "2019", "count": 6, "no_status": 0,
            "statuses": {"met": 2, "partly met": 2, "not met": 1, "replaced": 1}}
    with recording() as false:
        stated("Of the 2019 review's 6 recommendations, 3 were met, 1 partly met, 1 not met "
               "and 1 replaced.", "recommendation_statuses", scope,
               **{**true, "statuses": {"met": 3, "partly met": 1, "not met": 1,
                                       "replaced": 1}})
        stated("Of the 2019 review's 6 recommendations, 2 were met, 2 partly met and 1 not "
               "met.", "recommendation_statuses", scope, **true)  # replaced left out
        stated("Of the 2019 review's 7 recommendations, 2 were met, 2 partly met, 1 not met "
               "and 1 replaced.", "recommendation_statuses", scope, **{**true, "count": 7})
        stated("Management oversight (Q11): 2 of 20 records (10%) in 2019; 3 of 20 (15%) in "
               "2022-24.", "question_change", {**scope, "question": "Q11"},
               previous_cycle="2019", before_successes=2, before_n=20, after_successes=3,
               after_n=20)
    failures = Checker(sample_facts).check([c.as_dict() for c in false])
    assert len(failures) >= 4
    assert any("the notes give" in f for f in failures)
    assert any("1 replaced is not in the words" in f for f in failures)
    assert any("make 6 recommendations" in f for f in failures)
    assert any("the data give (1, 20) in 2019" in f for f in failures)
    with recording() as right:
        stated("Of the 2019 review's 6 recommendations, 2 were met, 2 partly met, 1 not met "
               "and 1 replaced.", "recommendation_statuses", scope, **true)
    assert Checker(sample_facts).check([c.as_dict() for c in right]) == []
