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
    # after the review team's key messages, the figures open with the share
    first = summary.split("What the case records show\n\n", 1)[1]
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
    items = re.split(r'<li value="\d+"><p class="recommendation">', section.html)[1:]
    tagged = {row.recommendation for row in section.frame.itertuples() if row.questions}
    for item in items:
        text = re.sub(r"<strong class=\"urgent-mark\">Urgent</strong> ", "",
                      item.split("</p>", 1)[0])
        assert text in set(section.frame["recommendation"])
        assert ('class="evidence"' in item) == any(text == t for t in tagged)


def test_the_previous_reviews_recommendations_are_followed_up(dudley_context):
    section = leadership.previous_review(dudley_context)
    assert len(section.frame) == 15 and section.frame["update"].notna().all()
    assert "The previous review, in the 2019 cycle (June 2019), made 15 recommendations" in (
        section.text)
    northwold = leadership.previous_review(open_review("Northwold", "2022-24")).frame
    assert northwold["update"].notna().all()
    assert list(northwold["status"]) == ["partly met", "not met", "met", "met", "partly met",
                                         "replaced"]


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


# --------------------------------------------------------------------------- issue 29: key
# messages first, urgent recommendations, statuses, raised again, the action plan


def test_the_summary_opens_with_the_key_messages_and_the_urgent_recommendation(dudley_context):
    section = leadership.summary(dudley_context)
    text, html = section.text, section.html
    order = [text.index(words) for words in (
        "Key messages", "Practice in the records was mostly good",
        "One recommendation is to be put right urgently",
        "practice educator in the hospital team who has none",
        "18 of the 20 case records (90%) were Good or better overall")]
    assert order == sorted(order)
    urgent = html.split('<div class="urgent" role="note">', 1)[1].split("</div>", 1)[0]
    assert '<strong class="urgent-mark">Urgent</strong>' in urgent and "R1" in urgent
    assert "Owner: Principal Social Worker" in urgent
    # the summary's list of recommendations marks it too, and only it
    listed = html.split("The review team's recommendations", 1)[1]
    assert listed.count('class="urgent-mark"') == 1


@pytest.mark.parametrize("council", ["Ashcombe", "Kestrel Vale"])
def test_without_key_messages_the_summary_says_they_await_the_review_team(council, tmp_path):
    from review_lib.paths import SAMPLE_DIR

    shutil.copytree(SAMPLE_DIR, tmp_path / "sample")
    notes = tmp_path / "sample" / "2022-24" / "kestrel-vale.md"
    text = notes.read_text()
    notes.write_text(text[:text.index("# Key messages")] + text[text.index("# Introduction"):])
    context = open_review(council, "2022-24", tmp_path / "sample")
    assert not getattr(context.notes, "key_messages", ())  # no notes, or none written
    text = leadership.summary(context).text
    assert text.split("Key messages\n\n", 1)[1].startswith(
        "The key messages await the review team.")
    assert "urgently" not in text


def test_the_summary_counts_the_previous_reviews_statuses_and_what_is_raised_again():
    dudley = leadership.summary(open_review("Dudley", "2022-24")).text
    assert ("Of the 2019 review's 15 recommendations, 10 were met and 5 partly met."
            in dudley)
    assert "This review raises again 2019 R3 and 2019 R13: see its recommendations R2 and R6." in (
        dudley)
    northwold = leadership.summary(open_review("Northwold", "2022-24")).text
    assert ("Of the 2019 review's 6 recommendations, 2 were met, 2 partly met, 1 not met and 1 "
            "replaced.") in northwold
    greyhaven = leadership.summary(open_review("Greyhaven", "2022-24")).text
    assert ("Of the 2019 review's 5 recommendations, 3 were met and 2 partly met. This review "
            "raises again 2019 R3: see its recommendation R2.") in greyhaven


def test_updates_written_before_statuses_existed_are_said_to_give_none(tmp_path):
    import re as pattern

    from review_lib.paths import SAMPLE_DIR

    shutil.copytree(SAMPLE_DIR, tmp_path / "sample")
    notes = tmp_path / "sample" / "2022-24" / "northwold.md"
    notes.write_text(pattern.sub(r"^- R(\d) \([a-z ]+\): ", r"- R\1: ", notes.read_text(),
                                 flags=pattern.M))
    text = leadership.summary(open_review("Northwold", "2022-24", tmp_path / "sample")).text
    assert ("The host council's updates give no status (met, partly met, not met or replaced) "
            "for the 2019 review's 6 recommendations.") in text
    # raised again only by its Follows: lines (no earlier recommendation is 'not met' now)
    assert "This review raises again 2019 R1 and 2019 R5: see its recommendations R2 and R5." in (
        text)


def test_section_two_shows_each_status_raised_again_and_the_questions_change():
    context = open_review("Northwold", "2022-24")
    section = leadership.previous_review(context)
    items = re.split(r'<li value="\d+">', section.html.split('<ol class="follow-up">', 1)[1])[1:]
    first = plain_text(items[0])
    assert "Status: partly met" in first and "Raised again in this review: see R2" in first
    table = context.results.change.questions
    q11 = {key: int(table.loc["Q11", key]) for key in ("before_good", "before_n",
                                                       "after_good", "after_n")}
    assert (f"Management oversight (Q11): {q11['before_good']} of {q11['before_n']} records "
            f"(5%) in 2019; {q11['after_good']} of {q11['after_n']} (15%) in 2022-24.") in first
    # R2 was not met and shares Q10 with this review's R3: raised again by its tag
    assert "Status: not met" in plain_text(items[1]) and "see R3" in plain_text(items[1])
    # an untagged recommendation shows no question's change
    assert "Then and now" not in plain_text(items[5])
    assert section.frame.loc["R6", "status"] == "replaced"
    kinds = {c.kind for c in section.claims}
    assert {"recommendation_statuses", "question_change"} <= kinds


def test_an_update_without_a_status_and_a_missing_update_are_said_plainly(tmp_path):
    from review_lib.paths import SAMPLE_DIR

    shutil.copytree(SAMPLE_DIR, tmp_path / "sample")
    notes = tmp_path / "sample" / "2022-24" / "northwold.md"
    text = notes.read_text().replace("- R3 (met): ", "- R3: ")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("- R6 "))
    notes.write_text(text)
    section = leadership.previous_review(open_review("Northwold", "2022-24",
                                                     tmp_path / "sample"))
    assert ("Of these 6 recommendations, 1 was met, 2 partly met and 1 not met; 2 have no "
            "status in the update.") in section.text
    assert section.text.count("Status: not given") == 2
    assert "No update given." in section.text


def test_section_eight_shows_the_plan_and_what_is_raised_again(dudley_context):
    section = leadership.recommendations(dudley_context)
    frame = section.frame
    assert frame.loc["R1", "urgent"] and not frame["urgent"].iloc[1:].any()
    assert frame.loc["R2", "raised_again"] == "R3" and frame.loc["R6", "raised_again"] == "R13"
    assert frame.loc["R3", "owner"] == "Team Managers, led by the Head of Service"
    text = section.text
    assert "Raised again: see 2019 R3 (section 2)." in text
    assert "Raised again: see 2019 R13 (section 2)." in text
    assert 'href="action-plan.xlsx"' in section.html and 'href="action-plan.docx"' in (
        section.html)
    first = section.html.split('<li value="2">', 1)[0]
    assert '<strong class="urgent-mark">Urgent</strong>' in first
    assert "<dt>Timescale</dt><dd>within one month</dd>" in first
