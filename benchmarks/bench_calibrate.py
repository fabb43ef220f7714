"""Time ``calibrate()`` on the sample's moderation exercise (5 auditors x 8 cases).

Target: under 5 s a call on a 2-core machine shared with other work (it took 34-58 s
there, and 10-15 s on a quiet one, before the bootstrap was vectorised). Also times 18
of its intervals computed the old way (``bootstrap_interval``, replicate by replicate)
and checks that they agree with the new ones to 0.01, so that the speed-up is seen not
to change a figure.

Targets are reported, never asserted: the script exits 0 whether or not the target is
met, and 1 only if the intervals of the two ways differ by more than 0.01 (a bug).

Run with ``.venv/bin/python benchmarks/bench_calibrate.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from review_lib.analysis import calibration as cal
from review_lib.analysis.agreement import bootstrap_interval, cohen_kappa
from review_lib.data.moderation import read_moderation_file

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = ROOT / "data" / "sample" / "2022-24" / "moderation" / "autumn-2023-calibration.xlsx"
TARGET_S = 5.0


def old_intervals(exercise, n_boot: int = 1000, seed: int = 0) -> dict[str, tuple]:
    """The intervals as the code before the vectorised bootstrap computed them."""
    cube, _, raters = cal.score_cube(exercise)
    k = len(exercise.auditors)
    auditors = cube[:, :, :k]
    rows = auditors.reshape(len(auditors), -1)
    out = {}
    for key, (point, _) in cal._statistics().items():
        ci = bootstrap_interval(lambda r, point=point: point(np.asarray(r).reshape(-1, k)),
                                rows, n_boot=n_boot, seed=seed)
        out[f"ratings.{key}"] = (ci.low, ci.high)
    for q in range(auditors.shape[1]):
        ci = bootstrap_interval(cal._ac2, auditors[:, q, :], n_boot=n_boot, seed=seed)
        out[f"Q{q + 1}.ac2"] = (ci.low, ci.high)
    for i in range(k):
        pair = cube[:, :, [i, k]] if len(raters) > k else cube[:, :, [i, (i + 1) % k]]

        def kappa(r):
            s = np.asarray(r).reshape(-1, 2)
            return cohen_kappa(s[:, 0], s[:, 1], weights="quadratic",
                               categories=cal.CATEGORIES).estimate

        ci = bootstrap_interval(kappa, pair.reshape(len(pair), -1), n_boot=n_boot, seed=seed)
        out[f"pair{i}.kappa_quadratic"] = (ci.low, ci.high)
    return out


def new_intervals(calibration, k: int, has_consensus: bool) -> dict[str, tuple]:
    out = {f"ratings.{key}": (e.low, e.high) for key, e in calibration.ratings.items()}
    for q, row in enumerate(calibration.per_question.itertuples()):
        out[f"Q{q + 1}.ac2"] = (row.ac2_low, row.ac2_high)
    pairs = calibration.pairwise
    for i, name in enumerate(calibration.auditors):
        if has_consensus:
            row = pairs[(pairs.rater_a == name) & (pairs.rater_b == "Consensus")].iloc[0]
        else:
            other = calibration.auditors[(i + 1) % k]
            row = pairs[((pairs.rater_a == name) & (pairs.rater_b == other))
                        | ((pairs.rater_a == other) & (pairs.rater_b == name))].iloc[0]
        out[f"pair{i}.kappa_quadratic"] = (row.kappa_quadratic_low, row.kappa_quadratic_high)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    [exercise], _ = read_moderation_file(EXERCISE)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; Python {platform.python_version()}")
    print(f"exercise: {exercise.name}, {len(exercise.auditors)} auditors x "
          f"{exercise.n_cases} cases, consensus: {exercise.has_consensus}")
    cal.calibrate(exercise)  # warm up imports and caches
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        calibration = cal.calibrate(exercise)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"calibrate(): median {median:.2f} s over {args.repeats} "
          f"(min {min(times):.2f}, max {max(times):.2f}); target {TARGET_S:.0f} s: "
          f"{'met' if median < TARGET_S else 'NOT met'}")
    start = time.perf_counter()
    old = old_intervals(exercise)
    took = time.perf_counter() - start
    print(f"a subset of the intervals the old way (18 of about 60): {took:.1f} s")
    new = new_intervals(calibration, len(exercise.auditors), exercise.has_consensus)
    worst = max(abs(a - b) for key in old for a, b in zip(old[key], new[key], strict=True))
    print(f"largest difference between the two ways' interval ends: {worst:.2g}")
    return 0 if worst <= 0.01 else 1


if __name__ == "__main__":
    sys.exit(main())
