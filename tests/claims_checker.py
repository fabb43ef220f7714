"""An independent checker of the claims a report states (review_lib/report/claims.py).

It re-derives every claim from the tidy frames with pandas, scipy and statsmodels, never
through ``review_lib.analysis``, so a wrong count, a tie called unique, an average that
includes what it says it excludes or a difference claimed without its test's support fails
here even when the library's own figures agree with its own words. It also checks that the
claims of one report agree with each other (an earlier review present or not, how the
records were chosen, the review dates) and, given the page's text, that each claim is
printed as stated.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import cochrans_q
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

GOOD = ("Outstanding", "Good")
LEVELS = ("Outstanding", "Good", "Requires Improvement", "Inadequate")


@dataclass
class Facts:
    """What the checker is given: the tidy frames and what the notes say.

    ``earlier`` maps a council to the cycles it has before each cycle, ratings or notes;
    ``selection`` and ``dates`` map (council, cycle) to what its notes say.
    """

    ratings: pd.DataFrame
    judgements: pd.DataFrame
    not_applicable: pd.DataFrame
    n_questions: int
    earlier: dict = field(default_factory=dict)
    selection: dict = field(default_factory=dict)
    dates: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)
    exercises: dict = field(default_factory=dict)
    method: str = "exact"
    #: (council, cycle) to (the questions its recommendations are tagged with, draft or not),
    #: read from the notes files by :func:`notes_recommendations`, not by the library.
    recommending: dict = field(default_factory=dict)
    notes_files: dict = field(default_factory=dict)

    @classmethod
    def of(cls, programme, notes_cycles=None, selection=None, dates=None,
           notes_roots=(), notes_files=None) -> Facts:
        """From a loaded programme (data stage only) and what its notes say.

        ``notes_roots``: folders whose notes files are read here, independently, for the
        recommendations' question tags (:func:`notes_recommendations`). ``notes_files``
        maps (council, cycle) to its notes file, which the checker reads itself for the
        follow-up of recommendations (:func:`read_follow_up`).
        """
        def plain(frame):
            frame = frame.copy()
            for column in frame.columns:
                frame[column] = frame[column].astype(str)
            return frame

        cycles = defaultdict(set)
        for review in programme.reviews:
            cycles[str(review.council)].add(str(review.cycle))
        for council, cycle in notes_cycles or ():
            cycles[council].add(cycle)
        return cls(plain(programme.ratings), plain(programme.judgements),
                   plain(programme.not_applicable), len(programme.catalogue),
                   earlier=dict(cycles), selection=dict(selection or {}),
                   dates=dict(dates or {}), notes_files=dict(notes_files or {}),
                   regions={str(r.council): r.region for r in programme.reviews if r.region},
                   recommending=notes_recommendations(programme, notes_roots))


_TAGS = re.compile(r"\[\s*([A-Za-z]+\d+[A-Za-z]?(?:[\s,]+[A-Za-z]+\d+[A-Za-z]?)*)\s*\]")


def _notes_lines(path) -> tuple[dict, list[tuple[str, str]]]:
    """A notes file's front matter, and its (heading, top-level bullet) pairs.

    Markdown is read line by line; a Word file through python-docx (Heading 1 paragraphs,
    list paragraphs, the first table's two columns as the front matter). Neither goes
    through the library's reader.
    """
    from pathlib import Path

    path = Path(path)
    fields, bullets, heading = {}, [], None
    if path.suffix.casefold() == ".docx":
        import docx

        document = docx.Document(str(path))
        if document.tables:
            for row in document.tables[0].rows:
                cells = [c.text.strip() for c in row.cells]
                if len(cells) >= 2:
                    fields[cells[0].casefold()] = cells[1]
        for paragraph in document.paragraphs:
            style = paragraph.style.name if paragraph.style is not None else ""
            if style == "Heading 1":
                heading = paragraph.text.strip()
            elif paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None:
                level = paragraph._p.pPr.numPr.ilvl
                if level is None or int(level.val) == 0:
                    bullets.append((heading, paragraph.text.strip()))
        return fields, bullets
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            fields[key.strip().casefold()] = value.strip()
        lines = lines[end + 1:]
    for line in lines:
        if line.startswith("# "):
            heading = line[2:].strip().rstrip("#").strip()
        elif re.match(r"^[-*+]\s+|^\d+[.)]\s+", line):  # top level only: no indent
            bullets.append((heading, line))
    return fields, bullets


def notes_recommendations(programme, roots=()) -> dict:
    """Each review's recommendation tags and status, read from its notes files here.

    Notes beside a review's data file (same name, ``.md`` first, then ``.docx``) belong to
    that review; notes elsewhere under ``roots`` name theirs in ``council:`` and ``cycle:``.
    A review is a draft when its notes say ``status: draft``.
    """
    from pathlib import Path

    found, beside = {}, set()
    for review in programme.reviews:
        if review.path is None:
            continue
        for suffix in (".md", ".docx"):
            notes = Path(review.path).with_suffix(suffix)
            if notes.is_file():
                beside.add(notes.resolve())
                found[(str(review.council), str(review.cycle))] = notes
                break
    for root in roots:
        for notes in sorted(Path(root).rglob("*")):
            if notes.suffix.casefold() not in (".md", ".docx") or notes.resolve() in beside \
                    or notes.name.casefold() == "readme.md":
                continue
            fields, _ = _notes_lines(notes)
            if fields.get("council") and fields.get("cycle"):
                found.setdefault((fields["council"], fields["cycle"]), notes)
    recommending = {}
    for key, notes in found.items():
        fields, bullets = _notes_lines(notes)
        tags = set()
        for heading, line in bullets:
            if (heading or "").casefold() == "recommendations":
                for group in _TAGS.findall(line):
                    tags |= {t.upper() for t in re.split(r"[\s,]+", group) if t}
        recommending[key] = (frozenset(tags), fields.get("status", "").casefold() == "draft")
    return recommending


_STATUS = {"met": "met", "fully met": "met", "partly met": "partly met",
           "partially met": "partly met", "part met": "partly met", "not met": "not met",
           "unmet": "not met", "not yet met": "not met", "replaced": "replaced",
           "superseded": "replaced"}


def read_follow_up(path) -> tuple[int, dict]:
    """From a notes file, by its own reading: its recommendations, and its updates' statuses.

    Returns the number of top-level bullets under ``# Recommendations`` and a map of each
    update's recommendation number to its status (None where none is given), from the
    same reading of the file as :func:`notes_recommendations` (:func:`_notes_lines`).
    """
    _, bullets = _notes_lines(path)

    def under(heading: str) -> list[str]:
        return [line for where, line in bullets
                if (where or "").rstrip(":").strip().casefold() == heading]

    recommendations = len(under("recommendations"))
    statuses = {}
    for line in under("previous review"):
        text = re.sub(r"^[-*+]\s+", "", line).replace("*", "")
        match = re.match(r"R(\d+)\s*(?:\(([^)]*)\))?\s*[:.)\-–—]?", text)
        if match:
            said = match.group(2)
            statuses[int(match.group(1))] = (_STATUS.get(" ".join(said.casefold().split()))
                                             if said else None)
    return recommendations, statuses


def _pct(share: float, decimals: int | None = None) -> str:
    value = share * 100
    if decimals is None:
        decimals = 0 if abs(value - round(value)) < 1e-9 else 1
    return f"{value:.{decimals}f}%"


def _num(value: int) -> str:
    return f"{int(value):,}"


def page_text(page: str) -> str:
    """The words of an HTML page as a reader sees them, spaces collapsed."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"</?(strong|em|b|i|a|span|code|abbr)\b[^>]*>", "", page, flags=re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


class Checker:
    """Checks claims against :class:`Facts`; :attr:`failures` lists what is false."""

    def __init__(self, facts: Facts):
        self.facts = facts
        self.failures: list[str] = []
        self._frames: dict = {}

    # ------------------------------------------------------------------ the data

    def _frame(self, measure: str, scope: dict) -> pd.DataFrame:
        key = (measure, *(str(scope.get(k)) for k in ("council", "cycle", "question", "region")))
        if key not in self._frames:
            self._frames[key] = self._select(measure, scope)
        return self._frames[key]

    def _select(self, measure: str, scope: dict) -> pd.DataFrame:
        frame = self.facts.judgements if measure == "judgements" else self.facts.ratings
        for key in ("council", "cycle", "question"):
            if scope.get(key) is not None and key in frame:
                frame = frame[frame[key] == str(scope[key])]
        if scope.get("region"):
            members = [c for c, r in self.facts.regions.items() if r == scope["region"]]
            frame = frame[frame["council"].isin(members)]
        return frame

    def _good(self, measure: str, scope: dict) -> tuple[int, int]:
        frame = self._frame(measure, scope)
        column = "judgement" if measure == "judgements" else "rating"
        return int(frame[column].isin(GOOD).sum()), len(frame)

    def _question_counts(self, scope: dict) -> pd.DataFrame:
        key = ("questions", *(str(scope.get(k)) for k in ("council", "cycle", "region")))
        if key not in self._frames:
            self._frames[key] = self._count_questions(scope)
        return self._frames[key]

    def _count_questions(self, scope: dict) -> pd.DataFrame:
        frame = self._frame("ratings", {k: v for k, v in scope.items() if k != "question"})
        good = frame["rating"].isin(GOOD)
        table = pd.DataFrame({"good_or_better": good.groupby(frame["question"]).sum(),
                              "n": frame.groupby("question").size()})
        table["below_good"] = table["n"] - table["good_or_better"]
        return table[table["n"] > 0]

    def fail(self, claim: dict, why: str) -> None:
        self.failures.append(f"{claim['kind']} {claim.get('scope')}: {why}: {claim['text']!r}")

    # ------------------------------------------------------------------ checks

    def check(self, claims: list[dict], text: str | None = None) -> list[str]:
        """Check each claim, then that the claims agree, then that each is printed."""
        for claim in claims:
            method = getattr(self, "_" + claim["kind"], None)
            if method is None:
                self.fail(claim, "a kind of claim the checker does not know")
                continue
            method(claim, claim.get("scope", {}), claim.get("figures", {}))
            if "in line with" in claim["text"]:
                self.fail(claim, "'in line with' claims an equality no test can show")
            if re.search(r"\b1 percentage points\b", claim["text"]):
                self.fail(claim, "'1 percentage points'")
        self._agree(claims)
        if text is not None:
            words = " ".join(html.unescape(text).split())
            for claim in claims:
                if " ".join(claim["text"].split()) not in words:
                    self.fail(claim, "not printed as stated")
        return self.failures

    def _agree(self, claims: list[dict]) -> None:
        by_kind = defaultdict(set)
        for claim in claims:
            figures, kind = claim["figures"], claim["kind"]
            if kind == "earlier_review":
                by_kind["earlier"].add(bool(figures.get("exists")))
            elif kind == "selection":
                by_kind["selection"].add(figures.get("how"))
            elif kind == "review_dates":
                by_kind["dates"].add(figures.get("dates"))
        for what, values in by_kind.items():
            if len(values) > 1:
                self.failures.append(f"the report's sections disagree about {what}: {values}")

    def _share(self, claim, scope, figures, words=True):
        successes, n = self._good(figures["measure"], scope)
        if (successes, n) != (figures["successes"], figures["n"]):
            self.fail(claim, f"the data give {successes} of {n}")
        printed = (f"{_num(successes)} of", f"{_num(successes)} (",
                   _pct(successes / n) if n else "n/a", _pct(successes / n, 0) if n else "n/a")
        if words and not any(form in claim["text"] for form in printed):
            self.fail(claim, f"the count {successes} is not in the words")

    def _interval(self, claim, scope, figures):
        self._share(claim, scope, figures, words=False)
        if figures["measure"] == "judgements":
            low, high = proportion_confint(figures["successes"], figures["n"], method="wilson")
            if not (math.isclose(low, figures["ci_low"], abs_tol=1e-6)
                    and math.isclose(high, figures["ci_high"], abs_tol=1e-6)):
                self.fail(claim, f"Wilson gives {low:.4f} to {high:.4f}")
            for end in (low, high):
                if _pct(end, 0) not in claim["text"] and _pct(end, 1) not in claim["text"] \
                        and _pct(end) not in claim["text"]:
                    self.fail(claim, f"{_pct(end)} is not in the words")

    def _not_applicable(self, claim, scope, figures):
        na = self.facts.not_applicable
        na = na[(na["council"] == scope["council"]) & (na["cycle"] == scope["cycle"])]
        if len(na) != figures["count"] or f"{_num(len(na))} answer" not in claim["text"]:
            self.fail(claim, f"the data hold {len(na)} not-applicable answers")

    def _question_interval(self, claim, scope, figures):
        table = self._question_counts(scope)
        row = table.loc[scope["question"]]
        if (int(row["good_or_better"]), int(row["n"])) != (figures["successes"], figures["n"]):
            self.fail(claim, f"the data give {row['good_or_better']} of {row['n']}")
        low, high = proportion_confint(figures["successes"], figures["n"], method="wilson")
        if not (math.isclose(low, figures["ci_low"], abs_tol=1e-6)
                and math.isclose(high, figures["ci_high"], abs_tol=1e-6)):
            self.fail(claim, f"Wilson gives {low:.4f} to {high:.4f}")

    def _level_counts(self, claim, scope, figures):
        frame = self._frame(figures["measure"], scope)
        column = "judgement" if figures["measure"] == "judgements" else "rating"
        counts = {level: int((frame[column] == level).sum()) for level in LEVELS}
        if counts != figures["counts"]:
            self.fail(claim, f"the data give {counts}")
        for level, count in counts.items():
            if not re.search(rf"(\b{_num(count)} {level}\b|\b{level} {_num(count)}\b)",
                             claim["text"]):
                self.fail(claim, f"{level} {count} is not in the words")

    def _records(self, claim, scope, figures):
        frame = self._frame("judgements", scope)
        if len(frame) != figures["n_cases"]:
            self.fail(claim, f"the data hold {len(frame)} records")
        if f"{_num(len(frame))} case record" not in claim["text"]:
            self.fail(claim, "the number of records is not in the words")
        if figures.get("auditors") is not None:
            per = frame.groupby("auditor").size()
            if len(per) != figures["auditors"]:
                self.fail(claim, f"the data have {len(per)} auditors")
            if figures.get("per_auditor") is not None and set(per) != {figures["per_auditor"]}:
                self.fail(claim, f"auditors rated {sorted(set(per))} records each")

    def _ratings_total(self, claim, scope, figures):
        rated = len(self._frame("ratings", scope))
        na = self.facts.not_applicable
        na = na[(na["council"] == scope["council"]) & (na["cycle"] == scope["cycle"])]
        cases = len(self._frame("judgements", scope))
        if (rated, len(na), cases, self.facts.n_questions) != (
                figures["n_ratings"], figures["not_applicable"], figures["n_cases"],
                figures["n_questions"]):
            self.fail(claim, f"the data give {rated} rated, {len(na)} not applicable")
        if cases * self.facts.n_questions - len(na) != rated:
            self.fail(claim, "cases x questions less not applicable is not the ratings")

    def _question_count(self, claim, scope, figures):
        table = self._question_counts(scope)
        question = scope["question"]
        if question not in table.index:
            self.fail(claim, "the question has no rating")
            return
        count, n = int(table.loc[question, figures["measure"]]), int(table.loc[question, "n"])
        if (count, n) != (figures["count"], figures["n"]):
            self.fail(claim, f"the data give {count} of {n}")
        if f"{_num(count)} of {_num(n)}" not in claim["text"] and \
                f"{_num(count)} below Good" not in claim["text"]:
            self.fail(claim, f"{count} of {n} is not in the words")

    def _shares(self, scope, measure):
        table = self._question_counts(scope)
        return table[measure] / table["n"], table

    def _question_top(self, claim, scope, figures):
        measure = figures["measure"]
        share, table = self._shares(scope, measure)
        share = share[table[measure] > 0]
        listed = [q for q in figures["questions"] if q in share.index]
        if len(listed) != len(figures["questions"]):
            self.fail(claim, "a listed question has none of the measure")
            return
        rest = share.drop(index=listed)
        if len(rest) and rest.max() > share[listed].min() + 1e-12:
            self.fail(claim, f"{rest.idxmax()} has more than a listed question")
        if len(rest) and math.isclose(rest.max(), share[listed].min(), abs_tol=1e-12):
            self.fail(claim, f"{rest.idxmax()} is tied with a listed question but not listed")

    def _question_extreme(self, claim, scope, figures):
        column = {"share_good": "good_or_better"}.get(figures["measure"], figures["measure"])
        share, _ = self._shares(scope, column)
        if figures["which"] == "same":
            if not math.isclose(share.max(), share.min(), abs_tol=1e-12):
                self.fail(claim, "the questions' shares are not all the same")
            return
        value = share.max() if figures["which"] == "highest" else share.min()
        at = sorted(q for q in share.index if math.isclose(share[q], value, abs_tol=1e-12))
        if at != sorted(figures["questions"]):
            self.fail(claim, f"the {figures['which']} share is held by {at}")
        if " had the " in claim["text"] and len(at) > 1:
            self.fail(claim, f"a tie of {len(at)} named as one")

    def _questions_differ(self, claim, scope, figures):
        frame = self._frame("ratings", scope)
        wide = (frame.assign(good=frame["rating"].isin(GOOD).astype(int))
                .pivot_table(index="case", columns="question", values="good", aggfunc="first")
                .dropna())
        varied = wide.loc[:, wide.nunique() > 0]
        said = bool(figures["differ"])
        if said != ("do differ" in claim["text"]):
            self.fail(claim, "the words and the figures disagree on whether questions differ")
        if len(varied) < 2 or varied.shape[1] < 2 or varied.to_numpy().std() == 0:
            if said:
                self.fail(claim, "questions said to differ where no test can be run")
            return
        p = cochrans_q(varied.to_numpy()).pvalue
        if said and p > 0.10:
            self.fail(claim, f"said to differ, but Cochran's Q gives p = {p:.3f}")
        if not said and p < 0.005:
            self.fail(claim, f"said not to differ, but Cochran's Q gives p = {p:.4f}")

    def _no_question_below_good(self, claim, scope, figures):
        frame = self._frame("ratings", scope)
        if (~frame["rating"].isin(GOOD)).any():
            self.fail(claim, "some rating is below Good")

    def _flag(self, successes, n, target):
        if not 0 < target < 1:
            return "within"
        above = stats.binom.sf(successes - 1, n, target)
        below = stats.binom.cdf(successes, n, target)
        for p, side in ((above, "above"), (below, "below")):
            if p < 0.001:
                return side + "998"
        for p, side in ((above, "above"), (below, "below")):
            if p < 0.025:
                return side + "95"
        return "within"

    def _council_vs_average(self, claim, scope, figures):
        self._share(claim, scope, figures, words=False)
        cycle = {"cycle": scope["cycle"]}
        frame = self._frame(figures["measure"], cycle)
        if not figures["includes_council"]:
            frame = frame[frame["council"] != scope["council"]]
        column = "judgement" if figures["measure"] == "judgements" else "rating"
        good, n = int(frame[column].isin(GOOD).sum()), len(frame)
        if (good, n) != (figures["average_successes"], figures["average_n"]):
            self.fail(claim, f"the average's data give {good} of {n}")
        councils = frame["council"].nunique() + (0 if figures["includes_council"] else 1)
        if councils != figures["councils"]:
            self.fail(claim, f"the cycle has {councils} councils")
        if figures["includes_council"] and "included" not in claim["text"]:
            self.fail(claim, "the average includes the council but the words do not say so")
        if figures["measure"] == "judgements" and self.facts.method == "exact":
            flag = self._flag(figures["successes"], figures["n"], good / n)
            if flag != figures["flag"]:
                self.fail(claim, f"the exact test gives {flag}")
        within = figures["flag"] == "within"
        if within != ("not clearly different" in claim["text"]):
            self.fail(claim, "the words do not match the flag")

    def _programme_average(self, claim, scope, figures):
        frame = self._frame(figures["measure"], {"cycle": scope.get("cycle")})
        # A council's own report says "every council of the cycle" without naming them.
        everyone = figures.get("includes_all") and "includes" not in figures
        includes = sorted(frame["council"].unique()) if everyone else figures["includes"]
        frame = frame[frame["council"].isin(includes)]
        column = "judgement" if figures["measure"] == "judgements" else "rating"
        good, n = int(frame[column].isin(GOOD).sum()), len(frame)
        if (good, n) != (figures["successes"], figures["n"]):
            self.fail(claim, f"the data give {good} of {n}")
        if frame["council"].nunique() != figures["councils"] or \
                len(includes) != figures["councils"]:
            self.fail(claim, "the number of councils is wrong")
        if scope.get("council") and figures.get("includes_council") and \
                scope["council"] not in includes and includes:
            self.fail(claim, "the average leaves out the council it says it includes")
        printed = (f"{_num(good)} of", f"{_num(good)} (", _pct(good / n, 1) if n else "n/a")
        if not any(form in claim["text"] for form in printed):
            self.fail(claim, "neither the count nor the share is in the words")

    def _change(self, claim, scope, figures):
        measure = figures["measure"]
        before = self._good(measure, {"council": scope["council"],
                                      "cycle": figures["previous_cycle"]})
        after = self._good(measure, scope)
        if before != (figures["before_successes"], figures["before_n"]) or \
                after != (figures["after_successes"], figures["after_n"]):
            self.fail(claim, f"the data give {before} then {after}")
            return
        points = round((after[0] / after[1] - before[0] / before[1]) * 100)
        if points != figures["points"]:
            self.fail(claim, f"the change is {points} points")
        if measure == "judgements":
            low, high = confint_proportions_2indep(after[0], after[1], before[0], before[1],
                                                   method="newcomb", compare="diff")
            clear = bool(low > 0 or high < 0)
            if clear != figures["clear"]:
                self.fail(claim, f"Newcombe's interval {low:.3f} to {high:.3f}")
        if figures["clear"] and "not clear evidence" in claim["text"]:
            self.fail(claim, "a clear change called unclear")
        if not figures["clear"] and re.search(r"\bis clear evidence\b", claim["text"]):
            self.fail(claim, "a change claimed without the interval's support")

    def _recommendation_statuses(self, claim, scope, figures):
        files = self.facts.notes_files
        now = files.get((scope["council"], scope["cycle"]))
        before = files.get((scope["council"], figures["earlier_cycle"]))
        if before is None:
            self.fail(claim, "no notes of the earlier review")
            return
        count, _ = read_follow_up(str(before))
        statuses = read_follow_up(str(now))[1] if now is not None else {}
        tally = {status: 0 for status in ("met", "partly met", "not met", "replaced")}
        none = 0
        for number in range(1, count + 1):
            status = statuses.get(number)
            if status is None:
                none += 1
            else:
                tally[status] += 1
        if count != figures["count"] or f"{count} recommendation" not in claim["text"]:
            self.fail(claim, f"the earlier notes make {count} recommendations")
        if tally != figures["statuses"] or none != figures["no_status"]:
            self.fail(claim, f"the notes give {tally}, {none} without a status")
        for status, n in tally.items():
            if n and not re.search(rf"\b{n} (?:were |was )?{status}\b", claim["text"]):
                self.fail(claim, f"{n} {status} is not in the words")
            if not n and re.search(rf"\d+ (?:were |was )?{status}\b", claim["text"]):
                self.fail(claim, f"{status} stated, but none is")

    def _question_change(self, claim, scope, figures):
        question = scope["question"]
        for cycle, key in ((figures["previous_cycle"], "before"), (scope["cycle"], "after")):
            good = self._good("ratings", {"council": scope["council"], "cycle": cycle,
                                          "question": question})
            if good != (figures[f"{key}_successes"], figures[f"{key}_n"]):
                self.fail(claim, f"the data give {good} in {cycle}")
            elif f"{good[0]} of {good[1]}" not in claim["text"]:
                self.fail(claim, f"{good[0]} of {good[1]} is not in the words")

    def _case_means(self, council, cycle):
        frame = self._frame("ratings", {"council": council, "cycle": cycle})
        score = frame["rating"].map({level: 4 - i for i, level in enumerate(LEVELS)})
        return score.groupby(frame["case"]).mean().to_numpy()

    def _lean(self, claim, scope, figures):
        earlier = self._case_means(scope["council"], figures["previous_cycle"])
        later = self._case_means(scope["council"], scope["cycle"])
        direction = figures["direction"]
        if not len(earlier) or not len(later):
            self.fail(claim, "a lean stated without ratings in both cycles")
            return
        if direction is not None:
            p = stats.mannwhitneyu(later, earlier, alternative="two-sided").pvalue
            if not p < 0.05:
                self.fail(claim, f"a lean stated, but Mann-Whitney gives p = {p:.3f}")
            if (direction == "better") != (np.mean(later) > np.mean(earlier)):
                self.fail(claim, "the lean is the wrong way")

    def _earlier_review(self, claim, scope, figures):
        cycles = sorted(c for c in self.facts.earlier.get(scope["council"], ())
                        if c < scope["cycle"])
        if bool(figures.get("exists")) != bool(cycles):
            self.fail(claim, f"the data hold earlier cycles {cycles}")
        if figures.get("earlier_cycle") and cycles and figures["earlier_cycle"] != cycles[-1]:
            self.fail(claim, f"the latest earlier cycle is {cycles[-1]}")

    def _selection(self, claim, scope, figures):
        said = self.facts.selection.get((scope.get("council"), scope.get("cycle")))
        if figures.get("how") != said:
            self.fail(claim, f"the notes say {said}")
        if figures.get("how") != "random" and re.search(r"\bdrew\b.*\bat random\b",
                                                        claim["text"]):
            self.fail(claim, "records said to be drawn at random")

    def _review_dates(self, claim, scope, figures):
        said = self.facts.dates.get((scope.get("council"), scope.get("cycle")))
        if said is not None and figures["dates"] != said:
            self.fail(claim, f"the notes give {said}")

    def _recommending_councils(self, claim, scope, figures):
        """How many councils' teams recommend on a question, from the notes files read here."""
        cycle, question = scope.get("cycle"), scope.get("question")
        members = None
        if scope.get("region"):
            members = {c for c, r in self.facts.regions.items() if r == scope["region"]}
        teams = {c: v for (c, cy), v in self.facts.recommending.items()
                 if cy == cycle and (members is None or c in members)}
        on = sorted((c for c, (tags, _) in teams.items() if question in tags), key=str.casefold)
        drafts = sorted((c for c in on if teams[c][1]), key=str.casefold)
        if sorted(figures["councils"], key=str.casefold) != on or figures["count"] != len(on):
            self.fail(claim, f"the notes files give {on}")
        if figures["teams"] != len(teams):
            self.fail(claim, f"{len(teams)} councils have notes")
        if sorted(figures["drafts"], key=str.casefold) != drafts:
            self.fail(claim, f"of these, the drafts are {drafts}")
        text = claim["text"]
        said = (len(on) == len(teams) and text.startswith(f"All {len(teams)} ")) or \
            (len(on) == len(teams) == 2 and text.startswith("Both ")) or \
            re.search(rf"\b{len(on)} of (the )?{len(teams)}\b", text)
        if not said:
            self.fail(claim, f"{len(on)} of {len(teams)} is not in the words")

    def _funnel_flag(self, claim, scope, figures):
        frame = self._frame(figures["measure"], {"cycle": scope.get("cycle"),
                                                 "council": figures["council"]})
        column = "judgement" if figures["measure"] == "judgements" else "rating"
        good, n = int(frame[column].isin(GOOD).sum()), len(frame)
        if (good, n) != (figures["successes"], figures["n"]):
            self.fail(claim, f"the data give {good} of {n}")
        if figures["measure"] == "judgements" and self.facts.method == "exact":
            everyone = self._frame("judgements", {"cycle": scope.get("cycle")})
            if scope.get("region"):
                return  # a region's councils are compared with the whole programme's average
            target = everyone["judgement"].isin(GOOD).mean()
            flag = self._flag(good, n, target)
            if flag != figures["flag"]:
                self.fail(claim, f"the exact test gives {flag}")

    def _leniency(self, claim, scope, figures):
        """An auditor's mean difference, by a t-test over cases adjusted for the auditors."""
        exercise = self.facts.exercises.get((scope.get("exercise"), scope.get("cycle")))
        if exercise is None:
            self.fail(claim, "no such exercise in the data")
            return
        if figures["measure"] == "ratings":
            frame = exercise.ratings
            wide = frame.pivot_table(index=["case", "question"], columns="auditor",
                                     values="score", aggfunc="first", observed=True)
            means = {}
            for case, rows in wide.groupby(level="case", observed=True):
                raters = rows.columns[rows.notna().any()]
                usable = rows[raters].dropna()  # questions every rater of the case rated
                means[case] = usable.mean()
            per_case = pd.DataFrame(means).T
        else:
            per_case = exercise.judgements.pivot_table(index="case", columns="auditor",
                                                       values="score", aggfunc="first",
                                                       observed=True)
        per_case.columns = [str(c) for c in per_case.columns]
        auditors = [a for a in per_case.columns if a != "Consensus"]
        auditor = figures["auditor"]
        if figures["reference"] == "consensus":
            reference = per_case["Consensus"]
        else:
            reference = per_case[[a for a in auditors if a != auditor]].mean(axis=1)
        difference = (per_case[auditor] - reference).dropna().to_numpy(dtype=float)
        confidence = 1 - 0.05 / len(auditors)
        mean = difference.mean()
        spread = difference.std(ddof=1) / math.sqrt(len(difference))
        half = stats.t.ppf(1 - (1 - confidence) / 2, len(difference) - 1) * spread
        expected = (mean, mean - half, mean + half, confidence)
        stated_ = (figures["mean_difference"], figures["low"], figures["high"],
                   figures["confidence"])
        if not all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(expected, stated_,
                                                                      strict=True)):
            self.fail(claim, f"a t-test over the cases gives {mean:+.3f} "
                             f"({mean - half:+.3f} to {mean + half:+.3f}) at {confidence:.3f}")
        named = ("more generous" if mean - half > 0 else
                 "more severe" if mean + half < 0 else "no clear difference")
        if named != figures["direction"]:
            self.fail(claim, f"the interval says {named}")
        if figures["direction"] != "no clear difference" and \
                figures["direction"].split()[-1][:5] not in claim["text"]:
            self.fail(claim, "the words do not say which way")

    def _expected_by_chance(self, claim, scope, figures):
        expected = figures["expected"]
        if 0 < expected < 0.5 and "fewer than one" not in claim["text"]:
            self.fail(claim, "fewer than one council expected, not said so")
        if expected == 0 and not claim["text"].startswith("no council"):
            self.fail(claim, "no council can be outside, not said so")
        if re.search(r"\babout 0\.\d", claim["text"]):
            self.fail(claim, "a fraction of a council")
