"""The review team's notes file: reading it, and every kind of problem, located by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_lib.data.notes import parse_notes, read_notes, read_programme_notes

QUESTIONS = [f"Q{i}" for i in range(1, 13)]

GOOD = """---
theme: strengths-based practice
status: final
review_dates: November to December 2023
referred_back: 0
---

# Introduction

The review took place over two weeks.

# Previous review

The host council sent these updates.

- R1: A framework is being written
  with staff.
- R2: Waiting lists are checked each week.

# Themes from the meetings

Practitioners felt supported.

# Analysis of the case records

## Voice

Most records used the person's own words.

# Observations

Practice was good.

# Key strengths

- Good support for carers

# Recommendations

- Look at how managers' oversight shows on the record. [Q11]
- Write down the practice framework. [Q2, Q3]
- Review the panel process

# Review team

- Principal Social Worker, a neighbouring council
- 7 January 2024

# Key messages

- Practice was good.
- The framework needs finishing.
- Oversight must show on the record.
"""


def kinds(problems):
    return [p.kind for p in problems]


def test_a_complete_notes_file_reads_into_its_sections_and_recommendations():
    notes, problems = parse_notes(GOOD, "dudley.md", QUESTIONS)
    assert [p for p in problems if p.is_error] == [] and problems == []
    assert notes.status == "final" and not notes.is_draft and notes.referred_back == 0
    assert notes.theme == "strengths-based practice"
    assert notes.review_dates == "November to December 2023"
    assert [(r.label, r.questions) for r in notes.recommendations] == [
        ("R1", ("Q11",)), ("R2", ("Q2", "Q3")), ("R3", ())]
    assert notes.recommendations[0].text == "Look at how managers' oversight shows on the record."
    assert [(u.number, u.text) for u in notes.updates] == [
        (1, "A framework is being written with staff."),
        (2, "Waiting lists are checked each week.")]
    assert notes.previous_review_text == "The host council sent these updates."
    assert "## Voice" in notes.section("records")
    assert notes.missing() == []


@pytest.mark.parametrize(("text", "kind", "line", "words"), [
    (GOOD.replace("status: final", "status: finished"), "notes-status", 3, "draft or final"),
    (GOOD.replace("status: final\n", ""), "notes-status", 1, "no status"),
    (GOOD.replace("# Observations", "# Observatons"), "notes-unknown-heading", 30,
     "did you mean 'Observations'"),
    (GOOD.replace("[Q11]", "[Q13]"), "notes-unknown-question", 40, "Q13"),
    (GOOD.replace("referred_back: 0", "referred_back: two"), "notes-referred-back", 5,
     "whole number"),
    (GOOD.replace("---\ntheme", "theme", 1), "notes-front-matter", 1, "front matter"),
    (GOOD.replace("# Key strengths", "# Recommendations"), "notes-duplicate-heading", 38,
     "twice"),
    (GOOD.replace("- R2:", "- R1:"), "notes-duplicate-update", 18, "second update"),
    (GOOD.replace("# Key strengths", "# Key strength"), "notes-unknown-heading", 34,
     "did you mean 'Key strengths'"),
    (GOOD.replace("referred_back: 0\n---", "referred_back: 0"), "notes-front-matter", 1,
     "not closed"),
    (GOOD.replace("status: final", "status: draft\nstatus: final"), "notes-duplicate-field",
     4, "'status' is given a second time (first at line 3, as 'draft')"),
])
def test_each_notes_problem_is_an_error_with_its_line(text, kind, line, words):
    notes, problems = parse_notes(text, "dudley.md", QUESTIONS)
    found = [p for p in problems if p.kind == kind]
    assert found, kinds(problems)
    assert found[0].is_error
    assert found[0].line == line, str(found[0])
    assert words in str(found[0]) and f"dudley.md, line {line}" in str(found[0])
    # The notes are kept, as a draft carrying the error, never dropped or left final.
    assert notes is not None and notes.is_draft and notes.status == "draft"
    assert found[0] in notes.problems


def test_warnings_for_missing_sections_and_unknown_fields_still_give_notes():
    text = GOOD.replace("themes: x\n", "").replace("theme:", "topic:")
    cut = text.index("# Themes from the meetings")
    text = text[:cut] + text[text.index("# Analysis"):]
    notes, problems = parse_notes(text, "dudley.md", QUESTIONS)
    assert notes is not None
    assert {"notes-unknown-field", "notes-missing-section"} <= set(kinds(problems))
    missing = next(p for p in problems if p.kind == "notes-missing-section")
    assert not missing.is_error and "'Themes from the meetings'" in missing.message
    assert notes.missing() == ["Themes from the meetings"]
    field = next(p for p in problems if p.kind == "notes-unknown-field")
    assert field.line == 2 and "(did you mean 'theme'?)" not in field.message  # topic: no match


def test_a_draft_is_a_draft_and_referred_back_words_are_understood():
    notes, _ = parse_notes(GOOD.replace("status: final", "status: Draft")
                           .replace("referred_back: 0", "referred_back: none"), "x.md")
    assert notes.is_draft and notes.referred_back == 0


def test_notes_beside_a_data_file_and_notes_standing_alone(tmp_path, catalogue):
    from conftest import good_rows, write_wide_csv

    from review_lib.data.loading import load_programme

    later, earlier = tmp_path / "2022-24", tmp_path / "2019"
    later.mkdir()
    earlier.mkdir()
    write_wide_csv(later / "testshire.csv", good_rows())
    (later / "testshire.md").write_text(GOOD, encoding="utf-8")
    (earlier / "testshire.md").write_text(
        "---\ncouncil: Testshire\ncycle: 2019\nstatus: final\n---\n\n# Recommendations\n\n"
        "- Make supervision regular.\n- Check waiting lists. [Q6]\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Not notes\n", encoding="utf-8")
    programme = load_programme(tmp_path)
    index = read_programme_notes(programme, [tmp_path])
    assert index.for_review("Testshire", "2022-24").theme == "strengths-based practice"
    cycle, previous = index.previous("testshire", "2022-24")
    assert cycle == "2019" and [r.text for r in previous.recommendations] == [
        "Make supervision regular.", "Check waiting lists."]
    assert not [p for p in index.problems if p.is_error]


def test_an_update_for_a_recommendation_never_made_is_located(tmp_path):
    from conftest import good_rows, write_wide_csv

    from review_lib.data.loading import load_programme

    write_wide_csv(tmp_path / "testshire.csv", good_rows())
    (tmp_path / "testshire.md").write_text(GOOD, encoding="utf-8")
    index = read_programme_notes(load_programme(tmp_path), [tmp_path])
    problem = next(p for p in index.problems if p.kind == "notes-unknown-recommendation")
    assert problem.line == 16 and "there are no previous notes" in problem.message


def test_notes_that_belong_to_no_review_are_named(tmp_path):
    from conftest import good_rows, write_wide_csv

    from review_lib.data.loading import load_programme

    write_wide_csv(tmp_path / "testshire.csv", good_rows())
    (tmp_path / "stray.md").write_text("---\nstatus: final\n---\n\n# Introduction\n\nHi.\n",
                                       encoding="utf-8")
    index = read_programme_notes(load_programme(tmp_path), [tmp_path])
    stray = next(p for p in index.problems if p.kind == "notes-no-review")
    assert stray.file == "stray.md" and "council:" in stray.expected


def test_a_notes_file_that_is_not_text_is_refused_not_crashed(tmp_path):
    path = tmp_path / "dudley.md"
    path.write_bytes(b"---\nstatus: final\n---\n\xff\xfe\x00bad")
    notes, problems = read_notes(path)
    assert problems[0].kind == "notes-encoding" and problems[0].is_error
    # Empty notes, a draft carrying the error: the report says why it has no notes.
    assert notes.is_draft and notes.problems == (problems[0],) and notes.sections == {}
    assert str(Path(tmp_path)) not in str(problems[0])


# --------------------------------------------------------------------------- nothing ignored


#: GOOD without its updates (which need a previous review's notes).
PLAIN = GOOD.replace("- R1: A framework is being written\n  with staff.\n"
                     "- R2: Waiting lists are checked each week.\n", "")


def _programme_with_notes(tmp_path, notes: dict[str, str]):
    from conftest import good_rows, write_wide_csv

    from review_lib.data.loading import load_programme

    write_wide_csv(tmp_path / "testshire.csv", good_rows())
    for name, text in notes.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return read_programme_notes(load_programme(tmp_path), [tmp_path])


def test_notes_naming_another_council_or_cycle_are_an_error_at_that_line(tmp_path):
    text = PLAIN.replace("theme:", "council: Dudley\ncycle: 2019\ntheme:")
    index = _programme_with_notes(tmp_path, {"testshire.md": text})
    found = {p.line: str(p) for p in index.problems if p.kind == "notes-other-review"}
    assert set(found) == {2, 3}, [str(p) for p in index.problems]
    assert "the notes say council: 'Dudley', but they are beside testshire.csv, which " \
           "holds Testshire 2022-24" in found[2]
    assert "cycle: '2019'" in found[3]
    notes = index.for_review("Testshire", "2022-24")
    assert notes.is_draft and len(notes.problems) == 2
    assert notes.section("introduction")  # still read, as a draft
    # Naming its own review, however spelt, is no problem.
    text = PLAIN.replace("theme:", "council: TESTSHIRE\ncycle: 2022-2024\ntheme:")
    (tmp_path / "testshire.md").write_text(text, encoding="utf-8")
    index = _programme_with_notes(tmp_path, {})
    assert not [p for p in index.problems if p.is_error], [str(p) for p in index.problems]
    assert not index.for_review("Testshire", "2022-24").is_draft


def test_a_word_file_beside_a_markdown_file_is_named(tmp_path):
    index = _programme_with_notes(tmp_path, {"testshire.md": PLAIN,
                                             "testshire.docx": "not read"})
    [problem] = [p for p in index.problems if p.kind == "notes-two-files"]
    assert problem.file.endswith("/testshire.docx") and problem.is_error
    assert "two notes files, " in problem.message
    assert "testshire.md and " in problem.message and "; only " in problem.message
    notes = index.for_review("Testshire", "2022-24")
    assert notes.file.endswith("/testshire.md") and notes.is_draft
    assert problem in notes.problems


def test_stand_alone_notes_claiming_a_review_with_notes_make_it_a_draft(tmp_path):
    claim = "---\ncouncil: Testshire\ncycle: 2022-24\nstatus: final\n---\n\n# Introduction\n\nX\n"
    index = _programme_with_notes(tmp_path, {"testshire.md": PLAIN, "extra/claim.md": claim})
    [problem] = [p for p in index.problems if p.kind == "notes-duplicate"]
    assert problem.file == "extra/claim.md" and problem.line == 2
    assert "already has notes (" in problem.message
    notes = index.for_review("Testshire", "2022-24")
    assert notes.file.endswith("/testshire.md") and notes.is_draft
    assert index.problems_for("Testshire", "2022-24") == [problem]
    assert index.unused_errors() == []


def test_errors_in_the_previous_reviews_notes_make_the_later_report_a_draft(tmp_path):
    earlier = ("---\ncouncil: Testshire\ncycle: 2019\nstatus: final\n---\n\n"
               "# Recommendations\n\n- Supervise. [Q99]\n")
    index = _programme_with_notes(tmp_path, {"testshire.md": PLAIN, "2019/testshire.md": earlier})
    problems = index.problems_for("Testshire", "2022-24")
    assert [(p.file, p.kind) for p in problems] == [("2019/testshire.md",
                                                     "notes-unknown-question")]
    assert not index.for_review("Testshire", "2022-24").problems  # its own are fine


def test_notes_beside_a_file_of_several_reviews_stand_alone(tmp_path):
    from review_lib.data.loading import load_programme

    lines = ["council,cycle,case,auditor,question,rating"]
    for council in ("Ashford", "Bexley"):
        for case in range(1, 4):
            lines += [f"{council},2022-24,{council[:2]}-{case},PSW A,{q},Good"
                      for q in [*QUESTIONS, "Overall"]]
    (tmp_path / "region.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "region.md").write_text(PLAIN.replace("theme:", "council: Bexley\ncycle: "
                                                                "2022-24\ntheme:"))
    index = read_programme_notes(load_programme(tmp_path), [tmp_path])
    assert index.for_review("Bexley", "2022-24").file == "region.md"
    assert index.for_review("Ashford", "2022-24") is None


def test_a_duplicate_field_other_than_status_is_an_error_too():
    notes, problems = parse_notes(GOOD.replace("theme:", "theme: one\ntheme:"), "x.md",
                                  QUESTIONS)
    [problem] = [p for p in problems if p.kind == "notes-duplicate-field"]
    assert problem.line == 3 and notes.is_draft


# --------------------------------------------------------------------------- issue 29: key
# messages, urgent, the action plan's fields, statuses and follows

PLAN = GOOD.replace("""- Look at how managers' oversight shows on the record. [Q11]
- Write down the practice framework. [Q2, Q3]
- Review the panel process
""", """- **Urgent:** Give the practice educator professional supervision.
  - Owner: Principal Social Worker
  - Timescale: within one month
  - Priority: High
  - Measure: a named supervisor and a session each month
- Look at how managers' oversight shows on the record. [Q11]
  - Follows: R2
  - a note that is not a field
- Review the panel process (urgent).
""").replace("- R1: A framework", "- R1 (met): A framework").replace(
    "- R2: Waiting", "- **R2 (Partially met):** Waiting")


def test_key_messages_urgent_marks_and_action_fields_are_read():
    notes, problems = parse_notes(PLAN, "dudley.md", QUESTIONS)
    assert problems == []
    assert notes.key_messages == ("Practice was good.", "The framework needs finishing.",
                                  "Oversight must show on the record.")
    first, second, third = notes.recommendations
    assert first.urgent and first.text == "Give the practice educator professional supervision."
    assert (first.owner, first.timescale, first.priority, first.measure) == (
        "Principal Social Worker", "within one month", "high",
        "a named supervisor and a session each month")
    assert not second.urgent and second.follows == "R2" and second.follows_numbers == (2,)
    assert second.tags == ("Q11",) and second.owner is None
    # a sub-bullet that is not a field is folded into the text, as before
    assert second.text == ("Look at how managers' oversight shows on the record.; a note "
                           "that is not a field")
    assert third.urgent and third.text == "Review the panel process."
    assert [(u.number, u.status) for u in notes.updates] == [(1, "met"), (2, "partly met")]
    assert notes.updates[1].text == "Waiting lists are checked each week."


def test_old_notes_without_the_new_fields_read_as_before():
    notes, _ = parse_notes(GOOD, "dudley.md", QUESTIONS)
    assert all(not r.urgent and r.owner is None and r.follows is None
               for r in notes.recommendations)
    assert [u.status for u in notes.updates] == [None, None]


@pytest.mark.parametrize(("text", "kind", "line", "words"), [
    (PLAN.replace("(met)", "(done)"), "notes-follow-up-status", 16,
     "'done' is not one the follow-up knows; expected one of: met, partly met, not met, "
     "replaced"),
    (PLAN.replace("Priority: High", "Priority: soon"), "notes-priority", 43,
     "one of: high, medium, low"),
    (PLAN.replace("Follows: R2", "Follows: the old one"), "notes-follows", 46,
     "names no recommendation"),
    (PLAN.replace("  - Measure: a named", "  - Owner: Director\n  - Measure: a named"),
     "notes-duplicate-action-field", 44, "'owner' a second time (first at line 41)"),
])
def test_each_new_notes_problem_is_an_error_with_its_line(text, kind, line, words):
    notes, problems = parse_notes(text, "dudley.md", QUESTIONS)
    found = [p for p in problems if p.kind == kind]
    assert found, kinds(problems)
    assert found[0].is_error and found[0].line == line, str(found[0])
    assert words in str(found[0]) and f"dudley.md, line {line}" in str(found[0])
    assert notes.is_draft


@pytest.mark.parametrize("count", [0, 2, 6])
def test_too_few_or_too_many_key_messages_is_a_located_warning(count):
    bullets = "".join(f"- Message {i}.\n" for i in range(count)) or "Some words.\n"
    text = GOOD[:GOOD.index("# Key messages")] + "# Key messages\n\n" + bullets
    notes, problems = parse_notes(text, "dudley.md", QUESTIONS)
    found = [p for p in problems if p.kind == "notes-key-messages"]
    assert len(found) == 1 and not found[0].is_error
    assert found[0].line == GOOD[:GOOD.index("# Key messages")].count("\n") + 1
    assert f"has {count} bullet" in str(found[0]) and "3 to 5" in str(found[0])
    assert not notes.is_draft and len(notes.key_messages) == count


def test_no_key_messages_section_is_a_missing_section_warning():
    text = GOOD[:GOOD.index("# Key messages")]
    notes, problems = parse_notes(text, "dudley.md", QUESTIONS)
    assert notes.key_messages == () and notes.missing() == ["Key messages"]
    assert [p.kind for p in problems] == ["notes-missing-section"]


def test_follow_up_counts_statuses_and_finds_recommendations_raised_again():
    from review_lib.data.notes import follow_up

    earlier, _ = parse_notes(GOOD.replace("- Review the panel process", "- Review panels [Q7]"),
                             "2019.md", QUESTIONS)
    now, _ = parse_notes(PLAN.replace("(met)", "(not met)").replace(
        "- Review the panel process (urgent).", "- Look again at panels. [Q7]"),
        "2023.md", QUESTIONS)
    found = follow_up(now, ("2019", earlier))
    assert found.counts == {"met": 0, "partly met": 1, "not met": 1, "replaced": 0, None: 1}
    # earlier R1 was not met and shares Q11 with new R2; new R2 also follows earlier R2
    # explicitly; earlier R3 has no status, so its shared tag (Q7) is not enough
    assert [item.raised_again for item in found.items] == [(2,), (2,), ()]
    assert found.earlier_for(2) == (1, 2) and found.earlier_for(3) == ()
    not_met = PLAN.replace("- Review the panel process (urgent).", "- Look again. [Q7]")
    not_met = not_met.replace("- **R2", "- R3 (not met): Panels unchanged.\n- **R2")
    found = follow_up(parse_notes(not_met, "2023.md", QUESTIONS)[0], ("2019", earlier))
    assert found.items[2].status == "not met" and found.items[2].raised_again == (3,)


def test_following_a_recommendation_the_previous_review_did_not_make_is_an_error(tmp_path):
    from review_lib.data.notes import previous_recommendations_problems

    earlier, _ = parse_notes(GOOD, "2019.md", QUESTIONS)
    now, _ = parse_notes(PLAN.replace("Follows: R2", "Follows: R9"), "2023.md", QUESTIONS)
    found = previous_recommendations_problems(now, earlier)
    assert [(p.kind, p.line, p.value) for p in found] == [
        ("notes-unknown-recommendation", 45, "R9")]
    assert "R1 to R3" in str(found[0])


def test_the_sample_notes_carry_key_messages_urgent_plans_and_statuses():
    from review_lib.paths import SAMPLE_DIR

    dudley, problems = read_notes(SAMPLE_DIR / "2022-24" / "dudley.md", None, QUESTIONS)
    assert [p for p in problems if p.is_error] == [] and 3 <= len(dudley.key_messages) <= 5
    urgent = [r for r in dudley.recommendations if r.urgent]
    assert len(urgent) == 1 and "practice educator" in urgent[0].text
    assert all(r.owner and r.timescale and r.priority for r in dudley.recommendations)
    assert {u.number: u.status for u in dudley.updates}[3] == "partly met"
    follows = {r.follows for r in dudley.recommendations if r.follows}
    assert follows == {"R3", "R13"}  # 2019's supervision and case-file audit, raised again


def test_the_blank_template_shows_examples_that_are_never_read_as_notes():
    from review_lib.data.notes_template import notes_template

    text = notes_template("Dudley", "2022-24")
    for example in ("- R2 (partly met):", "  - Owner: Principal Social Worker",
                    "- **Urgent:** Make sure", "  - Follows: R2"):
        assert example in text
    assert text.index("# Key messages") < text.index("# Introduction")
    notes, problems = parse_notes(text, "dudley.md", QUESTIONS)
    assert (notes.recommendations, notes.key_messages, notes.updates) == ((), (), ())
    assert {p.kind for p in problems} == {"notes-missing-section"}
    # filled in as the examples show, the same lines are read
    filled = text.replace("<!-- For example:\n", "").replace("\n-->\n", "\n")
    notes, problems = parse_notes(filled, "dudley.md", QUESTIONS)
    assert len(notes.key_messages) == 3 and [u.status for u in notes.updates] == [
        "met", "partly met", "not met", "replaced"]
    assert notes.recommendations[0].urgent and notes.recommendations[0].follows == "R2"
    assert notes.recommendations[1].priority == "medium"


def test_a_commented_out_recommendation_is_not_read():
    text = GOOD.replace("- Review the panel process", "<!-- - Review the panel process -->")
    notes, _ = parse_notes(text, "dudley.md", QUESTIONS)
    assert [r.label for r in notes.recommendations] == ["R1", "R2"]


def test_a_word_notes_file_gives_urgent_marks_and_the_plans_nested_bullets(tmp_path):
    """In Word, the fields are a nested list under the recommendation (pandoc reads it)."""
    import pypandoc

    source = tmp_path / "n.md"
    source.write_text("| field | value |\n|---|---|\n| status | final |\n\n# Key messages\n\n"
                      "- One.\n- Two.\n- Three.\n\n# Previous review\n\n"
                      "- **R1 (not met):** Nothing yet.\n\n# Recommendations\n\n"
                      "- **Urgent:** Supervise every Social Worker. [Q11]\n"
                      "    - Owner: Principal Social Worker\n"
                      "    - Priority: high\n- Review quality assurance.\n")
    pypandoc.convert_file(str(source), "docx", outputfile=str(tmp_path / "n.docx"))
    notes, problems = read_notes(tmp_path / "n.docx", None, QUESTIONS)
    assert [p for p in problems if p.is_error] == []
    assert notes.key_messages == ("One.", "Two.", "Three.")
    first, second = notes.recommendations
    assert first.urgent and first.text == "Supervise every Social Worker."
    assert (first.questions, first.owner, first.priority) == (
        ("Q11",), "Principal Social Worker", "high")
    assert second.text == "Review quality assurance." and not second.urgent
    assert [(u.number, u.status, u.text) for u in notes.updates] == [(1, "not met",
                                                                       "Nothing yet.")]


def test_the_new_patterns_read_a_hostile_line_in_linear_time():
    import time

    spaces = " " * 100_000
    text = GOOD.replace("- Review the panel process",
                        f"- Urgent{spaces}x\n  - Owner{spaces}x\n  - **R1 ({spaces}x")
    text = text.replace("- R2: Waiting", f"- R2 (met){spaces}: Waiting")
    started = time.process_time()  # this process's CPU, not the machine's load
    notes, _ = parse_notes(text, "dudley.md", QUESTIONS)
    assert time.process_time() - started < 2  # quadratic would take minutes
    assert not notes.recommendations[2].urgent and notes.recommendations[2].owner is None


def test_many_unclosed_comments_are_read_in_linear_time():
    import time

    text = GOOD.replace("- Review the panel process", "- Review <!-- " + "<!--" * 50_000)
    started = time.process_time()  # this process's CPU, not the machine's load
    notes, _ = parse_notes(text, "dudley.md", QUESTIONS)
    assert time.process_time() - started < 2  # quadratic would take minutes
    assert len(notes.recommendations) == 3  # an unclosed comment is kept as typed
