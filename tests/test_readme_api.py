"""The README's API table lists every public function of the modules analysts use."""

from __future__ import annotations

import importlib
import inspect
import re

from review_lib.paths import PROJECT_ROOT

#: The modules an analyst works with (the table may list more, never fewer).
ANALYST_MODULES = (
    "paths", "data.loading", "data.catalogue", "data.moderation", "analysis.summary",
    "analysis.clustered", "analysis.funnel", "analysis.comparison", "analysis.results",
    "analysis.changes", "analysis.scopes", "analysis.calibration", "report.context",
    "report.council", "report.cross", "report.charts", "report.section",
)


def public_functions(name: str) -> set[str]:
    """A package's ``__all__`` functions; a module's own functions not starting with _."""
    module = importlib.import_module(f"review_lib.{name}")
    if hasattr(module, "__path__"):
        return {n for n in module.__all__ if inspect.isfunction(getattr(module, n))}
    return {n for n, o in vars(module).items()
            if not n.startswith("_") and inspect.isfunction(inspect.unwrap(o))
            and getattr(o, "__module__", None) == module.__name__}


def readme_table() -> dict[str, set[str]]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Every public function, one line each", 1)[1]
    section = section.split("\n## ", 1)[0]
    listed: dict[str, set[str]] = {}
    for module, function, what in re.findall(r"^\| `([\w.]+)` \| `(\w+)` \| (.+) \|$",
                                             section, flags=re.M):
        assert what.strip() and "\n" not in what
        listed.setdefault(module, set()).add(function)
    return listed


def test_every_public_function_an_analyst_uses_is_in_the_readme_table():
    listed = readme_table()
    missing = {f"{m}.{f}" for m in ANALYST_MODULES for f in public_functions(m)
               if f not in listed.get(m, set())}
    assert not missing, f"add a line to the README's API table for: {sorted(missing)}"
    # And nothing listed that is not there (a renamed or removed function).
    stale = {f"{m}.{f}" for m, fs in listed.items() for f in fs
             if f not in public_functions(m)}
    assert not stale, f"the README's API table lists functions that do not exist: {stale}"


def test_the_readme_layout_names_every_module():
    """Each module of the library is named in the README's Layout, under its own folder."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    library = PROJECT_ROOT / "review_lib"
    missing = []
    for path in sorted(library.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        folder = path.parent.relative_to(library)
        # the folder's block: from its heading line to the next line as little indented
        block = layout
        for part in folder.parts:
            heading = re.search(rf"^( *){part}/ .*$", block, flags=re.M)
            if heading is None:
                missing.append(f"{folder}/ (for {path.stem})")
                break
            indent = len(heading.group(1))
            rest = block[heading.end():]
            end = re.search(rf"^ {{0,{indent}}}\S", rest, flags=re.M)
            block = heading.group(0) + rest[:end.start() if end else len(rest)]
        else:
            if not re.search(rf"\b{path.stem}\b", block):
                missing.append(str(path.relative_to(library)))
    assert not missing, f"not named in the README's Layout: {missing}"
