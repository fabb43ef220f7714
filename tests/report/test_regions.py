"""Regions: the optional region field, dot plots, long lists, regional and national reports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from review_lib.analysis.comparison import programme_funnels
from review_lib.data.catalogue import load_catalogue
from review_lib.data.loading import load_programme, read_programme_files
from review_lib.data.sample import CouncilProfile, generate_council
from review_lib.report import charts

REGIONS = {"Council A": "North East", "Council B": "North East", "Council C": "North East",
           "Council D": "London", "Council E": "London", "Council F": "London"}


def write_programme(folder: Path, regions=REGIONS, cycle="2025-26", effects=None) -> Path:
    """Wide CSVs, one per council, with a Region column."""
    catalogue = load_catalogue(None)
    folder.mkdir(parents=True, exist_ok=True)
    for number, (council, region) in enumerate(sorted(regions.items())):
        effect = (effects or {}).get(council, 0.2 * (number % 3))
        profile = CouncilProfile(council, council.lower().replace(" ", "-"), effect, 0.0, 0.2)
        rows = generate_council(profile, catalogue, seed=500 + number)
        with open(folder / f"{profile.slug}.csv", "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["Council", "Cycle", "Region", "Case", "Auditor", *catalogue.ids,
                             "Overall judgement"])
            for row in rows:
                writer.writerow([council, cycle, region, *row])
    return folder


def test_region_read_from_wide_csv(tmp_path):
    programme = load_programme(write_programme(tmp_path / "data"))
    assert {r.council: r.region for r in programme.reviews} == REGIONS
    assert programme.regions == ["London", "North East"]
    assert programme.in_region("north  east").councils == ["Council A", "Council B",
                                                            "Council C"]


def test_region_row_of_a_review_sheet(tmp_path):
    from review_lib.data.template import write_review_workbook

    catalogue = load_catalogue(None)
    rows = generate_council(CouncilProfile("Kestrel", "kestrel", 0.0, 0.0, 0.2), catalogue,
                            seed=1)
    path = tmp_path / "kestrel.xlsx"
    write_review_workbook(path, catalogue, council="Kestrel", cycle="2022-24", rows=rows)
    import openpyxl

    book = openpyxl.load_workbook(path)
    book["Review"].append(["Region", "  South  West "])
    book.save(path)
    (review,) = load_programme(tmp_path).reviews
    assert review.region == "South West"


def test_mixed_regions_in_a_wide_file_are_a_located_error(tmp_path):
    folder = write_programme(tmp_path / "data", {"Council A": "London"})
    path = folder / "council-a.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace(",London,", ",Eastern,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (result,) = read_programme_files([folder], load_catalogue(None))
    errors = [str(p) for p in result.problems if p.is_error]
    assert not result.reviews
    assert any("cell C6" in e and "mixes region values 'London' and 'Eastern'" in e
               for e in errors), errors


def test_mixed_regions_in_a_long_file_refuse_that_review_only(tmp_path):
    catalogue = load_catalogue(None)
    lines = [["council", "cycle", "ADASS region", "case", "auditor", "question", "rating"]]
    for council, region in (("Ash", "London"), ("Birch", "Eastern")):
        rows = generate_council(CouncilProfile(council, council.lower(), 0.0, 0.0, 0.2),
                                catalogue, seed=3)
        for case, auditor, *labels in rows:
            for qid, label in zip([*catalogue.ids, "Overall"], labels, strict=True):
                lines.append([council, "2022-24", region, case, auditor, qid, label])
    lines[40][2] = "South East"  # one of Ash's rows
    path = tmp_path / "long.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(lines)
    (result,) = read_programme_files([path], catalogue)
    assert [(r.council, r.region) for r in result.reviews] == [("Birch", "Eastern")]
    (problem,) = [p for p in result.problems if p.kind == "inconsistent-region"]
    assert problem.row == 41 and "'South East' here but 'London' on row 2" in str(problem)
    assert "column 'ADASS region'" in str(problem)


def test_no_region_means_none(tmp_path):
    from review_lib.paths import SAMPLE_DIR

    programme = load_programme(SAMPLE_DIR)
    assert programme.regions == [] and all(r.region == "" for r in programme.reviews)


def test_national_generator_assigns_the_nine_regions():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_load import ADASS_REGIONS, council_region

    assigned = [council_region(n, 150) for n in range(1, 151)]
    assert sorted(set(assigned)) == sorted(name for name, _ in ADASS_REGIONS)
    assert assigned == [council_region(n, 150) for n in range(1, 151)]  # deterministic
    assert assigned == sorted(assigned)  # in blocks


# --------------------------------------------------------------------------- charts


def _funnels(tmp_path, regions=REGIONS, effects=None):
    programme = load_programme(write_programme(tmp_path / "data", regions, effects=effects))
    return programme, programme_funnels(programme)


def test_dot_plot_when_every_council_has_the_same_n(tmp_path):
    _, funnels = _funnels(tmp_path)
    table = funnels.judgements
    assert charts.same_n(table)
    assert not charts.same_n(funnels.ratings) or len(set(funnels.ratings["effective_n"])) == 1
    ax = charts.dot_plot(table, regions=REGIONS, title="Dot plot")
    gids = [a.get_gid() for a in ax.get_children() if a.get_gid()]
    assert {f"dot-point:{c}" for c in REGIONS} <= set(gids)
    assert "dot-region:London" in gids and "dot-region:North East" in gids
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Council D", "Council E", "Council F", "Council A", "Council B",
                      "Council C"]  # alphabetical within region, regions alphabetical
    alt = charts.alt_text_dot_plot(table, regions=REGIONS)
    assert alt.startswith("Dot plot of 6 councils' share of case records judged Good or "
                          "better, each with 20 records")
    assert "grouped by region (2 regions)" in alt


def test_dot_plot_alt_text_names_only_councils_outside_998(tmp_path):
    effects = {"Council A": -3.0, "Council B": 2.0}
    regions = {f"Council {c}": ("London" if i % 2 else "Eastern")
               for i, c in enumerate("ABCDEFGHIJKLMNOP")}
    _, funnels = _funnels(tmp_path, regions, effects=effects)
    table = funnels.judgements
    flags = table["flag"]
    assert flags["Council A"] == "below998"
    alt = charts.alt_text_dot_plot(table, regions=regions)
    near = [c for c, f in flags.items() if f in ("above95", "below95")]
    inside = [c for c, f in flags.items() if f == "within"]
    assert "Council A 20%" in alt or "Council A " in alt
    for council in near + inside:
        assert f"{council} " not in alt.replace("Council A ", "")
    assert f"the other {len(inside)}" in alt


def test_funnel_kept_where_n_differs_and_in_the_sample():
    from review_lib.paths import SAMPLE_DIR
    from review_lib.report import cross

    context = cross.open_cycle("2022-24", "Dudley", SAMPLE_DIR)
    assert not context.regions and not context.long_list
    assert not cross.dot_plot_wanted(context, context.funnels.judgements)
    assert not cross.dot_plot_wanted(context, context.funnels.ratings)


# --------------------------------------------------------------------------- wording


def _long_context(tmp_path, n=30):
    from review_lib.report import cross

    effects = {"Council 01": -3.0}
    regions = {f"Council {i:02d}": ("London" if i <= 12 else "Eastern")
               for i in range(1, n + 1)}
    write_programme(tmp_path / "data", regions, effects=effects)
    return cross.open_cycle("2025-26", "", tmp_path / "data"), regions


def test_long_lists_name_only_councils_outside_998(tmp_path):
    context, regions = _long_context(tmp_path)
    table = context.funnels.judgements
    assert context.long_list and table.loc["Council 01", "flag"] == "below998"
    text = context.findings["Councils against the programme average"]
    headline = context.findings["Headline"]
    assert "Council 01" in text
    named = {c for c in regions if c in text}
    extreme = {c for t in (table, context.funnels.ratings, context.funnels.ratings_adjusted)
               for c, f in t["flag"].items() if f.endswith("998")}
    assert named == extreme
    assert not {c for c in regions if c in headline}
    assert "30 councils" in headline
    section = str(cross_section(context))
    below = sorted(c for c, f in table["flag"].items() if f == "below998")
    assert f"Below the 99.8% limits ({len(below)}): " in section
    assert "Council 01 (below the 99.8% limits)" not in section  # the side is said once
    assert "Dot plot of 30 councils" in section  # the chart's alt text


def cross_section(context):
    from review_lib.report import cross

    return cross.funnel_section(context, "judgements")


def test_regional_context_compares_with_the_whole_programme(tmp_path):
    from review_lib.report import cross

    national, _ = _long_context(tmp_path)
    london = cross.open_cycle("2025-26", "", tmp_path / "data", region="london")
    assert london.region == "London" and len(london.cycle_programme.reviews) == 12
    assert london.funnels.judgements.attrs["target"] == national.funnels.judgements.attrs[
        "target"]
    assert (london.funnels.judgements["flag"]
            == national.funnels.judgements["flag"].loc[london.funnels.judgements.index]).all()
    text = london.findings["Councils against the programme average"]
    assert "In the London region" in text and "average of the whole programme" in text
    assert "London: cross-council comparison" in str(cross.title(london))
    regions = str(cross.regions_section(national))
    assert "regions/london/cross-council.html" in regions and "Eastern" in regions
    assert str(cross.regions_section(london)) == ""
    with pytest.raises(KeyError, match="no valid review in region"):
        cross.open_cycle("2025-26", "", tmp_path / "data", region="Wessex")


def test_funnel_tables_name_the_region_only_where_rows_differ_in_it(tmp_path):
    import io

    import pandas as pd

    from review_lib.report import cross

    national, regions = _long_context(tmp_path)
    london = cross.open_cycle("2025-26", "", tmp_path / "data", region="London")
    for context, has_region in ((national, True), (london, False)):
        frame = pd.read_html(io.StringIO(str(cross_section(context))))[0]
        assert ("Region" in frame.columns) is has_region
    frame = pd.read_html(io.StringIO(str(cross_section(national))))[0]
    assert dict(zip(frame["Council"], frame["Region"], strict=True)) == regions


# --------------------------------------------------------------------------- batch


def test_regional_jobs_are_planned(tmp_path):
    from review_lib.batch.jobs import plan_cross_jobs

    jobs = plan_cross_jobs(["2025-26"], data=tmp_path, questions=None,
                           reports_dir=tmp_path / "reports", figures_dir=None,
                           regions={"2025-26": ["London", "Yorkshire and the Humber"]})
    assert [Path(j.html).relative_to(tmp_path / "reports").as_posix() for j in jobs] == [
        "2025-26/cross-council.html", "2025-26/regions/london/cross-council.html",
        "2025-26/regions/yorkshire-and-the-humber/cross-council.html"]
    assert "region" not in jobs[0].parameters
    assert jobs[2].parameters["region"] == "Yorkshire and the Humber"


def test_index_has_one_table_per_region(tmp_path):
    from review_lib.report.index import build_index

    reports = tmp_path / "reports"
    for council, region in REGIONS.items():
        folder = reports / "2025-26" / council.lower().replace(" ", "-")
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text(json.dumps({
            "council": council, "cycle": "2025-26", "region": region,
            "good_or_better": {"count": 15, "n": 20, "share": 0.75, "ci_low": 0.53,
                               "ci_high": 0.89}}), encoding="utf-8")
    (reports / "2025-26" / "regions" / "london").mkdir(parents=True)
    (reports / "2025-26" / "regions" / "london" / "cross-council.html").write_text("x")
    page = build_index(reports)
    assert page.count("<table") == 2
    assert page.index("<h3>London</h3>") < page.index("<h3>North East</h3>")
    assert "Council reports, cycle 2025-26, London" in page
    assert 'href="2025-26/regions/london/cross-council.html"' in page


@pytest.mark.slow
def test_regional_reports_rendered(tmp_path):
    from review_lib.batch.run import run_batch

    data = write_programme(tmp_path / "data")
    # One council's reports from each region (the index lists a region with its councils'
    # reports); the national and both regional cross-council reports are made all the same.
    summary = run_batch(data=data, reports_dir=tmp_path / "reports",
                        councils=["Council A", "Council D"],
                        figures_dir=tmp_path / "figures", jobs=2)
    failed = [o.message for o in summary.outcomes if not o.ok]
    assert not failed and not summary.invalid_files, (failed, summary.invalid_files)
    cycle = tmp_path / "reports" / "2025-26"
    national = (cycle / "cross-council.html").read_text(encoding="utf-8")
    london = (cycle / "regions" / "london" / "cross-council.html").read_text(encoding="utf-8")
    assert "Regions, 2025-26" in national
    assert "Practice Review 2025-26, London: cross-council comparison" in london
    assert "Council A" not in london.split("<footer")[0]
    assert (cycle / "regions" / "north-east" / "cross-council.html").exists()
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert "<h3>London</h3>" in index and "<h3>North East</h3>" in index
    for html in (national, london):
        assert "<script src" not in html and "http://" not in html.split("<footer")[0]


def test_the_national_view_of_many_councils_shows_regions_and_each_region_its_councils(
        tmp_path):
    from review_lib.report import cross

    context, _ = _long_context(tmp_path)
    heat = cross.heatmap_section(context)
    assert "one region's share of its case records" in heat.text
    assert heat.alt.startswith("Heat map of the share rated Good or better for 2 regions by")
    bars = cross.judgements_section(context)
    assert bars.alt.startswith("Diverging bar chart of overall judgements for 2 regions")
    london = cross.open_cycle("2025-26", "", tmp_path / "data", region="London")
    assert cross.heatmap_section(london).alt.startswith(
        "Heat map of the share rated Good or better for 12 councils")
    assert "one council's share of cases" in cross.heatmap_section(london).text


# --------------------------------------------------------------------------- change by region


def _two_cycles(tmp_path, n=30):
    from review_lib.report import cross

    regions = {f"Council {i:02d}": ("London" if i <= 12 else "Eastern")
               for i in range(1, n + 1)}
    write_programme(tmp_path / "data" / "2022-24", regions, cycle="2022-24",
                    effects={c: -1.0 for c in regions})
    write_programme(tmp_path / "data" / "2025-26", regions, cycle="2025-26",
                    effects={c: 1.0 for c in regions})
    return cross.open_cycle("2025-26", "", tmp_path / "data"), regions


def test_national_change_is_one_row_per_region_pooling_its_councils(tmp_path):
    from statsmodels.stats.proportion import confint_proportions_2indep

    from review_lib.analysis.scopes import cycle_changes, region_changes
    from review_lib.report import cross

    context, regions = _two_cycles(tmp_path)
    computed = cycle_changes(context.programme, "2025-26")
    changes = computed.table
    assert len(changes) == 30
    pooled = region_changes(computed, context.programme, context.regions)
    assert list(pooled.index) == ["Eastern", "London"]
    for region, row in pooled.iterrows():
        members = [c for c, r in regions.items() if r == region]
        assert row["councils"] == len(members)
        assert row["before_count"] == changes.loc[members, "before_count"].sum()
        assert row["after_n"] == changes.loc[members, "after_n"].sum()
        assert row["before_cycle"] == "2022-24" and row["after_cycle"] == "2025-26"
        # Allowing for the councils' clustering never narrows the interval that treats every
        # record as independent (statsmodels' Newcombe interval on the pooled counts).
        low, high = confint_proportions_2indep(
            row["after_count"], row["after_n"], row["before_count"], row["before_n"],
            method="newcomb", compare="diff")
        assert row["diff_low"] <= low + 1e-9 and row["diff_high"] >= high - 1e-9
        assert row["diff_low"] <= row["difference"] <= row["diff_high"]
    section = str(cross.change_section(context, with_table=False))
    assert "the councils of each region, pooled" in section  # the alt text
    assert "Each regional report shows its councils one by one." in section
    assert "Chart of the share Good or better for 2 regions" in section
    assert "Council 05" not in section


def test_regional_and_small_views_keep_their_councils_in_the_change_chart(tmp_path):
    from review_lib.report import cross

    _two_cycles(tmp_path)
    london = cross.open_cycle("2025-26", "", tmp_path / "data", region="London")
    section = str(cross.change_section(london, with_table=False))
    assert "for 12 councils" in section and "Council 05" in section


def test_limits_shared_by_every_council_are_stated_once_not_on_every_row(tmp_path):
    """Every council with 20 cases: the table drops its two columns of identical limits and
    its note gives them once (as the dot plot draws them once)."""
    import pandas as pd

    from review_lib.report import cross

    context, _ = _long_context(tmp_path)
    table = context.funnels.judgements
    section = cross_section(context)
    frame = pd.read_html(__import__("io").StringIO(str(section)))[0]
    assert "95% limits" not in frame.columns and "99.8% limits" not in frame.columns
    assert list(frame.columns[-2:]) == ["p above, below", "Position"]
    first = table.iloc[0]
    stated = (f"Every council has n = 20, so the limits are the same for all: 95% limits "
              f"{cross._limit_cell(first['lower95'], first['upper95'])}, 99.8% limits "
              f"{cross._limit_cell(first['lower998'], first['upper998'])}.")
    assert stated in str(section)
    # Where n differs (the sample's question ratings, at each council's effective n), each
    # row keeps its own limits.
    from review_lib.paths import SAMPLE_DIR

    sample = cross.open_cycle("2022-24", "Dudley", SAMPLE_DIR)
    ratings = str(cross.funnel_section(sample, "ratings"))
    assert "Every council has" not in ratings
    assert '<th scope="col" class=num>95% limits</th>' in ratings
    assert "Every council has n = 20" in str(cross.funnel_section(sample, "judgements"))
