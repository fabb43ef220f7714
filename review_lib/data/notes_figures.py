"""The figures a review team's notes state about its review, checked against the data.

Teams write figures into their notes ("18 of the 20 records were outstanding or good, and
two required improvement"; "Q11 ... 12 of 20 below good"; "20 case records ... five records
each"). When the data say otherwise, the report would print two different figures for one
thing. :func:`notes_figure_problems` reads the usual ways of stating such a figure and
returns a located warning, with the figure the data give, for each that disagrees.

What is read, sentence by sentence (figures in digits or words, zero to thirty):

- ``N of [the] M [case] records`` or ``M case records``: M must be the review's number of
  records; N, with a level after it in the same clause ("were judged outstanding", "good or
  better", "required improvement", "below good"), is a count of overall judgements;
- in a paragraph that has counted records, ``N were inadequate``, ``none was outstanding``
  and the like count judgements too;
- ``P% [of the records]`` with a level: the share of judgements at that level;
- in a sentence naming one question (``Q11``), counts of 20 or so refer to that question's
  ratings;
- ``N records each``: each auditor's number of records.

The scan is token by token, linear in the length of the text, with no backtracking pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from review_lib.data.problems import WARNING, Problem

_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
          "fourteen fifteen sixteen seventeen eighteen nineteen twenty").split()
#: Numbers written as words, as teams write them.
NUMBER_WORDS = {word: value for value, word in enumerate(_WORDS)} | {
    "none": 0, "no": 0, "twenty-one": 21, "twenty-two": 22, "twenty-three": 23,
    "twenty-four": 24, "twenty-five": 25, "thirty": 30}

#: Level phrases (as token tuples) to what they count, longest first.
LEVEL_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("outstanding", "or", "good"), "good_or_better"),
    (("good", "or", "outstanding"), "good_or_better"),
    (("outstanding", "and", "good"), "good_or_better"),
    (("good", "or", "better"), "good_or_better"),
    (("below", "good"), "below_good"),
    (("requires", "improvement"), "Requires Improvement"),
    (("required", "improvement"), "Requires Improvement"),
    (("require", "improvement"), "Requires Improvement"),
    (("requiring", "improvement"), "Requires Improvement"),
    (("outstanding",), "Outstanding"),
    (("good",), "Good"),
    (("inadequate",), "Inadequate"),
)

#: Words that may stand between a count and its level ("six were judged inadequate").
_FILLER = frozenset("were was are is judged rated as of the them records record case cases "
                    "overall".split())
#: Words before "N case records" that make it the review's total ("an examination of 20").
_EXAMINED = frozenset("of examined examine examining audited reviewed read all".split())
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z]+)?|\d+(?:\.\d+)?%?|[.;:!?,]")
_QUESTION = re.compile(r"\b[Qq](\d{1,3})\b")
_GOOD = ("Outstanding", "Good")


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)


def _level_at(tokens: list[str], start: int) -> tuple[str, int] | None:
    """The level phrase starting at ``start`` and its length, or None."""
    for phrase, level in LEVEL_PHRASES:
        if tuple(tokens[start:start + len(phrase)]) == phrase:
            return level, len(phrase)
    return None


def _level_after(tokens: list[str], start: int, reach: int = 5) -> str | None:
    """A level within ``reach`` tokens after ``start``, with only filler words between."""
    for index in range(start, min(len(tokens), start + reach)):
        found = _level_at(tokens, index)
        if found is not None:
            return found[0]
        if tokens[index] not in _FILLER:
            return None
    return None


def _count(values: Iterable[str], level: str) -> int:
    values = list(values)
    if level == "good_or_better":
        return sum(v in _GOOD for v in values)
    if level == "below_good":
        return sum(v not in _GOOD for v in values)
    return sum(v == level for v in values)


def _words(level: str) -> str:
    return {"good_or_better": "Outstanding or Good", "below_good": "below Good"}.get(level,
                                                                                     level)


def _sentences(lines: Iterable[tuple[int, str]]):
    """(line, tokens, new paragraph) for each sentence, with its first line."""
    paragraph_break = True
    tokens: list[str] = []
    first = None
    for number, line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith(("-", "*", "#")) or re.match(r"\d+\.\s",
                                                                             stripped):
            if tokens:
                yield first, tokens, paragraph_break
                paragraph_break = False
                tokens = []
            paragraph_break = True
            if not stripped:
                continue
        for token in _TOKEN.findall(stripped):
            if first is None or not tokens:
                first = number
            if token in ".;!?":
                if tokens:
                    yield first, tokens, paragraph_break
                    paragraph_break = False
                tokens = []
            elif token not in ":,":
                tokens.append(token.casefold())
            else:
                tokens.append(token)
    if tokens:
        yield first, tokens, paragraph_break


def notes_figure_problems(notes, review) -> list[Problem]:
    """Warnings for the figures the notes state about the review that the data contradict.

    Parameters
    ----------
    notes : ReviewNotes
        The review team's notes (:func:`review_lib.data.notes.read_notes`).
    review : Review
        The review they belong to.

    Returns
    -------
    list of Problem
        One warning per figure that disagrees with the data, at its line, with the figure
        the data give.
    """
    judgements = [str(v) for v in review.judgements["judgement"]]
    ratings = review.ratings
    n_cases = review.n_cases
    per_auditor = review.judgements.groupby("auditor", observed=True).size()
    problems: list[Problem] = []

    def warn(line: int, said: str, actual: str) -> None:
        problems.append(Problem(
            "notes-figure", notes.file,
            f"the notes say {said}, but the data give {actual}",
            expected="figures that agree with the review's data (or the data corrected)",
            severity=WARNING, line=line))

    counting = False
    for line, tokens, new_paragraph in _sentences(notes.lines):
        if new_paragraph:
            counting = False
        text = " ".join(tokens)
        questions = {f"Q{m}" for m in _QUESTION.findall(text)}
        question = next(iter(questions)) if len(questions) == 1 else None
        if question is not None and question not in set(ratings["question"].astype(str)):
            question = None
        values = (judgements if question is None else
                  [str(v) for v in ratings.loc[ratings["question"].astype(str) == question,
                                               "rating"]])
        denominator = n_cases if question is None else len(values)
        what = "records" if question is None else f"{question} ratings"
        index = 0
        while index < len(tokens):
            token = tokens[index]
            value = _number(token)
            # "N of [the] M [case] records" / "N of M" in a sentence about one question
            if value is not None and index + 2 < len(tokens) and tokens[index + 1] == "of":
                at = index + 2 + (tokens[index + 2] == "the")
                total = _number(tokens[at]) if at < len(tokens) else None
                after = tokens[at + 1:at + 3]
                about_records = bool({"records", "cases", "record"} & set(after))
                if total is not None and (about_records or question is not None):
                    # "one of the two records referred back" counts a subset, not levels
                    level = _level_after(tokens, at + 1, reach=7)
                    counting = question is None and level is not None
                    if level is not None and (total != denominator
                                              or _count(values, level) != value):
                        warn(line, f"{token} of {total} {what} {_words(level)}",
                             f"{_count(values, level)} of {denominator}")
                    index = at + 1
                    continue
            # "M case records" (the review's size), "N records each" (per auditor)
            if value is not None and index + 1 < len(tokens) and tokens[index + 1] in (
                    "case", "records") and question is None:
                nxt = tokens[index + 2] if index + 2 < len(tokens) else ""
                if tokens[index + 1] == "records" and nxt == "each":
                    low, high = (int(per_auditor.min()), int(per_auditor.max())) if len(
                        per_auditor) else (value, value)
                    if (low, high) != (value, value):
                        warn(line, f"{token} records each",
                             f"{low} records each" if low == high
                             else f"between {low} and {high} records per auditor")
                elif (tokens[index + 1] == "case" and nxt == "records" and index
                      and tokens[index - 1] in _EXAMINED and value != n_cases):
                    warn(line, f"{tokens[index - 1]} {token} case records",
                         f"{n_cases} case records")
                index += 1
                continue
            # "P%" with a level: a share of the records (or of the question's ratings)
            if token.endswith("%") and (counting or question is not None or
                                        "records" in tokens):
                level = _level_after(tokens, index + 1, reach=7)
                if level is not None and denominator:
                    share = 100 * _count(values, level) / denominator
                    if abs(share - float(token[:-1])) >= 0.5 + 1e-9:
                        warn(line, f"{token} {_words(level)}",
                             f"{share:.0f}% ({_count(values, level)} of {denominator})")
                index += 1
                continue
            # in a paragraph counting records: "N were inadequate", "none was outstanding"
            if value is not None and (counting or question is not None):
                level = _level_after(tokens, index + 1)
                if level is not None and _count(values, level) != value:
                    warn(line, f"{token} {what} {_words(level)}",
                         f"{_count(values, level)} of {denominator}")
            index += 1
    return problems
