"""The cross-council report's synthesis of the review teams' recommendations and messages."""

from __future__ import annotations

import copy
import re

import pytest
from claims_checker import Checker, Facts, page_text

from review_lib.analysis.scopes import cycle_results
from review_lib.data.loading import load_programme
from review_lib.data.notes import Recommendation, ReviewNotes
from review_lib.paths import SAMPLE_DIR
from review_lib.report import cross
from review_lib.report.claims import recording
from review_lib.report.wording.regional import UNTAGGED, regional_synthesis, team_notes


@pytest.fixture(scope="module")
def sample_cycle():
    return cross.open_cycle("2022-24", "")


@pytest.fixture(scope="module")
def synthesis(sample_cycle):
    return cross.synthesis_section(sample_cycle)


def test_the_teams_agreement_is_connected_with_the_programmes_figures(synthesis):
    text = " ".join(synthesis.text.split())
    table = cycle_results(load_programme(SAMPLE_DIR).in_cycle("2022-24")).questions
    good, n = int(table.loc["Q11", "good_or_better"]), int(table.loc["Q11", "n"])
    assert ("All 4 councils with notes recommend on Q11 Management oversight: Dudley, "
            "Greyhaven, Kestrel Vale and Northwold (draft).") in text
    assert f"{good} of {n} ({round(100 * good / n)}%) of the ratings on Q11" in text
    assert table["share_good"].idxmin() == "Q11"
    assert ("Q11 had the lowest share of ratings Outstanding or Good of any question across "
            "the programme") in text
    # One row per question, the most councils first, with the programme's figures.
    rows = re.findall(r"^\| (Q\d+) [^|]*\| [^|]*\| (\d) of 4 \| (\d+) of (\d+) ", synthesis.text,
                      flags=re.M)
    assert len(rows) == 12 and rows[0][:2] == ("Q11", "4")
    assert [int(r[1]) for r in rows] == sorted((int(r[1]) for r in rows), reverse=True)
    for question, _, count, of in rows:
        assert (int(count), int(of)) == (table.loc[question, "good_or_better"],
                                         table.loc[question, "n"])


def test_every_claim_is_checked_against_the_notes_files_read_independently(synthesis):
    facts = Facts.of(load_programme(SAMPLE_DIR), notes_roots=[SAMPLE_DIR])
    claims = [c.as_dict() for c in synthesis.claims]
    kinds = {c["kind"] for c in claims}
    assert {"recommending_councils", "question_count", "question_extreme"} <= kinds
    assert Checker(facts).check(claims, page_text(synthesis.html)) == []
    # A count of councils that the notes do not support is caught.
    wrong = copy.deepcopy(next(c for c in claims if c["kind"] == "recommending_councils"
                               and c["scope"]["question"] == "Q10"))
    wrong["figures"]["councils"] = wrong["figures"]["councils"][:2]
    wrong["figures"]["count"] = 2
    assert Checker(facts).check([wrong])


def test_recommendations_are_grouped_by_question_and_theme_and_drafts_marked(synthesis):
    text = synthesis.text
    quality = text.split("### Quality and oversight", 1)[1].split("###", 1)[0]
    assert "Kestrel Vale, R1: Keep checking, through regular audits" in quality
    assert "Recommended on in the previous review too: Greyhaven (2019) and Northwold (2019)" \
        in quality
    # Untagged recommendations are listed apart, never guessed onto a question.
    untagged = text.split(f"### {UNTAGGED}", 1)[1].split("###", 1)[0]
    assert "Kestrel Vale, R3: Reduce waiting times for occupational therapy" in untagged
    assert "Kestrel Vale, R3" not in text.split(f"### {UNTAGGED}", 1)[0]
    # The draft review is marked wherever it appears (its 2019 review was final).
    for match in re.finditer(r"Northwold(.{0,26})", text):
        assert match.group(1).startswith((" (draft)", " (2019)", "’s review is still a draft")), \
            match.group(0)
    assert "Northwold’s review is still a draft" in text


def _notes(recommendations, key_messages=(), status="final"):
    return ReviewNotes(file="notes.md", status=status, recommendations=recommendations,
                       key_messages=key_messages)


class _Index:
    """A notes index of hand-made notes (key messages as the notes will carry them)."""

    def __init__(self, notes):
        self._notes = notes

    def for_review(self, council, cycle):
        return self._notes.get(council)

    def previous(self, council, cycle):
        return None

    def problems_for(self, council, cycle):
        return []


def test_key_messages_and_urgent_recommendations_are_shown():
    programme = load_programme(SAMPLE_DIR).in_cycle("2022-24")
    urgent = Recommendation(1, "Put supervision right for the practice educator.", ("Q11",),
                            urgent=True)
    index = _Index({
        "Dudley": _notes((urgent,), ("Strengths-based practice is less embedded than it "
                                     "should be.", "Supervision is the first thing to fix.")),
        "Lydmouth": _notes((Recommendation(1, "Record decisions.", ("Q11",)),),
                           status="draft"),
    })
    teams = team_notes(programme, index, "2022-24")
    assert [t.name for t in teams] == ["Dudley", "Lydmouth (draft)"]
    text = regional_synthesis(teams, cycle_results(programme), programme.catalogue)
    assert "Dudley, R1, urgent: Put supervision right" in text
    assert "**Dudley**\n\n- Strengths-based practice is less embedded" in text
    assert "The notes of Lydmouth (draft) give no key messages yet" in text
    assert "Both councils with notes recommend on Q11" in text
    assert "Lydmouth’s review is still a draft" in text


def test_without_notes_the_synthesis_says_so():
    programme = load_programme(SAMPLE_DIR).in_cycle("2022-24")
    with recording() as claims:
        text = regional_synthesis(team_notes(programme, _Index({}), "2022-24"),
                                  cycle_results(programme), programme.catalogue)
    assert text.startswith("No review team's notes are held for the 2022-24 reviews")
    assert claims == []


@pytest.mark.slow
def test_the_cross_council_report_holds_the_synthesis(sample_run):
    _, out = sample_run
    page = (out / "reports" / "2022-24" / "cross-council.html").read_text(encoding="utf-8")
    assert 'id="What-the-review-teams-recommend"' in page
    assert 'href="#What-the-review-teams-recommend"' in page
    assert "All 4 councils with notes recommend on Q11 Management oversight" in page_text(page)


def test_a_regions_report_brings_together_its_own_councils_only(tmp_path):
    from test_regions import write_programme

    folder = write_programme(tmp_path / "data")
    notes = {"council-a": ("final", "- Record management decisions. [Q11]"),
             "council-d": ("final", "- Record management decisions on the case record. [Q11]\n"
                                    "- Name the legal duty behind each decision. [Q10]"),
             "council-e": ("draft", "- Make oversight visible. [Q11]\n- Cut the waiting list.")}
    for slug, (status, bullets) in notes.items():
        (folder / f"{slug}.md").write_text(
            f"---\nstatus: {status}\n---\n\n# Recommendations\n\n{bullets}\n", encoding="utf-8")
    london = cross.open_cycle("2025-26", "", folder, region="London")
    section = cross.synthesis_section(london)
    text = " ".join(section.text.split())
    assert ("The review teams' notes are held for 2 of the 3 councils reviewed in 2025-26: "
            "Council D and Council E (draft).") in text
    assert "Both councils with notes recommend on Q11 Management oversight" in text
    assert "Council A" not in text  # of the North East
    assert "Across the London region" in text
    assert "Council E (draft), R2: Cut the waiting list." in text.split(f"### {UNTAGGED}")[1]
    facts = Facts.of(load_programme(folder), notes_roots=[folder])
    claims = [c.as_dict() for c in section.claims]
    assert {c["scope"].get("region") for c in claims} == {"London"}
    assert Checker(facts).check(claims, page_text(section.html)) == []
