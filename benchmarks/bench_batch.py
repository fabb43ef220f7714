"""Time the batch run of the sample programme against a single-process floor.

Prints, from one run on this machine:

- the cold batch time for the sample programme (`practice-review run` into empty folders:
  28 council reports, the cross-council report, the index);
- the floor: one Python process that loads the data and draws the same charts (those of
  the council reports, section 4 of the leadership report and the cross-council report);
- their ratio (target: at most 4x, and a cold batch under 90 s);
- the warm rerun with nothing changed (target: under 3 s);
- the rerun after one council's file changed, (a) in a way that leaves every count the same
  (two ratings of one case swapped between questions) and (b) in a way that changes the
  council's counts (one rating lowered); target: under 20% of the cold batch. The machine's
  speed drifts, so the cold batch and its reruns are timed in rounds (default 3), each
  round into empty folders, and each rerun is compared with its own round's cold batch;
  medians over the rounds are printed, with every round's figure;
- the same changes, (a) then (b), three times each, while ``practice-review run --watch``
  keeps its workers warm, from saving the file to the pass being done (its polling
  included);
- peak memory of the whole process tree (run, fork server and workers; target: under 2 GiB).

Usage: ``.venv/bin/python benchmarks/bench_batch.py [--jobs N] [--rounds N] [--keep DIR]``;
``--cold-only`` times one cold batch and the floor, and nothing else.

``--national`` times instead the cold batch of the national-scale programme of
``bench_load.py`` (150 councils in the nine ADASS regions, latest cycle: every leadership and
distributions report, the national and nine regional cross-council reports, the index;
target at most 90 s, and at most 9 times the sample's cold batch, timed just before and
after each national batch: the medians are compared), and the sample's cold batch with
``--pdf --docx`` (target: the formats add at most 50%), each with the peak memory of the
process tree; before and after, a host probe times fixed work that is not this project's
(a pure-Python loop and a matplotlib draw, two processes at once), so that runs on
different days can be compared.
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


#: A fixed workload that none of this project's code touches, timed in two processes at once
#: (both cores) before and after the national rounds: how fast the shared host was while
#: they ran, so figures from different days can be compared.
HOST_PROBE_SCRIPT = r'''
import time
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

start = time.perf_counter()
total = 0
for i in range(3_000_000):
    total += i * i % 7
python_seconds = time.perf_counter() - start
figure, ax = plt.subplots(figsize=(8, 6))
for row in range(20):
    ax.barh(range(20), [1] * 20, left=row, height=0.7, hatch="//" if row % 2 else None)
for k in range(200):
    ax.text(k % 20, k // 10, "Requires Improvement", fontsize=7)
figure.canvas.draw()
start = time.perf_counter()
for _ in range(3):
    figure.canvas.draw()
print(f"{python_seconds:.3f} {time.perf_counter() - start:.3f}")
'''


def host_probe() -> str:
    """Time :data:`HOST_PROBE_SCRIPT` in two processes at once; a line of text."""
    processes = [subprocess.Popen([PYTHON, "-c", HOST_PROBE_SCRIPT], stdout=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    results = [tuple(map(float, process.communicate()[0].split())) for process in processes]
    python_seconds = max(r[0] for r in results)
    drawing_seconds = max(r[1] for r in results)
    return (f"host probe (fixed work, not this project's, two at once): pure Python "
            f"{python_seconds:.2f} s, matplotlib draws {drawing_seconds:.2f} s")


FLOOR_SCRIPT = r'''
import sys, os
os.environ["MPLBACKEND"] = "Agg"
from pathlib import Path
data, figures = Path(sys.argv[1]), Path(sys.argv[2])
from review_lib.report import council as sections
from review_lib.report import cross as cross_report
from review_lib.report import leadership
from review_lib.report.context import open_review
from review_lib.data.loading import load_programme

programme = load_programme(data)
cycle = programme.cycles[-1]
for review in programme.in_cycle(cycle).reviews:
    context = open_review(review.council, cycle, data, figures_dir=figures)
    # The same charts the two council notebooks and the leadership notebook draw.
    sections.question_chart(context)
    sections.judgements_section(context)
    sections.auditor_section(context)
    sections.case_section(context)
    sections.question_chart(context)
    sections.funnel_position(context)
    leadership.audit_data(context)  # section 4: the figure of a panel per question
context = cross_report.open_cycle(cycle, "", data, figures_dir=figures)
cross_report.funnel_section(context, "judgements")
cross_report.funnel_section(context, "ratings")
cross_report.heatmap_section(context)
cross_report.judgements_section(context)
cross_report.change_section(context)
'''


def change_one_council(data: Path, *, keep_counts: bool) -> str:
    """Edit one rating (or swap two) in Brackenbury's 2022-24 workbook; return what changed.

    (Ashcombe's, edited before 2026-12-07, is now given as audit forms; Brackenbury's is a
    workbook of the same size.)
    """
    import openpyxl

    path = data / "2022-24" / "brackenbury.xlsx"
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


def summary_line(output: str, marker: str = "up to date") -> str:
    """The line of a run's summary that counts reports."""
    return next((line.strip() for line in reversed(output.splitlines()) if marker in line), "")


def one_round(run: list[str], data: Path) -> dict:
    """A cold batch into empty folders, then in the same folders: the warm rerun, the
    counts-the-same edit and rerun, the counts-changed edit and rerun.

    Returns each time, the peak tree RSS and the summary lines.
    """
    result: dict = {}
    result["cold"], memory, output = timed(run, cwd=ROOT)
    result["cold_line"] = summary_line(output, "report(s) written")
    result["warm"], peak, output = timed(run, cwd=ROOT)
    result["warm_line"] = summary_line(output)
    memory = max(memory, peak)
    for key, keep_counts in (("same", True), ("changed", False)):
        result[f"{key}_what"] = change_one_council(data, keep_counts=keep_counts)
        result[key], peak, output = timed(run, cwd=ROOT)
        result[f"{key}_line"] = summary_line(output)
        memory = max(memory, peak)
    result["memory"] = memory
    return result


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


def run_command(data: Path, folder: Path, args, *extra: str) -> list[str]:
    """``practice-review run`` of ``data`` into ``folder``'s reports and figures."""
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    return [*CLI, "run", "--data", str(data), "--out", str(folder / "reports"),
            "--figures", str(folder / "figures"), *jobs, *extra]


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


def national(args) -> int:
    """The cold national batch, and the cost of ``--pdf --docx`` on the sample's."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_load import generate_programme, write_layouts

    from review_lib.data.catalogue import load_catalogue

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-national-"))
    if work.exists():
        shutil.rmtree(work)
    catalogue = load_catalogue(None)
    write_layouts(work / "data", generate_programme(150, catalogue), catalogue)
    print(f"Machine: {machine()}")
    print(f"before: {host_probe()}", flush=True)
    def sample_batch(name: str, extra: list[str]) -> tuple[float, int]:
        seconds, peak, _ = timed(run_command(ROOT / "data" / "sample", work / name, args,
                                             *extra), cwd=ROOT)
        return seconds, peak

    # The sample's cold batch is short, so one timing of it moves with the host by a fifth:
    # it is timed just before and just after each national batch, and the ratio taken of
    # the medians.
    rows, plain, formats = [], [], []
    for number in range(args.rounds):
        plain.append(sample_batch(f"sample-plain-{number + 1}a", []))
        folder = work / f"national-{number + 1}"
        seconds, peak, output = timed(run_command(work / "data" / "wide", folder, args),
                                      cwd=ROOT)
        rows.append((seconds, peak))
        plain.append(sample_batch(f"sample-plain-{number + 1}b", []))
        print(f"national cold batch, round {number + 1}: {seconds:.1f} s, peak "
              f"{peak / 2**20:.0f} MiB; {summary_line(output, 'report(s) written')}; the "
              f"sample's just before and after: {plain[-2][0]:.1f} s, {plain[-1][0]:.1f} s",
              flush=True)
        formats.append(sample_batch(f"sample-pdf+docx-{number + 1}", ["--pdf", "--docx"]))
    print(f"after: {host_probe()}")
    best = statistics.median(s for s, _ in rows)
    print(f"cold national batch (150 councils, median of {len(rows)})  {best:6.1f} s  "
          f"<= 90 s: {'met' if best <= 90 else 'NOT met'}   peak "
          f"{max(p for _, p in rows) / 2**20:.0f} MiB (runs: "
          f"{', '.join(f'{s:.1f}' for s, _ in rows)} s)")
    base = statistics.median(s for s, _ in plain)
    ratio = best / base
    print(f"national / sample (median of {len(plain)} sample batches, {base:.1f} s; runs: "
          f"{', '.join(f'{s:.1f}' for s, _ in plain)} s)  {ratio:.1f}x  <= 9x: "
          f"{'met' if ratio <= 9 else 'NOT met'}")
    extra = statistics.median(s for s, _ in formats)
    share = extra / base - 1
    print(f"sample cold batch {base:.1f} s; with --pdf --docx {extra:.1f} s: +{share:.0%}  "
          f"<= +50%: {'met' if share <= 0.5 else 'NOT met'}   peak "
          f"{max(p for _, p in formats) / 2**20:.0f} MiB")
    return 0


def cold_only(args, work: Path) -> int:
    """One cold batch of the sample into empty folders, then the floor: their ratio."""
    data = work / "data"
    shutil.copytree(ROOT / "data" / "sample", data)
    cold, memory, output = timed(run_command(data, work, args), cwd=ROOT)
    floor, _, _ = timed([PYTHON, "-c", FLOOR_SCRIPT, str(ROOT / "data" / "sample"),
                         str(work / "floor-figures")], cwd=ROOT)
    print(f"cold batch {cold:.1f} s ({summary_line(output, 'report(s) written')}); "
          f"floor {floor:.1f} s; ratio {cold / floor:.2f}x (target <= 1.3x); "
          f"peak memory {memory / 2**20:.0f} MiB; load average after "
          + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--national", action="store_true",
                        help="time the 150-council national batch and --pdf --docx instead")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3,
                        help="cold batches, each followed by its reruns (default 3)")
    parser.add_argument("--keep", metavar="DIR", help="keep the work folder here")
    parser.add_argument("--cold-only", action="store_true",
                        help="time one cold batch and the floor only (no reruns, no --watch)")
    args = parser.parse_args()
    if args.national:
        if "--rounds" not in sys.argv:
            args.rounds = 1
        return national(args)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-batch-"))
    if work.exists():
        shutil.rmtree(work)

    print(f"Machine: {machine()}")
    if args.cold_only:
        return cold_only(args, work)
    # The VM's speed drifts, so each rerun is compared with the cold batch timed just
    # before it in the same round: rounds of cold batch, warm rerun and the two edits, each
    # round into its own empty folders, then medians over the rounds.
    rounds, run = [], []
    for number in range(args.rounds):
        folder = work / f"round-{number + 1}"
        data = folder / "data"
        shutil.copytree(ROOT / "data" / "sample", data)
        run = run_command(data, folder, args)
        rounds.append(one_round(run, data))
        if number == 0:
            floor, _, _ = timed([PYTHON, "-c", FLOOR_SCRIPT, str(ROOT / "data" / "sample"),
                                 str(work / "floor-figures")], cwd=ROOT)
    runs_w, runs_wc, memory_w = watch_reruns(run, data)  # in the last round's folders

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    def each(values) -> str:
        return "runs: " + ", ".join(f"{v:.1f}" for v in values) + " s"

    def share(key: str) -> float:  # of the cold batch of the same round
        return statistics.median(r[key] / r["cold"] for r in rounds)

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    cold = median("cold")
    watch_same, watch_changed = statistics.median(runs_w), statistics.median(runs_wc)
    peak = max([r["memory"] for r in rounds] + [memory_w])
    last = rounds[-1]
    count = len(rounds)
    rows = [
        (f"cold batch (28 council reports, cross-council, index; median of {count})", cold,
         f"< 90 s: {verdict(cold < 90)}",
         f"{last['cold_line']} ({each(r['cold'] for r in rounds)})"),
        ("floor: one process, same data and charts", floor, "", ""),
        ("ratio cold / floor", None, f"<= 4x: {verdict(cold / floor <= 4)}",
         f"{cold / floor:.2f}x"),
        (f"warm rerun, nothing changed (median of {count})", median("warm"),
         f"< 3 s: {verdict(median('warm') < 3)}",
         f"{last['warm_line']} ({each(r['warm'] for r in rounds)})"),
        (f"one council changed, counts the same (median of {count})", median("same"),
         f"{share('same'):.0%} of cold: {verdict(share('same') < 0.2)}",
         f"{last['same_what']}; {last['same_line']} ({each(r['same'] for r in rounds)}; "
         "each round's share of its own cold batch: "
         + ", ".join(f"{r['same'] / r['cold']:.0%}" for r in rounds) + ")"),
        (f"one council changed, counts changed (median of {count})", median("changed"),
         f"{share('changed'):.0%} of cold: {verdict(share('changed') < 0.2)}",
         f"{last['changed_what']}; {last['changed_line']} "
         f"({each(r['changed'] for r in rounds)}; shares: "
         + ", ".join(f"{r['changed'] / r['cold']:.0%}" for r in rounds) + ")"),
        ("counts the same, with --watch running (median of 3)", watch_same,
         f"{watch_same / last['cold']:.0%} of cold: "
         f"{verdict(watch_same < 0.2 * last['cold'])}",
         each(runs_w) + ", from saving to rendered"),
        ("counts changed, with --watch running (median of 3)", watch_changed,
         f"{watch_changed / last['cold']:.0%} of cold: "
         f"{verdict(watch_changed < 0.2 * last['cold'])}",
         each(runs_wc) + ", from saving to rendered"),
        ("peak memory (whole process tree)", None,
         f"< 2 GiB: {verdict(peak < 2 * 2**30)}", f"{peak / 2**20:.0f} MiB"),
    ]
    print()
    for label, seconds, target, note in rows:
        shown = f"{seconds:7.1f} s" if seconds is not None else " " * 9
        print(f"{label:<62} {shown}  {target:<22} {note}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
