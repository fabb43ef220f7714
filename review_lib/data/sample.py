"""Deterministic generator of the synthetic sample programme shipped in ``data/sample``.

Real case-level audit data is personal and never leaves a council, so the suite ships a
**synthetic** programme: 14 councils in the 2022-24 cycle and five in 2019, and one
moderation exercise in 2022-24. Every council
but Dudley is fictional. Dudley 2022-24 is reconstructed so that its totals equal those of
the published report (59/143/37/1 ratings and 5/13/2/0 overall judgements), with a
per-question split consistent with that report's narrative. Run
``python -m review_lib.data.sample`` to regenerate the files; the output is the same every time.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from review_lib.data.catalogue import Catalogue, load_catalogue
from review_lib.data.scale import LEVELS
from review_lib.data.template import write_moderation_workbook, write_review_workbook
from review_lib.paths import SAMPLE_DIR

SYNTHETIC_NOTE = "Synthetic sample data: not real case records."

#: Dudley 2022-24 per-question counts (rows O, G, RI, I; columns Q1..Q12), from DESIGN.md.
DUDLEY_2022_24 = np.array([
    [8, 6, 2, 5, 7, 5, 5, 4, 7, 4, 1, 5],
    [11, 12, 11, 12, 12, 13, 13, 12, 12, 11, 11, 13],
    [1, 2, 7, 3, 1, 2, 2, 4, 1, 5, 7, 2],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
])
#: Published overall judgements of Dudley 2022-24 (O, G, RI, I).
DUDLEY_2022_24_OVERALL = (5, 13, 2, 0)


@dataclass(frozen=True)
class CouncilProfile:
    """How a fictional council's ratings are drawn.

    Attributes
    ----------
    name : str
        Council name (fictional, apart from Dudley).
    slug : str
        File-name stem.
    effect : float
        Shift of the latent practice quality (positive is better).
    na_rate : float
        Chance that a question which can be not applicable is marked N/A for a case.
    auditor_spread : float
        How much the four auditors differ in severity.
    """

    name: str
    slug: str
    effect: float
    na_rate: float = 0.0
    auditor_spread: float = 0.15


#: The 2022-24 cycle. One council well above the rest (Kestrel Vale), one well below
#: (Northwold); the others vary within what chance would give.
PROFILES_2022_24 = (
    CouncilProfile("Ashcombe", "ashcombe", 0.10, 0.04),
    CouncilProfile("Brackenbury", "brackenbury", -0.05),
    CouncilProfile("Corrington", "corrington", 0.00, 0.06),
    CouncilProfile("Elverston", "elverston", 0.05),
    CouncilProfile("Farleigh Moor", "farleigh-moor", -0.10, 0.03),
    CouncilProfile("Greyhaven", "greyhaven", 0.15),
    CouncilProfile("Hollinsworth", "hollinsworth", -0.15, 0.05, 0.35),
    CouncilProfile("Kestrel Vale", "kestrel-vale", 1.60),
    CouncilProfile("Lydmouth", "lydmouth", 0.00),
    CouncilProfile("Northwold", "northwold", -1.45, 0.02),
    CouncilProfile("Pennant Cross", "pennant-cross", 0.05, 0.08),
    CouncilProfile("Ravensfield", "ravensfield", -0.05),
    CouncilProfile("Thornbury Water", "thornbury-water", 0.10),
)

#: The 2019 cycle: four fictional councils, so change between cycles can be shown. Dudley's
#: 2019 review is known only by its published recommendations (``2019/dudley.md``): no
#: ratings are invented for a real council beyond the published 2022-24 totals.
PROFILES_2019 = (
    CouncilProfile("Ashcombe", "ashcombe", -0.10, 0.03),
    CouncilProfile("Greyhaven", "greyhaven", 0.10),
    CouncilProfile("Lydmouth", "lydmouth", -0.45),
    CouncilProfile("Northwold", "northwold", -1.20, 0.02),
)

#: Question difficulty (positive is harder), following the 2023 report's narrative:
#: management oversight and community assets weakest, voice and partnership strongest.
QUESTION_DIFFICULTY = {
    "Q1": -0.45, "Q2": -0.15, "Q3": 0.55, "Q4": 0.05, "Q5": -0.25, "Q6": 0.0,
    "Q7": -0.05, "Q8": 0.25, "Q9": -0.40, "Q10": 0.35, "Q11": 0.75, "Q12": 0.0,
}
#: Questions that may not apply to a case.
MAY_NOT_APPLY = ("Q5", "Q7", "Q8")
#: Cut points on the latent scale between Inadequate|RI, RI|Good, Good|Outstanding.
CUTS = (-2.3, -0.95, 0.85)

AUDITORS = ("PSW A", "PSW B", "PSW C", "PSW D")
CASES_PER_AUDITOR = 5


def _case_refs(rng: np.random.Generator, prefix: str, n: int) -> list[str]:
    numbers = rng.choice(np.arange(100000, 999999), size=n, replace=False)
    return [f"{prefix}-{number}" for number in numbers]


def _level(score: float) -> str:
    if score < CUTS[0]:
        return "Inadequate"
    if score < CUTS[1]:
        return "Requires Improvement"
    if score < CUTS[2]:
        return "Good"
    return "Outstanding"


def _overall_from_scores(mean_scores: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Overall judgement per case from its mean question rating (1-4), with a little judgement."""
    noisy = mean_scores + rng.normal(0, 0.12, size=len(mean_scores))
    result = []
    for value in noisy:
        if value >= 3.3:
            result.append("Outstanding")
        elif value >= 2.55:
            result.append("Good")
        elif value >= 1.6:
            result.append("Requires Improvement")
        else:
            result.append("Inadequate")
    return result


def generate_council(profile: CouncilProfile, catalogue: Catalogue, seed: int
                     ) -> list[list[object]]:
    """Draw one fictional council's 20 cases from its profile.

    Parameters
    ----------
    profile : CouncilProfile
        The council's profile.
    catalogue : Catalogue
        The questions.
    seed : int
        Random seed (fixed per council and cycle, so output is reproducible).

    Returns
    -------
    list of list
        Rows of case, auditor, one label per question, overall judgement.
    """
    rng = np.random.default_rng(seed)
    n_cases = len(AUDITORS) * CASES_PER_AUDITOR
    refs = _case_refs(rng, profile.slug[:2].upper(), n_cases)
    severity = rng.normal(0, profile.auditor_spread, size=len(AUDITORS))
    scores = {level: 4 - i for i, level in enumerate(LEVELS)}
    rows = []
    means = []
    for index, ref in enumerate(refs):
        auditor_index = index // CASES_PER_AUDITOR
        case_quality = rng.normal(0, 0.75)
        labels = []
        values = []
        for q in catalogue:
            if q.id in MAY_NOT_APPLY and rng.random() < profile.na_rate:
                labels.append("N/A")
                continue
            latent = (profile.effect + case_quality - QUESTION_DIFFICULTY.get(q.id, 0.0)
                      - severity[auditor_index] + rng.normal(0, 0.7))
            level = _level(latent)
            labels.append(level)
            values.append(scores[level])
        means.append(float(np.mean(values)))
        rows.append([ref, AUDITORS[auditor_index], *labels])
    overall = _overall_from_scores(np.array(means), rng)
    return [[*row, judgement] for row, judgement in zip(rows, overall, strict=True)]


def generate_dudley_2022_24(catalogue: Catalogue, seed: int = 2023) -> list[list[object]]:
    """Reconstruct Dudley 2022-24 so that its totals equal the published report exactly.

    Each case gets a latent quality; for each question the cases are ranked by quality
    (plus a little noise) and the published per-question counts are handed out from the
    best case down. The five best cases overall are judged Outstanding, the two weakest
    Requires Improvement, the rest Good, matching the published 5/13/2/0.

    Parameters
    ----------
    catalogue : Catalogue
        Must be the 12-question illustrative catalogue (ids Q1..Q12).
    seed : int, default 2023
        Random seed.

    Returns
    -------
    list of list
        Rows of case, auditor, one label per question, overall judgement.
    """
    if catalogue.ids != [f"Q{i}" for i in range(1, 13)]:
        raise ValueError("Dudley's reconstruction needs the 12 illustrative questions Q1-Q12")
    rng = np.random.default_rng(seed)
    n_cases = 20
    refs = _case_refs(rng, "DY", n_cases)
    quality = rng.normal(0, 1, size=n_cases)
    grid = np.empty((n_cases, 12), dtype=object)
    for column in range(12):
        order = np.argsort(-(quality + rng.normal(0, 0.6, size=n_cases)), kind="stable")
        labels = np.repeat(np.array(LEVELS, dtype=object), DUDLEY_2022_24[:, column])
        grid[order, column] = labels
    scores = {level: 4 - i for i, level in enumerate(LEVELS)}
    mean = np.array([np.mean([scores[v] for v in row]) for row in grid])
    by_mean = np.argsort(-mean, kind="stable")
    overall = np.empty(n_cases, dtype=object)
    start = 0
    for level, count in zip(LEVELS, DUDLEY_2022_24_OVERALL, strict=True):
        overall[by_mean[start:start + count]] = level
        start += count
    rows = []
    for index, ref in enumerate(refs):
        auditor = AUDITORS[index // CASES_PER_AUDITOR]
        rows.append([ref, auditor, *grid[index].tolist(), overall[index]])
    return rows


#: Councils whose 2022-24 workbooks carry the auditors' evidence (``Evidence Q1`` ...).
EVIDENCE_COUNCILS = ("dudley", "kestrel-vale", "northwold")
#: The council whose 2022-24 review is given as a folder of per-case audit forms.
FORMS_COUNCIL = "ashcombe"

#: Invented audit evidence, per question: what an auditor writes of a record that does
#: well on it, and of one that falls short. No real person or record is described.
_EVIDENCE_PHRASES = {
    "Q1": ("The person's own words are quoted in the assessment, including what matters "
           "to them about staying at home.",
           "The record summarises the person's views in the worker's words; their own "
           "wishes are hard to find."),
    "Q2": ("Strengths are set out first: the person manages their medication and has a "
           "close neighbour who helps daily.",
           "The assessment lists deficits and tasks; the person's abilities and networks "
           "are not explored."),
    "Q3": ("A local lunch club and a befriending scheme were discussed and the person "
           "chose to try the lunch club.",
           "No community options were considered before a commissioned service was "
           "arranged."),
    "Q4": ("Outcomes are written in the person's terms, with who will do what and by "
           "when.",
           "Outcomes are generic ('to be safe') and do not say how they will be "
           "achieved."),
    "Q5": ("Capacity to decide on the move was assessed, decision-specific, with the "
           "two stages recorded.",
           "Capacity is described as 'lacking' without a decision-specific assessment "
           "on the record."),
    "Q6": ("Risks were weighed with the person, who accepted some risk; a contingency "
           "plan is recorded.",
           "Risk is noted but there is no plan for what happens if the carer is "
           "unavailable."),
    "Q7": ("The safeguarding enquiry asked the person what outcome they wanted and "
           "recorded it.",
           "The concern was closed without the person's views on what they wanted to "
           "happen."),
    "Q8": ("The carer was offered and had an assessment; their own needs are recorded "
           "separately.",
           "The daughter provides daily care but was not offered a carer's assessment."),
    "Q9": ("Joint visit with the district nurse; their advice is reflected in the "
           "support plan.",
           "The occupational therapy referral is noted but there is no record of the "
           "outcome being followed up."),
    "Q10": ("The eligibility decision cites the Care Act outcomes and explains each "
            "one.",
            "No legislation is referenced; the reason for the decision is not "
            "explained."),
    "Q11": ("The manager's decision and reasoning are recorded at allocation and at "
            "review.",
            "No management oversight is recorded; the plan was authorised without a "
            "note of the reasoning."),
    "Q12": ("Recording is clear and proportionate, in respectful, plain language.",
            "Case notes are lengthy and repeat earlier entries; some terms are not "
            "respectful."),
}
_NOT_APPLICABLE_EVIDENCE = "Not relevant to this record: nothing in it called for this."
#: Where an auditor found it, or how they checked it: varied from record to record.
_WHERE_GOOD = ("Seen in the assessment.", "Seen in the support plan and the case notes.",
               "Consistent across the assessment and the review.",
               "Confirmed in the worker's case summary.")
_WHERE_WEAK = ("Discussed with the worker, who agreed it was missing.",
               "Checked the case notes and the plan: not found in either.",
               "Raised with the worker in the case discussion.",
               "The review repeats the gap found at assessment.")

#: Details an auditor might copy into evidence by mistake, planted in the sample so that
#: the evidence pack's redaction shows (all invented: numbers reserved for fiction and example
#: addresses). ``{ref}`` is the case's own identifier.
_PLANTED = {
    "Q9": " Hospital discharge letter for {ref} dated 14/03/2023 is on file.",
    "Q7": " Duty team contacted on 01632 960 123 the same day.",
    "Q8": " Carer's email (carer.contact@example.org) is recorded for updates.",
    "Q5": " The front sheet shows NHS number 943 476 5919.",
}


def sample_evidence(rows: list[list[object]], catalogue: Catalogue, *, plant: int | None = None
                    ) -> list[dict[str, str]]:
    """Invented audit evidence for each case of a review, following its ratings.

    Parameters
    ----------
    rows : list of list
        The review's rows (case, auditor, one label per question, overall judgement).
    catalogue : Catalogue
        The questions.
    plant : int, optional
        The row whose evidence also carries the case's own identifier, a date, a phone
        number, an email address and an NHS-style number, as auditors sometimes copy
        them in (the evidence pack replaces and redacts them).

    Returns
    -------
    list of dict
        Per row, the evidence per question id and the overall judgement's reason
        (``"Overall"``).
    """
    from review_lib.data.records import OVERALL

    scores = {level: 4 - i for i, level in enumerate(LEVELS)}
    result = []
    for index, (ref, _auditor, *labels) in enumerate(rows):
        *ratings, judgement = labels[:len(catalogue) + 1]
        texts = {}
        for q, label in zip(catalogue.ids, ratings, strict=True):
            if label == "N/A":
                texts[q] = _NOT_APPLICABLE_EVIDENCE
                continue
            strong, weak = _EVIDENCE_PHRASES[q]
            where = _WHERE_GOOD if scores[label] >= 3 else _WHERE_WEAK
            text = (f"{strong if scores[label] >= 3 else weak} "
                    f"{where[(index + catalogue.ids.index(q)) % len(where)]}")
            if label == "Outstanding":
                text += " An example of practice to share with the team."
            elif label == "Inadequate":
                text += " To be raised with the team manager now."
            if index == plant and q in _PLANTED:
                text += _PLANTED[q].format(ref=ref)
            texts[q] = text
        rated = [(scores[label], q) for q, label in zip(catalogue.ids, ratings, strict=True)
                 if label != "N/A"]
        weakest = sorted(rated)[:2]
        labels_of = {q.id: q.short_label.lower() for q in catalogue}
        texts[OVERALL] = (
            f"Judged {judgement} overall: the record is "
            f"{'strong' if scores[judgement] >= 3 else 'not yet good enough'} across most "
            f"areas; the weakest were {labels_of[weakest[0][1]]} ({weakest[0][1]}) and "
            f"{labels_of[weakest[1][1]]} ({weakest[1][1]}).")
        result.append(texts)
    return result


def write_sample_forms(folder: Path, council: str, cycle: str, month: str,
                       catalogue: Catalogue, rows: list[list[object]]) -> list[Path]:
    """Write a review's rows as a folder of audit forms, one per case, with evidence.

    Parameters
    ----------
    folder : Path
        The forms folder (``.../2022-24/ashcombe-forms``); forms already in it are removed.
    council, cycle, month : str
        The review's details, on every form.
    catalogue : Catalogue
        The questions.
    rows : list of list
        Case, auditor, one label per question, overall judgement: the same ratings a
        workbook of the review would hold.

    Returns
    -------
    list of Path
        The forms, ``case-01.xlsx`` ... in the rows' order.
    """
    from review_lib.data.forms import write_form

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.xlsx"):
        old.unlink()
    written = []
    for number, (row, texts) in enumerate(
            zip(rows, sample_evidence(rows, catalogue), strict=True), start=1):
        ref, auditor, *labels = row
        written.append(write_form(
            folder / f"case-{number:02d}.xlsx", catalogue, council=council, cycle=cycle,
            case=ref, auditor=auditor, review_month=month,
            ratings=dict(zip(catalogue.ids, labels[:len(catalogue)], strict=True)),
            judgement=labels[len(catalogue)], evidence=texts))
    return written


#: The sample's moderation exercise: 5 auditors rate the same 8 case records.
MODERATION_NAME = "Autumn 2023 calibration"
MODERATION_FILE = "autumn-2023-calibration.xlsx"
MODERATION_AUDITORS = ("PSW A", "PSW B", "PSW C", "PSW D", "PSW E")
MODERATION_CASES = 8
#: How far each auditor's ratings are shifted on the latent scale (positive: more generous).
#: PSW B is built to be generous and PSW D severe, each by about half a level of the scale;
#: the other three rate without a shift.
MODERATION_SHIFTS = {"PSW A": 0.0, "PSW B": 0.9, "PSW C": 0.0, "PSW D": -0.9, "PSW E": 0.0}
#: A question the auditors read differently: their ratings of it carry extra noise.
MODERATION_UNCLEAR = "Q11"


def generate_moderation(catalogue: Catalogue, seed: int = 2310) -> list[list[object]]:
    """Draw the sample's moderation exercise: 5 auditors and a consensus rate 8 cases.

    Each case record has a latent quality, each question a difficulty, and each case and
    question a "true" rating: the consensus row. Each auditor rates it with noise and their
    own shift (:data:`MODERATION_SHIFTS`): PSW B generous, PSW D severe, the rest fair. On
    :data:`MODERATION_UNCLEAR` the auditors' noise is larger, as if they read that question
    differently. Overall judgements follow each rater's own question ratings.

    Parameters
    ----------
    catalogue : Catalogue
        The questions.
    seed : int, default 2310
        Random seed.

    Returns
    -------
    list of list
        Rows of case, auditor (or Consensus), one label per question, overall judgement:
        for each case, the five auditors' rows and then its consensus row.
    """
    rng = np.random.default_rng(seed)
    refs = _case_refs(rng, "MX", MODERATION_CASES)
    scores = {level: 4 - i for i, level in enumerate(LEVELS)}
    rows = []
    for ref in refs:
        quality = rng.normal(0.1, 0.8)
        truth = {q.id: quality - QUESTION_DIFFICULTY.get(q.id, 0.0) + rng.normal(0, 0.45)
                 for q in catalogue}
        raters = []
        for auditor in MODERATION_AUDITORS:
            labels = []
            for q in catalogue:
                spread = 1.2 if q.id == MODERATION_UNCLEAR else 0.3
                labels.append(_level(truth[q.id] + MODERATION_SHIFTS[auditor]
                                     + rng.normal(0, spread)))
            raters.append((auditor, labels))
        raters.append(("Consensus", [_level(truth[q.id]) for q in catalogue]))
        means = np.array([np.mean([scores[v] for v in labels]) for _, labels in raters])
        overall = _overall_from_scores(means, rng)
        rows += [[ref, rater, *labels, judgement]
                 for (rater, labels), judgement in zip(raters, overall, strict=True)]
    return rows


def _write_wide_csv(path: Path, council: str, cycle: str, month: str, catalogue: Catalogue,
                    rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Council", "Cycle", "Review month", "Case", "Auditor",
                         *catalogue.ids, "Overall judgement"])
        for row in rows:
            writer.writerow([council, cycle, month, *row])


def _write_long_csv(path: Path, council: str, cycle: str, catalogue: Catalogue,
                    rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["council", "cycle", "case", "auditor", "question", "rating"])
        for case, auditor, *labels in rows:
            for qid, label in zip([*catalogue.ids, "Overall"], labels, strict=True):
                writer.writerow([council, cycle, case, auditor, qid, label])


SAMPLE_README = """# Sample programme (synthetic)

**{note}** Every council except Dudley is fictional; no row describes a real person.

Made by `python -m review_lib.data.sample` (a deterministic generator: the same files every time).

- `2022-24/`: 14 councils, 20 cases each, 4 auditors x 5 cases, 12 questions; 13 as one
  Excel workbook each in the data-entry template layout (sheets `Review`, `Ratings`,
  `Questions`), and **Ashcombe** as a folder of per-case audit forms, `ashcombe-forms/`
  (`case-01.xlsx` ... `case-20.xlsx`, in the layout `practice-review template --form`
  writes, with the auditors' evidence beside each rating; `docs/evidence.md`).
  - **Dudley** is reconstructed so that its totals equal the published Practice Review
    report of January 2024 exactly: 240 ratings 59 / 143 / 37 / 1 and 20 overall
    judgements 5 / 13 / 2 / 0. The case-level ratings themselves are invented.
  - **Kestrel Vale** is drawn well above the rest and **Northwold** well below; the others
    vary within what chance would give. Some councils mark questions not applicable
    (mental capacity, safeguarding, carers).
  - `corrington.xlsx` carries a free-text Comments column, which the suite never copies
    into any report.
  - `dudley.xlsx`, `kestrel-vale.xlsx` and `northwold.xlsx` carry the auditors' evidence
    (`Evidence Q1` ... `Evidence overall` columns), invented and following each rating;
    only the review team's internal evidence pack shows it. One Dudley case's evidence
    also holds, as auditors sometimes copy them in, its own case identifier, a date, a
    phone number, an email address and an NHS-style number (all invented: example
    addresses and numbers), which the pack replaces or removes and counts.
- `2022-24/moderation/autumn-2023-calibration.xlsx`: a moderation exercise ("Autumn 2023
  calibration", in the layout `practice-review template --moderation` writes): 5 auditors
  (PSW A to PSW E) each rate the same 8 case records, and a Consensus row per case holds
  the agreed rating. **PSW B** is built to rate about half a level more generously than
  the consensus and **PSW D** about half a level more severely; PSW A, C and E rate without
  a shift. Every auditor's ratings of Q11 (management oversight) carry extra noise, as if
  they read that question differently. The calibration report should name exactly these.
- `2019/`: an earlier cycle for Ashcombe, Greyhaven, Lydmouth and Northwold, as wide CSV
  files, except Northwold's, which is a long CSV (a row per rating). Their change since 2019
  is the sample's demonstration of change between cycles.
- Review-team notes (`docs/notes.md`), written by hand and not by the generator:
  - `2022-24/dudley.md` paraphrases, in our own words, sections 1-3 and 5-8 of the
    published report (no sentence copied, no person named);
  - `2019/dudley.md` holds only the published 2019 areas for consideration, as Dudley's
    2019 recommendations (no ratings: it names its council and cycle itself), which the
    2022-24 notes follow up one by one with the host council's updates;
  - `2022-24/northwold.md` (a draft), `2022-24/greyhaven.docx` (written in Word),
    `2022-24/kestrel-vale.md`, and `2019/northwold-long.md` and `2019/greyhaven.md` with
    those councils' 2019 recommendations: invented.
  - Each 2022-24 notes file opens with `# Key messages` (five for Dudley, four for
    Northwold and Kestrel Vale, three for Greyhaven), which open the leadership report's
    summary.
  - Dudley's and Northwold's recommendations each mark one as `**Urgent:**` (shown in a
    box in the summary) and carry the action plan's fields as sub-bullets (`Owner:`,
    `Timescale:`, `Priority:`, `Measure:`, and `Follows: R3` where one takes up a 2019
    recommendation); Greyhaven's give owners too, and Kestrel Vale's none, so its action
    plan shows those fields empty for the team to fill. Each of the four reviews with
    recommendations gets `action-plan.xlsx` and `action-plan.docx` beside its reports.
  - The follow-up of 2019 gives each earlier recommendation a status: Dudley's 15 are
    `met` or `partly met`; Northwold's 6 use all four statuses (`met`, `partly met`,
    `not met`, `replaced`), so the summary's count and section 2 show each.
"""


def write_sample(folder: str | Path = SAMPLE_DIR, catalogue: Catalogue | None = None) -> list[Path]:
    """Write the whole synthetic sample programme.

    Parameters
    ----------
    folder : str or Path
        Where to write (the bundled ``data/sample`` by default).
    catalogue : Catalogue, optional
        The 12-question illustrative catalogue by default.

    Returns
    -------
    list of Path
        The data files written.
    """
    folder = Path(folder)
    catalogue = catalogue or load_catalogue()
    written = []
    cycle = "2022-24"
    (folder / cycle).mkdir(parents=True, exist_ok=True)
    reviews = [("Dudley", "dudley", "2023-11", generate_dudley_2022_24(catalogue))]
    for number, profile in enumerate(PROFILES_2022_24):
        month = f"{2022 + (number + 3) // 8}-{(number * 5) % 12 + 1:02d}"
        reviews.append((profile.name, profile.slug, month,
                        generate_council(profile, catalogue, seed=2200 + number)))
    for name, slug, month, rows in sorted(reviews):
        if slug == FORMS_COUNCIL:
            (folder / cycle / f"{slug}.xlsx").unlink(missing_ok=True)
            written += write_sample_forms(folder / cycle / f"{slug}-forms", name, cycle,
                                          month, catalogue, rows)
            continue
        evidence = None
        if slug in EVIDENCE_COUNCILS:
            evidence = sample_evidence(rows, catalogue, plant=0 if slug == "dudley" else None)
        if slug == "corrington":
            rows = [[*row, _comment(i)] for i, row in enumerate(rows)]
        path = folder / cycle / f"{slug}.xlsx"
        write_review_workbook(path, catalogue, council=name, cycle=cycle, review_month=month,
                              rows=rows, evidence_rows=evidence)
        written.append(path)
    path = folder / cycle / "moderation" / MODERATION_FILE
    write_moderation_workbook(path, catalogue, name=MODERATION_NAME, cycle=cycle,
                              month="2023-10", auditors=MODERATION_AUDITORS,
                              rows=generate_moderation(catalogue))
    written.append(path)
    cycle = "2019"
    (folder / cycle).mkdir(parents=True, exist_ok=True)
    for number, profile in enumerate(PROFILES_2019, start=1):  # seeds as when Dudley was 0
        rows = generate_council(profile, catalogue, seed=1900 + number)
        month = f"2019-{(number * 2) % 12 + 3:02d}"
        if profile.slug == "northwold":
            path = folder / cycle / f"{profile.slug}-long.csv"
            _write_long_csv(path, profile.name, cycle, catalogue, rows)
        else:
            path = folder / cycle / f"{profile.slug}.csv"
            _write_wide_csv(path, profile.name, cycle, month, catalogue, rows)
        written.append(path)
    (folder / "README.md").write_text(SAMPLE_README.format(note=SYNTHETIC_NOTE),
                                      encoding="utf-8")
    return written


def _comment(index: int) -> str:
    notes = ("Clear record of the person's wishes.", "Carer not offered an assessment.",
             "Good joint working with the district nurse.", "No manager sign-off seen.")
    return notes[index % len(notes)]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``python -m review_lib.data.sample [FOLDER]``."""
    parser = argparse.ArgumentParser(description="Write the synthetic sample programme.")
    parser.add_argument("folder", nargs="?", default=str(SAMPLE_DIR))
    args = parser.parse_args(argv)
    for path in write_sample(args.folder):
        print(f"wrote {path.parent.name}/{path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
