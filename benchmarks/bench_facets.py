"""Time a faceted Likert chart of every council of the sample's 2022-24 cycle.

``charts.likert(ratings, by="council", col_wrap=4)``: 14 panels of 12 questions each, as an
analyst draws it in JupyterLab (issue 27 item 6: it had made a 42.6 x 19.4 inch figure in
29-41 s). Times drawing (the figure laid out and its labels fitted) and then saving a PNG at
100 dpi, with the sample loaded and seaborn imported beforehand (as in a notebook), and
reports the figure's size. Target, reported and never asserted: a few seconds, at a size
that fits a screen (at most 16 x 12 inches).

Run with ``.venv/bin/python benchmarks/bench_facets.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")


def main() -> None:
    """Draw and save the faceted chart ``--repeats`` times; print each time and the median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--col-wrap", type=int, default=4)
    args = parser.parse_args()

    import matplotlib.pyplot as plt
    import seaborn  # noqa: F401  (imported first in any analyst's notebook)

    from review_lib.data.loading import load_programme
    from review_lib.report import charts

    ratings = load_programme().in_cycle("2022-24").ratings
    draws, saves = [], []
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(1, args.repeats + 1):
            start = time.perf_counter()
            grid = charts.likert(ratings, by="council", col_wrap=args.col_wrap)
            drawn = time.perf_counter()
            grid.figure.savefig(Path(folder) / "facets.png", dpi=100)
            saved = time.perf_counter()
            width, height = grid.figure.get_size_inches()
            plt.close(grid.figure)
            draws.append(drawn - start)
            saves.append(saved - drawn)
            print(f"round {round_}: draw {draws[-1]:.2f} s, save {saves[-1]:.2f} s, "
                  f"figure {width:.1f} x {height:.1f} in")
    print(f"median: draw {statistics.median(draws):.2f} s, save "
          f"{statistics.median(saves):.2f} s ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores); target: a few seconds, at most 16 x 12 in")


if __name__ == "__main__":
    main()
