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
    assert pip == ["-e ."]
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
