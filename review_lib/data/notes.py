"""The review team's notes file: the parts of the report that people write.

A notes file sits beside a review's data file with the same name (``dudley.md`` beside
``dudley.xlsx``, or ``dudley.docx`` written in Word, read through pandoc). It has front
matter (theme, status, review dates, case records referred back) and one top-level heading
per section of the published report that people write: sections 1-3 and 5-8, and the review
team, and three to five key messages that open the summary. Recommendations are bullets,
optionally tagged with audit question ids (``[Q11]``), marked ``**Urgent:**``, with the
action plan's fields as sub-bullets (``- Owner: ...``, timescale, priority, measure,
``- Follows: R3``); the next cycle's notes give updates on them by number and status
(``R1 (met): ...``, see :mod:`review_lib.data.follow_up`). The format is set out in
``docs/notes.md``. Every problem is located by file and line.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from review_lib.data.follow_up import (  # noqa: F401 (re-exported: the notes' API)
    _STATUS_WORDS,
    FOLLOW_UP_STATUSES,
    FollowedUp,
    FollowUp,
    follow_up,
    previous_recommendations_problems,
    recommendations_summary,
)
from review_lib.data.problems import WARNING, Problem

#: The sections, in the report's order: key, heading, the published report's number.
SECTIONS: tuple[tuple[str, str, int], ...] = (
    ("key_messages", "Key messages", 0),
    ("introduction", "Introduction", 1),
    ("previous_review", "Previous review", 2),
    ("meetings", "Themes from the meetings", 3),
    ("records", "Analysis of the case records", 5),
    ("observations", "Observations", 6),
    ("key_strengths", "Key strengths", 7),
    ("recommendations", "Recommendations", 8),
    ("review_team", "Review team", 0),
)

#: Front-matter fields, with what each holds.
FIELDS = {
    "council": "the council (needed only when no data file is beside the notes)",
    "cycle": "the programme cycle, such as 2022-24 (likewise)",
    "theme": "the theme the host council chose",
    "status": "draft or final",
    "review_dates": "when the review took place, in words",
    "referred_back": "how many case records were referred back for significant concerns",
    "selection": "how the host council chose the case records: random (drawn at random) or "
                 "chosen (picked, for example around the theme)",
    "moderation": "the moderation exercise of the cycle in which this review's auditors "
                  "took part under the same labels (its name)",
}

STATUSES = ("draft", "final")

#: How many key messages the summary is written for: fewer or more is a warning.
KEY_MESSAGES = (3, 5)

#: A recommendation's priorities, highest first.
PRIORITIES = ("high", "medium", "low")

#: The action-plan fields a recommendation's sub-bullets may give (``- Owner: ...``).
ACTION_FIELDS = ("owner", "timescale", "priority", "measure", "follows")

#: How case records may have been chosen (the ``selection`` field), with forgiving spellings.
SELECTIONS = {"random": "random", "at random": "random", "drawn at random": "random",
              "chosen": "chosen", "selected": "chosen", "picked": "chosen"}

#: Suffixes a notes file may have, in the order they are looked for.
NOTES_SUFFIXES = (".md", ".docx")

_HEADINGS = {heading.casefold(): key for key, heading, _ in SECTIONS}
_BULLET = re.compile(r"^[-*+]\s+(.*)$")
# Every pattern here is linear in its line: no two quantifiers may share what they match
# (a tag list such as "[Q1   Q2   ...]" once took minutes, a heading of spaces as long).
_TAG_ID = re.compile(r"[A-Za-z]+\d+[A-Za-z]?")
_TAG_SEPARATOR = re.compile(r"[\s,]+")
_UPDATE = re.compile(r"^\**R(\d+)\**(?:\s*\(([^()]*)\)\**\s*[:.\-–—]?|\s*[:.)\-–—])\**\s*(.*)$",
                     re.IGNORECASE)
# "- Owner: Head of Service" under a recommendation (bold allowed: "**Owner:** ...").
_ACTION_FIELD = re.compile(r"^[\s*]*(owner|timescale|priority|measure|follows)[\s*]*:[\s*]*(.*)$",
                           re.IGNORECASE)
# "**Urgent:** ..." or "Urgent - ..." opening a recommendation; "(urgent)" closing it.
_URGENT_OPENING = re.compile(r"^[\s*]*urgent[\s*]*[:\-–—][\s*]*", re.IGNORECASE)
_FOLLOWS = re.compile(r"\bR(\d+)\b", re.IGNORECASE)


def _without_comments(text: str) -> str:
    """Text without its closed ``<!-- -->`` comments (guidance); an unclosed one is kept."""
    from review_lib.data.narrative import strip_comments

    return strip_comments(text, escape_unclosed=False)


def _heading(line: str) -> str | None:
    """The text of a top-level heading (``# Introduction #``), or None for any other line."""
    if not line.startswith("#") or line.startswith(("##", "#!")):
        return None
    return line[1:].strip().rstrip("#").rstrip()


@dataclass(frozen=True)
class Recommendation:
    """One recommendation of a review.

    Attributes
    ----------
    number : int
        Its place in the list, from 1 (shown as R1).
    text : str
        The recommendation, without its tags.
    questions : tuple of str
        The audit questions it rests on (``[Q11]`` in the notes); also :attr:`tags`.
    line : int
        Where it is in the notes file.
    urgent : bool
        Marked ``**Urgent:**`` at its start (or ``(urgent)`` at its end): to be put right
        now, and shown first in the summary.
    owner, timescale, priority, measure : str or None
        The action plan's fields, from sub-bullets such as ``- Owner: Head of Service``;
        ``priority`` is one of :data:`PRIORITIES`.
    follows : str or None
        The previous review's recommendations it takes up again (``- Follows: R3``), as
        ``"R3"`` or ``"R3, R13"``.
    """

    number: int
    text: str
    questions: tuple[str, ...] = ()
    line: int = 0
    urgent: bool = False
    owner: str | None = None
    timescale: str | None = None
    priority: str | None = None
    measure: str | None = None
    follows: str | None = None

    @property
    def label(self) -> str:
        """``"R1"``."""
        return f"R{self.number}"

    @property
    def tags(self) -> tuple[str, ...]:
        """The audit questions it rests on (the same as :attr:`questions`)."""
        return self.questions

    @property
    def follows_numbers(self) -> tuple[int, ...]:
        """The previous review's recommendations it says it follows (``Follows: R3``)."""
        return tuple(int(n) for n in _FOLLOWS.findall(self.follows or ""))


@dataclass(frozen=True)
class Update:
    """The host council's update on one of the previous review's recommendations.

    Attributes
    ----------
    number : int
        The previous review's recommendation it is about.
    text : str
        The update.
    line : int
        Where it is in the notes file.
    status : str or None
        One of :data:`FOLLOW_UP_STATUSES` (``- R1 (met): ...``), or None when not given.
    """

    number: int
    text: str
    line: int = 0
    status: str | None = None


@dataclass(frozen=True)
class ReviewNotes:
    """A review team's notes, read and checked.

    Attributes
    ----------
    file : str
        The notes file's name (never a path).
    status : str
        ``"draft"`` or ``"final"``.
    council, cycle : str or None
        From the front matter (needed only when no data file is beside the notes).
    theme, review_dates : str or None
        From the front matter.
    referred_back : int or None
        Case records referred back for significant concerns, when stated.
    selection : str or None
        ``"random"`` when the host council drew the case records at random, ``"chosen"``
        when it picked them; None when the notes do not say.
    moderation : str or None
        The moderation exercise of the same cycle in which this review's auditors took part,
        under the same labels (so that their leniency there can be shown beside their
        ratings).
    sections : dict of str to str
        Section key (see :data:`SECTIONS`) to its Markdown, as written.
    key_messages : tuple of str
        The bullets of the Key messages section (three to five are expected).
    recommendations : tuple of Recommendation
        The bullets of the Recommendations section, numbered.
    updates : tuple of Update
        The ``R<n>:`` bullets of the Previous review section.
    previous_review_text : str
        The rest of the Previous review section (its introduction, say).
    moderation_line : int or None
        The line of the file that names the moderation exercise.
    lines : tuple of (int, str)
        Every line of the sections, with its line number in the file, so that what the
        text states can be checked against the data at its line
        (:mod:`review_lib.data.notes_figures`).
    field_lines : dict of str to int
        The line of each front-matter field given.
    problems : tuple of Problem
        The errors found in the notes, or about them (a second notes file for the review,
        a ``council:`` naming another review, an update on no recommendation): notes with
        any error are read as far as they can be and always make a draft, whose report
        lists these (``status`` is then ``"draft"`` whatever the file says).
    """

    file: str
    status: str = "final"
    council: str | None = None
    cycle: str | None = None
    theme: str | None = None
    review_dates: str | None = None
    referred_back: int | None = None
    selection: str | None = None
    moderation: str | None = None
    sections: dict[str, str] = field(default_factory=dict)
    recommendations: tuple[Recommendation, ...] = ()
    key_messages: tuple[str, ...] = ()
    updates: tuple[Update, ...] = ()
    previous_review_text: str = ""
    moderation_line: int | None = None
    lines: tuple[tuple[int, str], ...] = ()
    problems: tuple[Problem, ...] = ()
    field_lines: dict[str, int] = field(default_factory=dict)

    @property
    def is_draft(self) -> bool:
        """Whether the report is a draft (as the notes say, or because they have errors)."""
        return self.status == "draft" or bool(self.problems)

    def with_problems(self, problems) -> ReviewNotes:
        """These notes with further errors, which make them a draft.

        Parameters
        ----------
        problems : iterable of Problem
            Errors about these notes found beyond the file itself.

        Returns
        -------
        ReviewNotes
            A copy, with the errors added (each once) and the status ``"draft"``.
        """
        added = tuple(p for p in problems if p.is_error and p not in self.problems)
        if not added:
            return self
        return replace(self, status="draft", problems=self.problems + added)

    def section(self, key: str) -> str | None:
        """A section's Markdown, or None when the team has not written it."""
        text = self.sections.get(key, "")
        return text if text.strip() else None

    def update_for(self, number: int) -> Update | None:
        """The update on the previous review's recommendation ``number``, if given."""
        return next((u for u in self.updates if u.number == number), None)

    def missing(self) -> list[str]:
        """Headings of the sections not written yet, in the report's order."""
        return [heading for key, heading, _ in SECTIONS if self.section(key) is None]


def notes_path(data_file: Path) -> Path | None:
    """The notes file beside a data file (``.md`` first, then ``.docx``), if there is one.

    Parameters
    ----------
    data_file : Path
        A review's data file (or where it would be).

    Returns
    -------
    Path or None
        The notes file.
    """
    return _notes_beside(data_file, {})


def _notes_beside(data_file: Path, listings: dict[Path, frozenset[str]]) -> Path | None:
    """:func:`notes_path`, with each folder listed once (``listings``) for many files."""
    folder = data_file.parent
    if folder not in listings:
        try:
            # casefolded: on a file system that ignores case, is_file() finds either
            listings[folder] = frozenset(name.casefold() for name in os.listdir(folder))
        except OSError:
            listings[folder] = frozenset()
    for suffix in NOTES_SUFFIXES:
        candidate = data_file.with_suffix(suffix)
        if candidate.name.casefold() in listings[folder] and candidate.is_file():
            return candidate
    return None


def _problem(kind: str, file: str, line: int | None, message: str, expected: str = "",
             value: str | None = None, severity: str = "error") -> Problem:
    return Problem(kind, file, message, expected=expected, severity=severity, line=line,
                   value=value)


def _word_text(path: Path, name: str) -> tuple[str | None, Problem | None]:
    """A Word notes file as Markdown (through pandoc), its first table as front matter.

    The file is checked before anything unpacks it, and pandoc runs with limits of time
    and memory (:func:`review_lib.data.word.word_markdown`); the problem is returned when
    it cannot be read.
    """
    from review_lib.data.word import word_markdown

    markdown, problem = word_markdown(path, name)
    if markdown is None:
        return None, problem
    return _word_front_matter(markdown), None


def _word_front_matter(markdown: str) -> str:
    """A Word file's Markdown (from pandoc), its first table made the front matter."""
    # pandoc escapes the brackets of a tag ("\\[Q11\\]") and apostrophes; the notes mean them.
    markdown = re.sub(r"\\([\[\]'\"])", r"\1", markdown)
    lines = markdown.splitlines()
    table = [i for i, line in enumerate(lines) if line.lstrip().startswith("|")]
    if not table:
        return markdown
    first = table[0]
    last = first
    while last + 1 < len(lines) and lines[last + 1].lstrip().startswith("|"):
        last += 1
    before = "\n".join(lines[:first]).strip()
    if before and not before.startswith("#"):
        return markdown  # a table later in the text, not the front matter
    rows = []
    for line in lines[first:last + 1]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and not set("".join(cells)) <= set("-: "):
            rows.append(cells)
    front = ["---", *(f"{cells[0]}: {cells[1]}" for cells in rows), "---"]
    return "\n".join([*front, *lines[:first], *lines[last + 1:]])


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def _front_matter(lines: list[str], file: str, problems: list[Problem]) -> tuple[dict, int]:
    """The front-matter fields and the index of the first line after them."""
    if not lines or lines[0].strip() != "---":
        problems.append(_problem(
            "notes-front-matter", file, 1, "the notes file has no front matter",
            "a first line '---', then 'status: draft' or 'status: final' and the other "
            "fields, then '---' (see docs/notes.md)"))
        return {}, 0
    values: dict[str, tuple[str, int]] = {}
    for index in range(1, len(lines)):
        line = lines[index]
        if line.strip() == "---":
            return values, index + 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, colon, value = line.partition(":")
        key = _key(name)
        if not colon or key not in FIELDS:
            close = difflib.get_close_matches(key, list(FIELDS), n=1)
            problems.append(_problem(
                "notes-unknown-field", file, index + 1,
                f"'{name.strip()}' is not a notes field"
                + (f" (did you mean '{close[0]}'?)" if close else ""),
                "one of " + ", ".join(FIELDS), value=line.strip(), severity=WARNING))
            continue
        if key in values:
            # Which one was meant cannot be told: "status: draft" then "status: final"
            # must never publish a draft as final.
            problems.append(_problem(
                "notes-duplicate-field", file, index + 1,
                f"'{key}' is given a second time (first at line {values[key][1]}, as "
                f"{values[key][0]!r})", f"each field once: delete one of the two '{key}:' "
                "lines", value=line.strip()))
            continue
        values[key] = (value.strip().strip("\"'"), index + 1)
    problems.append(_problem("notes-front-matter", file, 1,
                             "the front matter is not closed", "a line '---' after the fields"))
    return values, len(lines)


def _tags(text: str) -> tuple[str, tuple[str, ...]]:
    """A recommendation's text and the question ids of its closing ``[Q2, Q3]``.

    Read by hand rather than by one pattern, in time linear in the text: the tags are the
    last bracketed group, closing the text (a full stop may follow), made only of ids such
    as ``Q11`` separated by commas or spaces.
    """
    body = text.rstrip()
    if body.endswith("."):
        body = body[:-1].rstrip()
    start = body.rfind("[")
    if not body.endswith("]") or start < 0:
        return text.strip(), ()
    ids = [t for t in _TAG_SEPARATOR.split(body[start + 1:-1]) if t]
    if not ids or not all(_TAG_ID.fullmatch(t) for t in ids):
        return text.strip(), ()
    return body[:start].rstrip(), tuple(t.upper() for t in ids)


def _uncommented(body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A section's lines with closed ``<!-- -->`` comments blanked, line numbers kept.

    So that an example in the template's guidance, or a recommendation the team has
    commented out, is never read as a bullet.
    """
    text = "\n".join(line for _, line in body)
    parts, position = [], 0
    while (start := text.find("<!--", position)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break  # never closed: kept as typed, as the report shows it
        parts += [text[position:start], "\n" * text.count("\n", start, end)]
        position = end + 3
    if not parts:
        return body
    kept = "".join(parts) + text[position:]
    return list(zip((n for n, _ in body), kept.split("\n"), strict=True))


def _bullet_items(body: list[tuple[int, str]]
                  ) -> list[tuple[int, str, list[tuple[int, str, bool]]]]:
    """Top-level bullets: (line, text, the indented lines under it as (line, text, bullet))."""
    items: list[tuple[int, str, list[tuple[int, str, bool]]]] = []
    for line_no, line in body:
        match = _BULLET.match(line)
        if match:
            items.append((line_no, match.group(1).strip(), []))
        elif items and line.strip() and (line.startswith((" ", "\t"))):
            inner = _BULLET.match(line.strip())
            items[-1][2].append((line_no, (inner.group(1) if inner else line).strip(),
                                 inner is not None))
    return items


def _folded(text: str, lines) -> str:
    """A bullet's text with the lines under it folded in: sub-bullets after a semicolon."""
    for _, extra, bullet in lines:
        text = text.rstrip() + "; " + extra if bullet else text + " " + extra
    return text


def _bullets(body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Top-level bullets (line, text), continuation lines folded in."""
    return [(line_no, _folded(text, lines)) for line_no, text, lines in _bullet_items(body)]


def _urgent(text: str) -> tuple[str, bool]:
    """A recommendation's text without its urgent mark, and whether it had one."""
    opening = _URGENT_OPENING.match(text)
    if opening:
        return text[opening.end():].strip(), True
    body = text.rstrip()
    stop = body.endswith(".")
    core = body[:-1].rstrip() if stop else body
    if core.casefold().endswith(")"):
        start = core.rfind("(")
        if start >= 0 and core[start + 1:-1].strip().casefold() == "urgent":
            return core[:start].rstrip() + ("." if stop else ""), True
    return text, False


def _recommendation(number: int, line_no: int, item: str, lines, file: str, known,
                    problems: list[Problem]) -> Recommendation:
    """One recommendation: its text and tags, its urgent mark and its action-plan fields."""
    extra, fields = [], {}
    for sub_line, sub_text, bullet in lines:
        match = _ACTION_FIELD.match(sub_text)
        if match is None:
            extra.append((sub_line, sub_text, bullet))
            continue
        key, value = match.group(1).casefold(), match.group(2).strip().strip("*").strip()
        if key in fields:
            problems.append(_problem(
                "notes-duplicate-action-field", file, sub_line,
                f"R{number} gives '{key}' a second time (first at line {fields[key][1]})",
                f"one '{key.capitalize()}:' line per recommendation", value=sub_text[:60]))
            continue
        fields[key] = (value, sub_line)
    # Tags close the recommendation's own line, or the text once its other lines are folded.
    head, own = _tags(item)
    text, ids = _tags(_folded(head, extra))
    ids = own + tuple(q for q in ids if q not in own)
    text, urgent = _urgent(text)
    for qid in ids:
        if known is not None and qid not in known:
            close = difflib.get_close_matches(qid, sorted(known), n=1)
            problems.append(_problem(
                "notes-unknown-question", file, line_no,
                f"recommendation R{number} is tagged with {qid}, which "
                "is not a question of the audit tool"
                + (f" (did you mean {close[0]}?)" if close else ""),
                "ids from the question catalogue, such as [Q11]", value=qid))
    values = {key: value or None for key, (value, _) in fields.items()}
    priority = values.get("priority")
    if priority is not None:
        if priority.casefold() in PRIORITIES:
            priority = priority.casefold()
        else:
            problems.append(_problem(
                "notes-priority", file, fields["priority"][1],
                f"R{number}'s priority {priority!r} is not one the action plan knows",
                "one of: " + ", ".join(PRIORITIES) + " (mark a recommendation urgent with "
                "'**Urgent:**' at its start)", value=priority))
            priority = None
    follows = values.get("follows")
    if follows is not None:
        numbers = _FOLLOWS.findall(follows)
        if not numbers:
            problems.append(_problem(
                "notes-follows", file, fields["follows"][1],
                f"R{number} says it follows {follows!r}, which names no recommendation",
                "the previous review's recommendation it takes up again, such as "
                "'Follows: R3' (or 'Follows: R3, R13')", value=follows))
            follows = None
        else:
            follows = ", ".join(f"R{int(n)}" for n in numbers)
    return Recommendation(
        number, text, tuple(q for q in ids if known is None or q in known), line_no,
        urgent=urgent, owner=values.get("owner"), timescale=values.get("timescale"),
        priority=priority, measure=values.get("measure"), follows=follows)


def _status(raw: str | None, number: int, file: str, line: int,
            problems: list[Problem]) -> str | None:
    """An update's status, ``- R1 (met): ...``, read forgivingly; an unknown one is an error."""
    if raw is None:
        return None
    status = _STATUS_WORDS.get(" ".join(raw.casefold().replace("-", " ").split()))
    if status is None:
        problems.append(_problem(
            "notes-follow-up-status", file, line,
            f"R{number}'s status {raw.strip()!r} is not one the follow-up knows",
            "one of: " + ", ".join(FOLLOW_UP_STATUSES) + ", in brackets after the number: "
            "'- R1 (met): ...'", value=raw.strip()))
    return status


def parse_notes(text: str, file: str, question_ids=None) -> tuple[ReviewNotes | None,
                                                                   list[Problem]]:
    """Read the text of a notes file.

    Parameters
    ----------
    text : str
        The file's Markdown (a Word file already converted).
    file : str
        Its name, for messages.
    question_ids : collection of str, optional
        The catalogue's question ids, to check recommendations' tags.

    Returns
    -------
    tuple
        The notes and every problem found. Notes with errors are read as far as they can
        be, as a draft that carries its errors (:attr:`ReviewNotes.problems`), so that the
        report shows them rather than leaving the notes out.
    """
    problems: list[Problem] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields, start = _front_matter(lines, file, problems)
    status, status_line = fields.get("status", ("", 1))
    status = status.casefold()
    if "status" not in fields and start:
        problems.append(_problem("notes-status", file, 1, "the front matter gives no status",
                                 "status: draft or status: final"))
    elif "status" in fields and status not in STATUSES:
        problems.append(_problem("notes-status", file, status_line,
                                 f"the status is {fields['status'][0]!r}", "draft or final",
                                 value=fields["status"][0]))
    referred: int | None = None
    if fields.get("referred_back", ("",))[0]:  # a blank field is not given yet
        raw, line = fields["referred_back"]
        word = {"none": "0", "no": "0", "nil": "0"}.get(raw.casefold(), raw)
        if word.isdigit():
            referred = int(word)
        else:
            problems.append(_problem(
                "notes-referred-back", file, line,
                "referred_back is not a number of case records",
                "a whole number, 0 when no case was referred back", value=raw))
    selection: str | None = None
    if fields.get("selection", ("",))[0]:
        raw, line = fields["selection"]
        selection = SELECTIONS.get(" ".join(raw.casefold().split()))
        if selection is None:
            problems.append(_problem(
                "notes-selection", file, line, "selection is not a way of choosing records",
                "random (drawn at random) or chosen (picked by the council)", value=raw))
    bodies: dict[str, list[tuple[int, str]]] = {}
    heading_lines: dict[str, int] = {}
    current: str | None = None
    unknown = False
    for index in range(start, len(lines)):
        line = lines[index]
        name = _heading(line)
        if name is not None:
            key = _HEADINGS.get(name.casefold().rstrip(":"))
            if key is None:
                close = difflib.get_close_matches(name.casefold(), list(_HEADINGS), n=1,
                                                  cutoff=0.6)
                hint = (f" (did you mean '{next(h for k, h, _ in SECTIONS if k == _HEADINGS[close[0]])}'?)"  # noqa: E501
                        if close else "")
                problems.append(_problem(
                    "notes-unknown-heading", file, index + 1,
                    f"'{name}' is not a section of the report{hint}",
                    "one of: " + "; ".join(h for _, h, _ in SECTIONS), value=line.strip()))
                current = None
                unknown = True  # its text is not shown: the heading's error says so
            elif key in bodies:
                problems.append(_problem(
                    "notes-duplicate-heading", file, index + 1,
                    f"'{name}' appears twice", "each section once", value=line.strip()))
                current = key
            else:
                bodies[key] = []
                heading_lines[key] = index + 1
                current = key
            continue
        if current is not None:
            bodies[current].append((index + 1, line))
        elif line.strip() and start and not bodies and index >= start and not unknown:
            problems.append(_problem(
                "notes-text-outside", file, index + 1,
                "text before the first section heading is not shown in the report",
                "text under one of the section headings", value=line.strip()[:60],
                severity=WARNING))
    for key, heading, _ in SECTIONS:
        if key not in bodies or not _without_comments("\n".join(t for _, t in bodies[key])
                                                  ).strip():
            problems.append(_problem(
                "notes-missing-section", file, None,
                f"there is no '{heading}' section yet; the report says it awaits the review "
                "team", f"a heading '# {heading}'", severity=WARNING))
    known = {str(q).upper() for q in question_ids} if question_ids is not None else None
    recommendations = [
        _recommendation(number, line_no, item, lines, file, known, problems)
        for number, (line_no, item, lines) in enumerate(
            _bullet_items(_uncommented(bodies.get("recommendations", []))), start=1)]
    key_messages = tuple(_folded(text, lines) for _, text, lines in
                         _bullet_items(_uncommented(bodies.get("key_messages", []))))
    low, high = KEY_MESSAGES
    written = _without_comments("\n".join(t for _, t in bodies.get("key_messages", [])))
    if "key_messages" in bodies and written.strip() and not low <= len(key_messages) <= high:
        problems.append(_problem(
            "notes-key-messages", file, heading_lines["key_messages"],
            f"the Key messages section has {len(key_messages)} bullet"
            f"{'' if len(key_messages) == 1 else 's'}",
            f"{low} to {high} short bullets, the review team's main messages, which open "
            "the report's summary", value=str(len(key_messages)), severity=WARNING))
    updates, rest = [], []
    previous = _uncommented(bodies.get("previous_review", []))
    items = dict(_bullets(previous))
    in_update = False
    for line_no, line in previous:
        item = items.get(line_no)
        if item is None and in_update and line.startswith((" ", "\t")) and line.strip():
            continue  # a continuation line, folded into its update
        match = _UPDATE.match(item) if item is not None else None
        in_update = match is not None
        if match:
            number = int(match.group(1))
            if any(u.number == number for u in updates):
                problems.append(_problem(
                    "notes-duplicate-update", file, line_no,
                    f"R{number} has a second update", "one update per recommendation",
                    value=item[:60]))
            said = _status(match.group(2), number, file, line_no, problems)
            updates.append(Update(number, match.group(3).strip(), line_no, said))
        else:
            rest.append(line)
    # Guidance in HTML comments (as the blank template has it) is never part of the report.
    sections = {key: _without_comments("\n".join(t for _, t in body)).strip("\n")
                for key, body in bodies.items()}
    errors = tuple(p for p in problems if p.is_error)
    notes = ReviewNotes(
        file=file, status="draft" if errors or status not in STATUSES else status,
        council=fields.get("council", (None,))[0] or None,
        cycle=fields.get("cycle", (None,))[0] or None,
        theme=fields.get("theme", (None,))[0] or None,
        review_dates=fields.get("review_dates", (None,))[0] or None, referred_back=referred,
        selection=selection, moderation=fields.get("moderation", (None,))[0] or None,
        sections=sections, recommendations=tuple(recommendations), updates=tuple(updates),
        key_messages=key_messages,
        previous_review_text="\n".join(rest).strip("\n"),
        moderation_line=fields.get("moderation", (None, None))[1], problems=errors,
        field_lines={key: line for key, (_, line) in fields.items()},
        lines=tuple(sorted(pair for body in bodies.values() for pair in body)))
    return notes, problems


def read_notes(path: Path, display_name: str | None = None, question_ids=None
               ) -> tuple[ReviewNotes | None, list[Problem]]:
    """Read and check a notes file (Markdown, or Word through pandoc).

    Parameters
    ----------
    path : Path
        The notes file.
    display_name : str, optional
        How messages name it (by default its file name; never a path).
    question_ids : collection of str, optional
        The catalogue's question ids, to check recommendations' tags.

    Returns
    -------
    tuple
        The notes and every problem found. A file that cannot be read at all (not UTF-8
        text, not a Word document, too large, or pandoc failing) gives empty notes, a
        draft carrying that error, so that its review's report is marked and says why.
    """
    from review_lib.data.limits import max_file_bytes

    name = display_name or path.name
    problem = None
    try:
        if path.suffix.casefold() == ".docx":
            text, problem = _word_text(path, name)
        elif path.stat().st_size > max_file_bytes():
            text, problem = None, _problem(
                "too-large", name, None,
                f"the notes file is {path.stat().st_size / 2 ** 20:,.1f} MB, more than the "
                f"{max_file_bytes() // 2 ** 20} MB a file may be",
                "notes of text (a notes file is a few kilobytes); if the file is right, set "
                "PRACTICE_REVIEW_MAX_FILE_MB to a larger number of megabytes")
        else:
            text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = _problem("notes-encoding", name, None,
                           f"the notes file is not UTF-8 text (byte {error.start})",
                           "a Markdown file saved as UTF-8")
    except (OSError, RuntimeError, ImportError) as error:
        problem = _problem("notes-unreadable", name, None,
                           f"the notes file cannot be read ({type(error).__name__})",
                           "a Markdown (.md) or Word (.docx) file")
    if problem is not None:
        return ReviewNotes(file=name, status="draft", problems=(problem,)), [problem]
    return parse_notes(text, name, question_ids)


@dataclass
class NotesIndex:
    """Every notes file of a programme, by council and cycle.

    Attributes
    ----------
    notes : dict
        ``(council folded, cycle)`` to the notes (notes with errors included: they are
        drafts that carry their errors).
    problems : list of Problem
        Everything found in the notes files.
    """

    notes: dict[tuple[str, str], ReviewNotes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def for_review(self, council: str, cycle: str) -> ReviewNotes | None:
        """The notes of one review, if it has them."""
        return self.notes.get((council.casefold().strip(), cycle))

    def previous(self, council: str, cycle: str) -> tuple[str, ReviewNotes] | None:
        """The council's notes from the latest earlier cycle that has notes, with its cycle."""
        earlier = [(c, n) for (name, c), n in self.notes.items()
                   if name == council.casefold().strip() and c < cycle]
        return max(earlier, key=lambda pair: pair[0]) if earlier else None

    def problems_for(self, council: str, cycle: str) -> list[Problem]:
        """The errors that make a review's report a draft.

        They are its notes' errors, and its previous review's notes' (which its report
        follows up).

        Parameters
        ----------
        council, cycle : str
            The review.

        Returns
        -------
        list of Problem
            Errors, the review's own first; empty when its report may be final.
        """
        notes = self.for_review(council, cycle)
        previous = self.previous(council, cycle)
        found = list(notes.problems) if notes is not None else []
        if previous is not None:
            found += [p for p in previous[1].problems if p not in found]
        return found

    def unused_errors(self) -> list[Problem]:
        """Errors in notes files that belong to no review (so that no report shows them)."""
        shown = {p for notes in self.notes.values() for p in notes.problems}
        return [p for p in self.problems if p.is_error and p not in shown]


def _notes_files_beside(data_file: Path, listings: dict[Path, frozenset[str]]) -> list[Path]:
    """Every notes file beside a data file, the one read first (``.md``, then ``.docx``)."""
    first = _notes_beside(data_file, listings)
    if first is None:
        return []
    others = [data_file.with_suffix(s) for s in NOTES_SUFFIXES
              if data_file.with_suffix(s).name.casefold() != first.name.casefold()]
    return [first, *(p for p in others if p.name.casefold() in listings[data_file.parent]
                     and p.is_file())]


def _claims(notes: ReviewNotes, review, data_name: str) -> list[Problem]:
    """Errors for a ``council:`` or ``cycle:`` line naming another review than its data's."""
    from review_lib.data.records import normalise_cycle

    problems = []
    said = {"council": (notes.council, review.council,
                        lambda a, b: a.casefold().strip() == b.casefold().strip()),
            "cycle": (notes.cycle, review.cycle,
                      lambda a, b: (normalise_cycle(a) or a) == b)}
    for key, (claimed, actual, same) in said.items():
        if claimed and not same(claimed, actual):
            problems.append(_problem(
                "notes-other-review", notes.file, notes.field_lines.get(key),
                f"the notes say {key}: {claimed!r}, but they are beside {data_name}, which "
                f"holds {review.council} {review.cycle}",
                f"notes beside the data file of the review they are about: move them, or "
                f"correct the '{key}:' line (it is needed only in notes that stand alone)",
                value=claimed))
    return problems


def read_programme_notes(programme, roots=(), question_ids=None) -> NotesIndex:
    """Read the notes beside each review's data file, and notes that stand alone.

    Nothing is left out silently: notes with errors are kept as drafts carrying their
    errors (:attr:`ReviewNotes.problems`); a second notes file for a review (``dudley.docx``
    beside ``dudley.md``, or stand-alone notes naming a review that has notes), and notes
    whose ``council:`` or ``cycle:`` names another review than the data file beside them,
    are errors added to the notes the review uses, so that its report is a draft that
    says so.

    Parameters
    ----------
    programme : Programme
        The reviews (their data files say where their notes are).
    roots : iterable of str or Path
        The data folders, searched for notes with no data file beside them (these must
        give ``council`` and ``cycle`` in their front matter); notes beside a data file
        that holds several reviews are read as these are.
    question_ids : collection of str, optional
        The catalogue's ids (by default the programme's catalogue).

    Returns
    -------
    NotesIndex
        The notes, and every problem found in them.
    """
    from review_lib.data.records import normalise_cycle

    ids = question_ids if question_ids is not None else [q.id for q in programme.catalogue]
    index = NotesIndex()
    by_file: dict[Path, list] = {}
    for review in programme.reviews:
        if review.path is not None:
            by_file.setdefault(Path(review.path), []).append(review)
    seen: set[Path] = set()
    listings: dict[Path, frozenset[str]] = {}
    for data_file, reviews in by_file.items():
        if len(reviews) != 1:
            continue  # several reviews in one file: notes beside it must say which
        review = reviews[0]
        found = _notes_files_beside(data_file, listings)
        if not found:
            continue
        seen.update(p.resolve() for p in found)
        path, others = found[0], found[1:]
        name = str(Path(review.source).with_suffix(path.suffix))
        notes, problems = read_notes(path, name, ids)
        data_name = Path(review.source).name
        problems += _claims(notes, review, data_name)
        for other in others:
            other_name = str(Path(review.source).with_suffix(other.suffix))
            problems.append(_problem(
                "notes-two-files", other_name, None,
                f"{review.council} {review.cycle} has two notes files, {name} and "
                f"{other_name}; only {name} is read",
                "one notes file per review: delete or rename the one that is not meant"))
        index.problems.extend(problems)
        index.notes[(review.council.casefold().strip(), review.cycle)] = (
            notes.with_problems(problems))
    stems = {path.with_suffix("") for path, reviews in by_file.items() if len(reviews) == 1}
    for root in (Path(r) for r in roots):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if (path.suffix.casefold() not in NOTES_SUFFIXES or not path.is_file()
                    or path.name.casefold() == "readme.md" or path.name.startswith((".", "~"))
                    or "moderation" in (part.casefold() for part in path.parts)
                    or path.resolve() in seen or path.with_suffix("") in stems):
                continue
            seen.add(path.resolve())
            name = str(path.relative_to(root))
            notes, problems = read_notes(path, name, ids)
            index.problems.extend(problems)
            cycle = normalise_cycle(notes.cycle) if notes.cycle else None
            if not notes.council or not cycle:
                if not notes.problems:  # an unreadable file's errors already say enough
                    index.problems.append(_problem(
                        "notes-no-review", name, 1,
                        "these notes have no data file beside them (or one holding several "
                        "reviews) and do not say which review they belong to, so they are "
                        "not used", "a data file of one review with the same name beside "
                        "them, or 'council:' and 'cycle:' in the front matter",
                        severity=WARNING))
                continue
            key = (notes.council.casefold().strip(), cycle)
            if key in index.notes:
                duplicate = _problem(
                    "notes-duplicate", name, notes.field_lines.get("council", 1),
                    f"{notes.council} {cycle} already has notes ({index.notes[key].file}); "
                    "these are not read into its report, which is marked as a draft until "
                    "one of the two is removed", "one notes file per review")
                index.problems.append(duplicate)
                index.notes[key] = index.notes[key].with_problems([duplicate])
                continue
            index.notes[key] = notes
    quiet = set()  # (file, heading) of sections whose absence is expected
    for (council, cycle), notes in list(index.notes.items()):
        previous = index.previous(council, cycle)
        if notes.updates or any(r.follows for r in notes.recommendations):
            unknown = previous_recommendations_problems(notes, previous[1] if previous
                                                        else None)
            index.problems.extend(unknown)
            index.notes[(council, cycle)] = notes.with_problems(unknown)
        if previous is None:  # nothing to follow up
            quiet.add((notes.file, "Previous review"))
        if any(name == council and later > cycle for name, later in index.notes):
            # An earlier review's notes, kept for their recommendations: no report awaits them.
            quiet.update((notes.file, heading) for _, heading, _ in SECTIONS)
    index.problems = [p for p in index.problems if p.kind != "notes-missing-section"
                      or (p.file, _missing_heading(p)) not in quiet]
    return index


def _missing_heading(problem: Problem) -> str:
    match = re.search(r"no '([^']+)' section", problem.message)
    return match.group(1) if match else ""
