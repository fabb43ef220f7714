"""Time the batch run of the sample programme against a single-process floor.

Prints, from one run on this machine:

- the cold batch time for the sample programme (`practice-review run` into empty folders:
  28 council reports, the cross-council report, the index);
- the floor: one Python process that loads the data and draws the same charts;
- their ratio (target: at most 4x, and a cold batch under 90 s);
- the warm rerun with nothing changed (target: under 3 s);
- the rerun after one council's file changed, (a) in a way that leaves every count the same
  (two ratings of one case swapped between questions) and (b) in a way that changes the
  council's counts (one rating lowered); each three times, with the median; target: under
  20% of the cold batch;
- the same changes, (a) then (b), three times each, while ``practice-review run --watch``
  keeps its workers warm, from saving the file to the pass being done (its polling
  included);
- peak memory of the whole process tree (run, fork server and workers; target: under 2 GiB).

Usage: ``.venv/bin/python benchmarks/bench_batch.py [--jobs N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CLI = [PYTHON, "-m", "review_lib.cli"]


class PeakMemory:
    """Sample the summed RSS of a process and all its descendants, every 50 ms."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def timed(command: list[str], *, cwd: Path) -> tuple[float, int, str]:
    """Run a command; return wall seconds, peak tree RSS in bytes, and its output."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    with PeakMemory(process.pid) as memory:
        output, _ = process.communicate()
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        print(output[-3000:])
        raise SystemExit(f"command failed ({process.returncode}): {' '.join(command)}")
    return elapsed, memory.peak, output


FLOOR_SCRIPT = r'''
import sys, os
os.environ["MPLBACKEND"] = "Agg"
from pathlib import Path
data, figures = Path(sys.argv[1]), Path(sys.argv[2])
from review_lib import council_report as sections
from review_lib import cross_report
from review_lib.report import open_review
from review_lib.loading import load_programme

programme = load_programme(data)
cycle = programme.cycles[-1]
for review in programme.in_cycle(cycle).reviews:
    context = open_review(review.council, cycle, data, figures_dir=figures)
    # The same charts the two council notebooks draw.
    sections.question_chart(context)
    sections.judgements_section(context)
    sections.auditor_section(context)
    sections.case_section(context)
    sections.question_chart(context)
    sections.funnel_position(context)
context = cross_report.open_cycle(cycle, "", data, figures_dir=figures)
cross_report.funnel_section(context, "judgements")
cross_report.funnel_section(context, "ratings")
cross_report.heatmap_section(context)
cross_report.judgements_section(context)
cross_report.change_section(context)
'''


def change_one_council(data: Path, *, keep_counts: bool) -> str:
    """Edit one rating (or swap two) in Ashcombe's 2022-24 workbook; return what changed."""
    import openpyxl

    path = data / "2022-24" / "ashcombe.xlsx"
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Ratings"]
    row = 2
    if keep_counts:
        # Swap the first two different ratings of the first case: same counts, new file.
        cells = [sheet.cell(row, column) for column in range(3, 15)]
        first = cells[0]
        other = next(c for c in cells[1:] if c.value != first.value and c.value != "N/A")
        first.value, other.value = other.value, first.value
        what = f"swapped {first.coordinate} and {other.coordinate} (counts unchanged)"
    else:
        cell = next(sheet.cell(row, c) for c in range(3, 15)
                    if sheet.cell(row, c).value == "Good")
        cell.value = "Requires Improvement"
        what = f"{cell.coordinate} Good -> Requires Improvement (counts changed)"
    workbook.save(path)
    return what


def small_reruns(run: list[str], data: Path, *, keep_counts: bool, times: int = 3
                 ) -> tuple[float, int, str, str]:
    """Edit one council's file and rerun, ``times`` times.

    Returns the median seconds, the peak tree RSS over the runs, what the last edit
    changed, and the last run's summary line with every run's time.
    """
    seconds, memory, output, what = [], 0, "", ""
    for _ in range(times):
        what = change_one_council(data, keep_counts=keep_counts)
        elapsed, peak, output = timed(run, cwd=ROOT)
        seconds.append(elapsed)
        memory = max(memory, peak)
    line = next((line for line in output.splitlines() if "up to date" in line), "")
    line += " (runs: " + ", ".join(f"{s:.1f}" for s in seconds) + " s)"
    return statistics.median(seconds), memory, what, line


def watch_reruns(run: list[str], data: Path, times: int = 3
                 ) -> tuple[list[float], list[float], int]:
    """Time ``run --watch``: from saving a changed file to the pass being done.

    The counts-the-same edit ``times`` times, then the counts-changed edit ``times`` times,
    in one watching process. Returns the seconds of each pass of each kind (the watch's own
    polling included, as a user waits for it) and the peak RSS of the watching process tree.
    """
    import signal

    process = subprocess.Popen([*run, "--watch"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, start_new_session=True)

    def next_pass() -> None:
        for line in process.stdout:
            if line.startswith("Watching"):
                return
        raise SystemExit("practice-review run --watch stopped unexpectedly")

    seconds: dict[bool, list[float]] = {True: [], False: []}
    with PeakMemory(process.pid) as memory:
        try:
            next_pass()  # the first pass: everything is already up to date
            for keep_counts in [True] * times + [False] * times:
                time.sleep(1.0)  # as a person would: not straight after the last pass
                change_one_council(data, keep_counts=keep_counts)
                start = time.perf_counter()
                next_pass()
                seconds[keep_counts].append(time.perf_counter() - start)
        finally:
            os.killpg(process.pid, signal.SIGINT)
            process.communicate(timeout=60)
    return seconds[True], seconds[False], memory.peak


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"{cpu}; {os.cpu_count()} cores; {memory:.0f} GiB; Python "
            f"{platform.python_version()}; load average {load}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep", metavar="DIR", help="keep the work folder here")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-batch-"))
    if work.exists():
        shutil.rmtree(work)
    data, reports, figures = work / "data", work / "reports", work / "figures"
    shutil.copytree(ROOT / "data" / "sample", data)
    run = [*CLI, "run", "--data", str(data), "--out", str(reports), "--figures", str(figures)]
    if args.jobs:
        run += ["--jobs", str(args.jobs)]

    print(f"Machine: {machine()}")
    cold, cold_memory, output = timed(run, cwd=ROOT)
    summary_line = next((line for line in output.splitlines() if "report(s) written" in line),
                        "")
    floor, _, _ = timed([PYTHON, "-c", FLOOR_SCRIPT, str(data),
                                    str(work / "floor-figures")], cwd=ROOT)
    warm, warm_memory, warm_output = timed(run, cwd=ROOT)
    warm_line = next((line for line in warm_output.splitlines() if "up to date" in line), "")
    # The small reruns are short, so machine noise matters: each is timed three times (each
    # time editing the file again) and reported as the median, with all three.
    changed_a, memory_a, what_a, line_a = small_reruns(run, data, keep_counts=True)
    changed_b, memory_b, what_b, line_b = small_reruns(run, data, keep_counts=False)
    runs_w, runs_wc, memory_w = watch_reruns(run, data)
    changed_w, changed_wc = statistics.median(runs_w), statistics.median(runs_wc)

    def runs(values: list[float]) -> str:
        return "runs: " + ", ".join(f"{s:.1f}" for s in values) + " s, from saving to rendered"

    peak = max(cold_memory, warm_memory, memory_a, memory_b, memory_w)

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    rows = [
        ("cold batch (28 council reports, cross-council, index)", cold,
         f"< 90 s: {verdict(cold < 90)}", summary_line.strip()),
        ("floor: one process, same data and charts", floor, "", ""),
        ("ratio cold / floor", None, f"<= 4x: {verdict(cold / floor <= 4)}",
         f"{cold / floor:.2f}x"),
        ("warm rerun, nothing changed", warm, f"< 3 s: {verdict(warm < 3)}", warm_line.strip()),
        ("one council changed, counts the same (median of 3)", changed_a,
         f"< {0.2 * cold:.1f} s: {verdict(changed_a < 0.2 * cold)}",
         f"{what_a}; {line_a.strip()}"),
        ("one council changed, counts changed (median of 3)", changed_b,
         f"< {0.2 * cold:.1f} s: {verdict(changed_b < 0.2 * cold)}",
         f"{what_b}; {line_b.strip()}"),
        ("counts the same, with --watch running (median of 3)", changed_w,
         f"< {0.2 * cold:.1f} s: {verdict(changed_w < 0.2 * cold)}", runs(runs_w)),
        ("counts changed, with --watch running (median of 3)", changed_wc,
         f"< {0.2 * cold:.1f} s: {verdict(changed_wc < 0.2 * cold)}", runs(runs_wc)),
        ("peak memory (whole process tree)", None,
         f"< 2 GiB: {verdict(peak < 2 * 2**30)}", f"{peak / 2**20:.0f} MiB"),
    ]
    print()
    for label, seconds, target, note in rows:
        shown = f"{seconds:7.1f} s" if seconds is not None else " " * 9
        print(f"{label:<55} {shown}  {target:<22} {note}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
