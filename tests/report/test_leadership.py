"""The leadership report as its readers meet it: order, plain English, notes and evidence."""

from __future__ import annotations

import re
import shutil

import pytest

from review_lib.data.scale import LEVELS
from review_lib.report import leadership
from review_lib.report.context import open_review
from review_lib.report.section import plain_text

#: What the notebook shows, in its order (notebooks/council_leadership.ipynb).
SECTIONS = ("title", "summary", "navigation", "introduction", "previous_review", "meetings",
            "audit_data", "records_analysis", "observations", "key_strengths",
            "recommendations", "review_team", "appendix", "footer")

#: Words that belong in the appendix, not in the body a director reads.
TECHNICAL = re.compile(
    r"Wilson|Newcombe|Mann.Whitney|Fingertips|overdispersion|Cochran|Holm|binomial|Kruskal|"
    r"permutation|p-value|\bp\s*[=<>≤]|\bSHA\b|sha256|\bhash\b|design effect|effective n|funnel|"
    r"statistic", re.IGNORECASE)


def report_html(context) -> str:
    return "\n".join(getattr(leadership, name)(context).html for name in SECTIONS)


def body_of(html: str) -> str:
    return html.split('id="appendix"', 1)[0]


def sentences(html: str) -> list[str]:
    """The body's sentences as a reader meets them: tables and alt text left out."""
    text = plain_text(html)
    lines = [line for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith(("|", "[Chart"))]
    found = []
    for line in lines:
        line = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line).strip()
        line = re.sub(r"\b(e\.g|i\.e|etc)\.", r"\1", line)
        found += [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])", line)
                  if len(s.split()) > 2]
    return found


@pytest.fixture(scope="module")
def dudley_context():
    return open_review("Dudley", "2022-24")


@pytest.fixture(scope="module")
def dudley_html(dudley_context):
    return report_html(dudley_context)


def test_the_sections_follow_the_published_report_with_the_summary_first(dudley_html):
    anchors = re.findall(r'<h2 id="([a-z-]+)"', dudley_html)
    assert anchors == [anchor for anchor, _ in leadership.CONTENTS]
    # The contents list links every section, and the other reports and the index.
    for anchor, _ in leadership.CONTENTS:
        assert f'href="#{anchor}"' in dudley_html
    for href in ("distributions.html", "../cross-council.html", "../../index.html"):
        assert f'href="{href}"' in dudley_html


def test_the_summary_leads_with_the_share_and_its_uncertainty(dudley_context):
    summary = leadership.summary(dudley_context).text
    first = summary.split("\n\n")[1]
    assert first.startswith("18 of the 20 case records (90%) were Good or better overall.")
    assert "<strong>18 of the 20 case records (90%) were Good or better overall.</strong>" in (
        leadership.summary(dudley_context).html)
    assert "95% interval" in first and "70% to 97%" in first
    assert ("not clearly different from the average of all 14 councils reviewed in 2022-24, "
            "Dudley included (82%: 229 of 280 case records)") in summary
    assert "in line with" not in summary
    assert "Management oversight (Q11): 8 of 20 below Good" in summary
    assert "Review how regular, reflective, good quality supervision is arranged" in summary


def test_no_method_name_p_value_or_hash_before_the_appendix(dudley_html):
    body = plain_text(body_of(dudley_html))
    assert not TECHNICAL.findall(body), sorted(set(TECHNICAL.findall(body)))
    appendix = plain_text(dudley_html.split('id="appendix"', 1)[1])
    assert "Wilson" in appendix and "SHA-256" in appendix


def test_the_body_is_short_sentences(dudley_html):
    found = sentences(body_of(dudley_html))
    assert len(found) > 150  # the team's notes, not only the data's sentences
    lengths = [len(s.split()) for s in found]
    assert sum(lengths) / len(lengths) <= 20, sum(lengths) / len(lengths)
    long = [s for s in found if len(s.split()) > 35]
    assert not long, long


def test_one_term_for_each_idea_and_no_section_named_like_a_question(dudley_html):
    body = plain_text(body_of(dudley_html))
    assert "Outstanding or Good" not in body and "good or better" not in body
    assert "confidence interval" not in body.casefold() and "95% CI" not in body
    headings = re.findall(r"<h[23][^>]*>(.*?)</h[23]>", body_of(dudley_html))
    assert not any(h.strip() == "Strengths" for h in headings)


def test_tagged_recommendations_carry_their_evidence(dudley_context):
    section = leadership.recommendations(dudley_context)
    oversight = section.frame[section.frame["questions"].str.contains("Q11")]
    assert len(oversight) == 1
    assert ("Management oversight (Q11): 12 of 20 records Good or better (60%; 95% interval "
            "39% to 78%). 8 below Good.") in section.text
    # An untagged recommendation has no evidence box of its own.
    items = section.html.split("<li><p class=\"recommendation\">")[1:]
    tagged = {row.recommendation for row in section.frame.itertuples() if row.questions}
    for item in items:
        text = item.split("</p>", 1)[0]
        assert ('class="evidence"' in item) == any(text == t for t in tagged)


def test_the_previous_reviews_recommendations_are_followed_up(dudley_context):
    section = leadership.previous_review(dudley_context)
    assert len(section.frame) == 15 and section.frame["update"].notna().all()
    assert "The previous review, in the 2019 cycle (June 2019), made 15 recommendations" in (
        section.text)
    northwold = leadership.previous_review(open_review("Northwold", "2022-24")).frame
    assert list(northwold.index[northwold["update"].isna()]) == ["R2", "R5", "R6"]
    assert "No update given." in leadership.previous_review(
        open_review("Northwold", "2022-24")).html


def test_a_draft_is_marked_and_case_identifiers_become_pseudonyms():
    context = open_review("Northwold", "2022-24")
    title = leadership.title(context).html
    assert "Draft report" in title and 'class="draft-mark"' in title
    records = leadership.records_analysis(context).html
    assert "NO-788524" not in records and "Case 19" in records


def test_a_review_without_notes_gets_a_complete_data_only_report():
    context = open_review("Ashcombe", "2022-24")
    assert context.notes is None
    html = report_html(context)
    text = plain_text(html)
    assert re.findall(r'<h2 id="([a-z-]+)"', html) == [a for a, _ in leadership.CONTENTS]
    assert "Report from the data" in html
    assert text.count("This section awaits the review team's notes.") == 7
    assert "The recommendations await the review team." in text
    assert "Graphs for the 12 questions" in html
    assert 'alt="12 bar charts, one for each question, of how many case records' in html


def test_a_word_notes_file_gives_the_same_report_as_its_markdown_twin(tmp_path):
    from review_lib.paths import PROJECT_ROOT, SAMPLE_DIR

    word = tmp_path / "word"
    shutil.copytree(SAMPLE_DIR, word)
    twin = tmp_path / "markdown"
    shutil.copytree(SAMPLE_DIR, twin)
    (twin / "2022-24" / "greyhaven.docx").unlink()
    shutil.copy(PROJECT_ROOT / "tests" / "data" / "notes" / "greyhaven.md",
                twin / "2022-24" / "greyhaven.md")
    from_word = open_review("Greyhaven", "2022-24", word)
    from_markdown = open_review("Greyhaven", "2022-24", twin)
    assert from_word.notes.file.endswith(".docx") and from_markdown.notes.file.endswith(".md")
    for name in SECTIONS[:-2]:  # the appendix and footer name the data folder's files
        assert getattr(leadership, name)(from_word).html == getattr(
            leadership, name)(from_markdown).html, name


def test_section_four_completes_the_published_section(dudley_context):
    section = leadership.audit_data(dudley_context)
    html = section.html
    # One chart of every question and one figure of a panel per question: two figures,
    # two captions, two alt texts.
    assert html.count("<figure") == html.count("<figcaption>") == 2
    assert "No case record was referred back to the council" in html
    assert "Requires Improvement question ratings as 15.5%, where the counts give 15.4%" in html
    assert section.frame is dudley_context.results.questions
    alts = [a.replace("&#x27;", "'") for a in re.findall(r'alt="([^"]+)"', html)]
    assert len(alts) == 2
    # The panels' alt text gives every question's counts, from the section's results.
    for qid, row in dudley_context.results.questions.iterrows():
        counts = ", ".join(f"{level} {int(row[level])}" for level in LEVELS[:3])
        assert (f"{qid} {row['label']}, {int(row['n'])} records: {counts} and Inadequate "
                f"{int(row['Inadequate'])}.") in alts[1]


def test_the_appendix_shows_every_question_as_the_auditors_read_it(dudley_context):
    """Issue 29, item 7: the questions' wording, which charts give only by label."""
    appendix = leadership.appendix(dudley_context)
    text = plain_text(appendix.html)
    assert "The questions of the audit tool" in text
    catalogue = list(dudley_context.catalogue)
    assert len(catalogue) == 12
    for question in catalogue:
        assert question.question in appendix.html.replace("&#x27;", "'").replace("&#39;", "'")
        assert f"{question.id} | {question.short_label} | " in text
