"""Time loading, validating and summarising a national-scale Practice Review programme.

Generates a synthetic programme (150 councils x 5 cycles x 20 cases x 12 questions by
default; ``--quick`` uses 15 councils) deterministically with ``review_lib.data.sample``, in two
layouts, then times for each layout:

* load + validate: ``load_programme(folder)``;
* summarise: what ``practice-review summary`` computes for every review (level counts of
  ratings and judgements, count tables as text, headline sentence, shares Good or better),
  plus every review's question table (``question_summary(..., by=("council", "cycle"))``
  once for the programme; ``--per-review-tables``: ``question_summary`` once per review,
  the workload timed before 2026-11-26) and ``review_summary`` over the whole programme,
  without printing.

Generation is not timed. Imports (pandas, review_lib, scipy) are timed separately in fresh
processes and warmed up before the measured runs. Targets are reported, never asserted: the
script exits 0 whether or not they are met.

Run with ``make bench`` or ``.venv/bin/python benchmarks/bench_load.py [--quick]``.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import hashlib
import io
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy

from review_lib.analysis.summary import (
    count_table_text,
    good_or_better,
    headline_sentence,
    level_counts,
    question_summary,
    review_summary,
)
from review_lib.data.catalogue import Catalogue, load_catalogue
from review_lib.data.loading import load_programme
from review_lib.data.records import Programme
from review_lib.data.sample import CouncilProfile, generate_council

CYCLES = ("2014", "2016-17", "2019", "2022-24", "2025-26")
COUNCILS = 150
QUICK_COUNCILS = 15
TARGET_SECONDS = 2.0
MASTER_SEED = 20240117
LAYOUTS = (
    ("long", "long CSV, one file per cycle"),
    ("wide", "wide CSV, one file per review"),
)

# review_lib.data.loading and review_lib.analysis.summary no longer import scipy; it is timed
# after them (incrementally) to show what a command that also needs scipy.stats pays on top.
IMPORT_SNIPPET = """
import sys, time
t0 = time.perf_counter()
import pandas
t1 = time.perf_counter()
import review_lib.data.loading, review_lib.analysis.summary
t2 = time.perf_counter()
scipy_by_review_lib = "scipy.stats" in sys.modules
import scipy.stats
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t3 - t0, int(scipy_by_review_lib))
"""


# --------------------------------------------------------------------------- data


#: The nine ADASS regions of England with roughly their number of councils with adult
#: social care responsibilities (153 in all); :func:`council_region` spreads any number of
#: councils over them in these proportions, in blocks of consecutive council numbers.
ADASS_REGIONS = (("East Midlands", 10), ("Eastern", 11), ("London", 33), ("North East", 12),
                 ("North West", 23), ("South East", 19), ("South West", 16),
                 ("West Midlands", 14), ("Yorkshire and the Humber", 15))


def council_region(number: int, n_councils: int) -> str:
    """The ADASS region of council ``number`` (1-based) of ``n_councils`` (deterministic)."""
    total = sum(size for _, size in ADASS_REGIONS)
    place = (number - 0.5) / n_councils * total
    running = 0
    for name, size in ADASS_REGIONS:
        running += size
        if place < running:
            return name
    return ADASS_REGIONS[-1][0]


def council_profiles(n_councils: int) -> list[CouncilProfile]:
    """Fictional councils with varied quality, N/A use and auditor spread (deterministic)."""
    rng = np.random.default_rng(MASTER_SEED)
    profiles = []
    for number in range(1, n_councils + 1):
        effect = float(np.round(rng.normal(0.0, 0.5), 3))
        na_rate = float(rng.choice([0.0, 0.0, 0.02, 0.04, 0.08]))
        spread = float(np.round(rng.uniform(0.1, 0.35), 3))
        profiles.append(CouncilProfile(f"Council {number:03d}", f"council-{number:03d}",
                                       effect, na_rate, spread))
    return profiles


def generate_programme(n_councils: int, catalogue: Catalogue
                       ) -> list[tuple[str, str, str, str, list[list[object]]]]:
    """Every review as (council, cycle, review month, ADASS region, rows of
    case/auditor/labels/overall)."""
    reviews = []
    for cycle_index, cycle in enumerate(CYCLES):
        year = int(cycle[:4])
        for number, profile in enumerate(council_profiles(n_councils)):
            drift = 0.05 * cycle_index  # practice improves a little from cycle to cycle
            shifted = CouncilProfile(profile.name, profile.slug, profile.effect + drift,
                                     profile.na_rate, profile.auditor_spread)
            rows = generate_council(shifted, catalogue, seed=1_000_000 + 1000 * cycle_index
                                    + number)
            month = f"{year + number % 2}-{number % 12 + 1:02d}"
            reviews.append((profile.name, cycle, month,
                            council_region(number + 1, n_councils), rows))
    return reviews


def _csv_text(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_layouts(out: Path, reviews, catalogue: Catalogue) -> dict[str, tuple[Path, int]]:
    """Write both layouts under ``out``; return layout -> (folder, number of files)."""
    ids = catalogue.ids
    long_dir, wide_dir = out / "long", out / "wide"
    for folder in (long_dir, wide_dir):  # replace what an earlier run wrote there
        if folder.is_dir():
            shutil.rmtree(folder)
    by_cycle: dict[str, list[list[object]]] = {}
    n_wide = 0
    for council, cycle, month, region, rows in reviews:
        long_rows = by_cycle.setdefault(
            cycle, [["council", "cycle", "region", "case", "auditor", "question", "rating"]])
        for case, auditor, *labels in rows:
            for qid, label in zip([*ids, "Overall"], labels, strict=True):
                long_rows.append([council, cycle, region, case, auditor, qid, label])
        wide_rows = [["Council", "Cycle", "Review month", "Region", "Case", "Auditor", *ids,
                      "Overall judgement"]]
        wide_rows += [[council, cycle, month, region, *row] for row in rows]
        folder = wide_dir / cycle
        folder.mkdir(parents=True, exist_ok=True)
        slug = council.lower().replace(" ", "-")
        (folder / f"{slug}.csv").write_text(_csv_text(wide_rows), encoding="utf-8")
        n_wide += 1
    long_dir.mkdir(parents=True, exist_ok=True)
    for cycle, long_rows in by_cycle.items():
        (long_dir / f"ratings-{cycle}.csv").write_text(_csv_text(long_rows), encoding="utf-8")
    return {"long": (long_dir, len(by_cycle)), "wide": (wide_dir, n_wide)}


def fingerprint(folder: Path) -> str:
    """SHA-256 over the files' relative names and bytes (shows the data is deterministic)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.csv")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- workload


def summarise(programme: Programme, per_review_tables: bool = False) -> pd.DataFrame:
    """What ``practice-review summary`` computes for every review, plus the tables.

    Every review's question table comes from one ``question_summary(..., by=...)`` over the
    programme (``per_review_tables``: one ``question_summary`` per review, as timed before).
    """
    catalogue = programme.catalogue
    if not per_review_tables:
        question_summary(programme.ratings, programme.not_applicable, catalogue,
                         by=("council", "cycle"))
    for review in sorted(programme.reviews, key=lambda r: (r.cycle, r.council)):
        ratings = review.ratings["rating"]
        judgements = review.judgements["judgement"]
        count_table_text(level_counts(ratings), "Question ratings:")
        count_table_text(level_counts(judgements), "Overall judgements:")
        headline_sentence(judgements)
        good_or_better(judgements).describe()
        good_or_better(ratings).describe()
        if per_review_tables:
            question_summary(review.ratings, review.not_applicable, catalogue)
    return review_summary(programme.ratings, programme.judgements)


def check(programme: Programme, table: pd.DataFrame, n_councils: int, n_questions: int) -> None:
    """Fail loudly if a layout did not load the whole programme."""
    n_reviews = n_councils * len(CYCLES)
    n_cases = n_reviews * 20
    rated = len(programme.ratings) + len(programme.not_applicable)
    problems = []
    if len(programme.reviews) != n_reviews:
        problems.append(f"{len(programme.reviews)} reviews, expected {n_reviews}")
    if rated != n_cases * n_questions:
        problems.append(f"{rated} ratings, expected {n_cases * n_questions}")
    if int(table["cases"].sum()) != n_cases:
        problems.append(f"{int(table['cases'].sum())} judgements, expected {n_cases}")
    regions = {r.region for r in programme.reviews}
    if "" in regions or len(regions) != min(n_councils, len(ADASS_REGIONS)):
        problems.append(f"regions read: {sorted(regions)}")
    if problems:
        raise SystemExit("benchmark data did not load as expected: " + "; ".join(problems))


def time_layout(folder: Path, repeats: int, per_review_tables: bool = False
                ) -> dict[str, list[float]]:
    """Load and summarise ``repeats`` times; seconds per phase per run."""
    times: dict[str, list[float]] = {"load": [], "summarise": [], "total": []}
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        programme = load_programme(folder)
        t1 = time.perf_counter()
        summarise(programme, per_review_tables)
        t2 = time.perf_counter()
        times["load"].append(t1 - t0)
        times["summarise"].append(t2 - t1)
        times["total"].append(t2 - t0)
        del programme
    return times


def time_imports(repeats: int) -> dict[str, list[float]]:
    """Import times of pandas, review_lib and scipy.stats, each run in a fresh interpreter.

    ``scipy_by_review_lib`` records whether importing review_lib's loading and summary
    modules imported scipy.stats (it should not).
    """
    parts = ("pandas", "review_lib", "scipy.stats", "all")
    times: dict[str, list[float]] = {part: [] for part in parts}
    times["scipy_by_review_lib"] = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", IMPORT_SNIPPET], check=True,
                              capture_output=True, text=True)
        *values, flag = done.stdout.split()
        for part, value in zip(parts, values, strict=True):
            times[part].append(float(value))
        times["scipy_by_review_lib"].append(float(flag))
    return times


def profile_layout(folder: Path, top: int, per_review_tables: bool = False,
                   out=sys.stdout) -> None:
    """cProfile one load + summarise; print the top functions by own and cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    summarise(load_programme(folder), per_review_tables)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        print(f"\n-- top {top} by {order} --", file=out)
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)


# --------------------------------------------------------------------------- report


def machine() -> list[tuple[str, str]]:
    """What the figures were measured on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 0
    return [
        ("CPU", f"{model} (nproc {nproc}, os.cpu_count {os.cpu_count()})"),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("pandas / numpy / scipy", f"{pd.__version__} / {np.__version__} / {scipy.__version__}"),
    ]


def best_median(values: list[float]) -> str:
    return f"{min(values):6.3f} / {statistics.median(values):6.3f}"


def load_average() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def print_report(results, imports, scale: str, repeats: int, data_id: str,
                 load_before: str, per_review_tables: bool = False) -> None:
    print()
    print(f"Programme: {scale}")
    print("Question tables: " + ("question_summary once per review (--per-review-tables)"
                                 if per_review_tables else
                                 "question_summary(..., by=('council', 'cycle')) once"))
    print(f"Data fingerprint: {data_id} (same every run: the generator is deterministic)")
    for label, value in machine():
        print(f"{label + ':':<24}{value}")
    print(f"{'Load average:':<24}{load_before} before, {load_average()} after timing "
          "(1 / 5 / 15 min; other work on the machine makes the figures noisier)")
    print()
    print(f"Seconds, best / median of {repeats} run(s) (imports excluded, warmed up):")
    header = (f"{'layout':<31}{'files':>6}  {'load+validate s':>17}  {'summarise s':>17}  "
              f"{'total s':>17}  {'target':>7}  met")
    print(header)
    print("-" * len(header))
    for label, n_files, times in results:
        met = "yes" if min(times["total"]) < TARGET_SECONDS else "no"
        print(f"{label:<31}{n_files:>6}  {best_median(times['load']):>17}  "
              f"{best_median(times['summarise']):>17}  {best_median(times['total']):>17}  "
              f"{'< ' + format(TARGET_SECONDS, 'g') + ' s':>7}  {met}")
    print()
    print(f"Python import time, fresh process, best / median of {repeats} run(s):")
    for part, label in (("pandas", "pandas"),
                        ("review_lib", "review_lib (loading, summary)"),
                        ("scipy.stats", "scipy.stats (not needed by them)"),
                        ("all", "total")):
        print(f"  {label:<33}{best_median(imports[part])} s")
    if any(imports["scipy_by_review_lib"]):
        print("  note: importing review_lib.data.loading/summary imported scipy.stats")
    print()
    print("'met' compares the best total with the target; targets are reported, not asserted.")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run with {QUICK_COUNCILS} councils instead of {COUNCILS}")
    parser.add_argument("--councils", type=int, default=None, help="number of councils")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per layout")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="write (and keep) the generated files in DIR/long and DIR/wide "
                        "(replaced if present); default a temporary folder, deleted afterwards")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="N",
                        help="also cProfile one run per layout and print the top N functions")
    parser.add_argument("--per-review-tables", action="store_true",
                        help="call question_summary once per review (the workload timed "
                        "before 2026-11-26) instead of once with by=('council', 'cycle')")
    args = parser.parse_args(argv)
    n_councils = args.councils or (QUICK_COUNCILS if args.quick else COUNCILS)
    repeats = max(1, args.repeats)

    catalogue = load_catalogue()
    n_questions = len(catalogue)
    n_reviews = n_councils * len(CYCLES)
    scale = (f"{n_councils} councils x {len(CYCLES)} cycles x 20 cases x {n_questions} questions"
             f" = {n_reviews * 20 * n_questions:,} ratings + {n_reviews * 20:,} judgements"
             f" ({n_reviews} reviews)")

    with tempfile.TemporaryDirectory(prefix="bench-load-") as temp:
        out = args.out or Path(temp)
        out.mkdir(parents=True, exist_ok=True)
        print(f"Generating {scale} in {out} (not timed) ...", flush=True)
        t0 = time.perf_counter()
        folders = write_layouts(out, generate_programme(n_councils, catalogue), catalogue)
        print(f"  generated in {time.perf_counter() - t0:.1f} s", flush=True)
        data_id = fingerprint(out)

        load_before = load_average()
        print("Timing imports in fresh processes ...", flush=True)
        imports = time_imports(repeats)

        results = []
        for layout, label in LAYOUTS:
            folder, n_files = folders[layout]
            print(f"Warming up and checking: {label} ...", flush=True)
            programme = load_programme(folder)
            check(programme, summarise(programme, args.per_review_tables), n_councils,
                  n_questions)
            del programme
            print(f"Timing {label} ({repeats} runs) ...", flush=True)
            results.append((label, n_files,
                            time_layout(folder, repeats, args.per_review_tables)))

        print_report(results, imports, scale, repeats, data_id, load_before,
                     args.per_review_tables)

        if args.profile:
            for layout, label in LAYOUTS:
                print(f"\n==== cProfile: {label} (one load + summarise; profiler overhead "
                      "inflates times) ====")
                profile_layout(folders[layout][0], args.profile, args.per_review_tables)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
