"""Project set-up: environment.yml in step with pyproject.toml, README commands, CI."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(spec):
    return re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(s): s.replace(" ", "") for s in
              project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = {}
    pip = []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip = item["pip"]
        else:
            conda[_name(item)] = item.replace(" ", "")
    assert pip[-1] == "-e ."
    # Packages conda-forge does not carry are installed by pip, with the same pins.
    conda.update({_name(s): s.replace(" ", "") for s in pip[:-1]})
    for name, spec in wanted.items():
        assert conda.get(name) == spec, f"environment.yml has {conda.get(name)!r} for {spec!r}"
    assert conda["python"] == "python" + project["requires-python"]


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", readme, flags=re.S)
    first = [line for line in blocks[0].splitlines() if line.strip() and not line.startswith("#")]
    assert first == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)


def test_ci_calls_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_gitignore_keeps_data_and_outputs_out():
    ignore = (ROOT / ".gitignore").read_text()
    for line in ("reports/*", "figures/*", "data/*", "!data/sample/", "!data/questions.csv"):
        assert line in ignore.splitlines()


#: What each floor of the library may import from the others (its own floor always).
FLOORS = {
    "data": {"files", "paths", "data"},
    "analysis": {"files", "paths", "data", "analysis"},
    "report": {"files", "paths", "data", "analysis", "report"},
    "batch": {"files", "paths", "data", "analysis", "report", "batch"},
}


def _review_lib_imports(path):
    import ast

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "review_lib":
                yield from (f"review_lib.{alias.name}" for alias in node.names)
            elif node.module.startswith("review_lib."):
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("review_lib."))


def test_each_floor_imports_only_the_floors_beneath_it():
    package = ROOT / "review_lib"
    upward = []
    for floor, allowed in FLOORS.items():
        for path in sorted((package / floor).rglob("*.py")):
            for module in _review_lib_imports(path):
                top = module.split(".")[1]
                if top != "__version__" and top not in allowed:
                    upward.append(f"{path.relative_to(package)} imports {module}")
    assert not upward, upward
    for bottom in ("files.py", "paths.py"):
        assert {m.split(".")[1] for m in _review_lib_imports(package / bottom)} <= {"paths"}


def test_modules_stay_small_enough_to_read():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "review_lib").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 1000}
    assert not long, long


def test_tests_mirror_the_library_folders():
    floors = {p.name for p in (ROOT / "review_lib").iterdir()
              if p.is_dir() and (p / "__init__.py").exists()}
    assert floors == set(FLOORS)
    assert {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and
            any(p.glob("test_*.py"))} == floors


def test_git_strips_notebook_outputs_as_they_are_staged(tmp_path):
    """`make install` sets nbstripout up as the .gitattributes filter; git runs it on staging."""
    import json
    import shutil
    import subprocess

    attributes = (ROOT / ".gitattributes").read_text().splitlines()
    assert "*.ipynb filter=nbstripout" in attributes
    if not (ROOT / ".git").exists():
        return  # an unpacked archive, not a clone: nothing is staged from here
    clean = subprocess.run(["git", "config", "--get", "filter.nbstripout.clean"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    assert clean, "run `make install`: it configures git's nbstripout filter"
    notebook = json.loads((ROOT / "notebooks" / "council_leadership.ipynb").read_text())
    code = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "Case 07\n"}]
    code["execution_count"] = 4
    shutil.copy(ROOT / ".gitattributes", tmp_path / ".gitattributes")
    repo = tmp_path
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "config", "filter.nbstripout.clean", clean], cwd=repo, check=True)
    (repo / "run.ipynb").write_text(json.dumps(notebook))
    subprocess.run(["git", "add", "run.ipynb"], cwd=repo, check=True)
    staged = json.loads(subprocess.run(["git", "show", ":run.ipynb"], cwd=repo, check=True,
                                       capture_output=True, text=True).stdout)
    cells = [c for c in staged["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in cells)


def test_writing_the_index_does_not_import_matplotlib():
    """A rerun with nothing to render writes only the index: it must stay quick."""
    import subprocess
    import sys

    code = ("import sys; import review_lib.report.index, review_lib.batch.run; "
            "print('matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "False"


#: What report/ may take from analysis/: result types, constants, the builders that compute
#: results, readers of a results table (a funnel table's n and limits), formatters, and the
#: case table a chart of tidy ratings draws from. Anything else there computes a statistic.
REPORT_MAY_USE = {
    # result types
    "Calibration", "Change", "ClusteredProportion", "CycleChanges", "CycleResults",
    "FunnelPoint", "Funnels", "Proportion", "QuestionComparison", "ReviewResults",
    # constants
    "LENIENCY_POWER", "METHODS", "MIN_COUNCILS", "STATISTICS",
    # builders of results
    "analyse_review", "calibrate", "calibration_metrics", "council_differences",
    "cross_metrics", "cycle_changes", "cycle_results", "exercise_leniency",
    "programme_funnels", "question_grid", "region_changes", "region_summary",
    # readers of a funnel table's results
    "chance_outside", "funnel_intervals", "funnel_x", "limits_at",
    # formatters, and the tidy-data chart's table
    "case_table", "format_percent", "headline_sentence", "level_table",
}


def test_report_computes_no_statistic():
    """Words, charts and sections read results: no scipy or statsmodels, no test or interval."""
    import ast

    found = []
    for path in sorted((ROOT / "review_lib" / "report").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                       [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for module in modules:
                if module.split(".")[0] in ("scipy", "statsmodels"):
                    found.append(f"{path.name} imports {module}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "review_lib.analysis"):
                found += [f"{path.name} uses {node.module}.{a.name}" for a in node.names
                          if a.name not in REPORT_MAY_USE]
    assert not found, found
