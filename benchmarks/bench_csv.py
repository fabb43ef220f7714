"""Time the csv splitting of ``review_lib.data.tables`` against the csv module alone.

``tables.read_csv`` splits text without quotes with ``str.split`` (``_split_plain_csv``) and
gives anything else to ``csv.reader``, keeping each record's line number. This script
writes a long ratings file like the national benchmark's (``bench_load.py``: one row per
rating, 195,005 rows by default) and prints the median of ``--repeats`` timings of:

- ``str.split`` (``_split_plain_csv``, what ``read_csv`` does for such a file);
- ``csv.reader``, with line numbers (what ``read_csv`` does for a file with quotes);
- ``csv.reader``, rows only (``list(csv.reader(...))``, the least the module can do);
- ``pandas.read_csv(dtype=str)``, for scale;
- ``read_csv`` as a whole (the rows then made into a table), for scale.

Usage: ``.venv/bin/python benchmarks/bench_csv.py [--rows N] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from review_lib.data.tables import _split_plain_csv, read_csv

LEVELS = ("Outstanding", "Good", "Requires Improvement", "Inadequate", "N/A")


def long_text(rows: int) -> str:
    lines = ["Council,Cycle,Case reference,Case,Auditor,Question,Rating,Comment"]
    for index in range(rows):
        case = index // 12
        lines.append(f"Council {case // 20:03d},2022-24,REF-{case:06d},Case {case % 20 + 1:02d},"
                     f"PSW {'ABCD'[case % 4]},Q{index % 12 + 1},{LEVELS[index * 7 % 5]},")
    return "\n".join(lines) + "\n"


def with_line_numbers(text: str) -> list:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, numbers, start = [], [], 1
    for row in reader:
        rows.append(row)
        numbers.append(start)
        start = reader.line_num + 1
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=195_005)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    text = long_text(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ratings.csv"
        path.write_text(text, encoding="utf-8")
        ways = {
            "str.split (_split_plain_csv)": lambda: _split_plain_csv(text, ","),
            "csv.reader with line numbers": lambda: with_line_numbers(text),
            "csv.reader, rows only": lambda: list(csv.reader(io.StringIO(text, newline=""))),
            "pandas.read_csv(dtype=str)": lambda: pd.read_csv(io.StringIO(text), dtype=str,
                                                              keep_default_na=False),
            "tables.read_csv, whole": lambda: read_csv(path, "ratings.csv"),
        }
        assert _split_plain_csv(text, ",") == list(csv.reader(io.StringIO(text, newline="")))
        print(f"{args.rows:,} rows, {len(text) / 2**20:.1f} MiB")
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.repeats):  # the ways in turn, so a busy moment hits them alike
            for name, way in ways.items():
                start = time.perf_counter()
                way()
                times[name].append(time.perf_counter() - start)
        for name, taken in times.items():
            print(f"{name:<32} {statistics.median(taken) * 1000:8.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
