"""JupyterLab settings for ``make lab`` (loaded through JUPYTER_CONFIG_DIR=.jupyter).

Notebooks under ``notebooks/`` are committed without outputs: every save from Lab strips
them (outputs, execution counts, widget state), so autosave can never put a report's data
into git. Executed copies belong in ``reports/``, which ``practice-review run`` writes.
"""

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
COMMITTED = PROJECT / "notebooks"


def strip_outputs(model, path, contents_manager, **kwargs):
    """Jupyter pre-save hook: remove outputs from the project's committed notebooks."""
    if model.get("type") != "notebook":
        return
    root = Path(getattr(contents_manager, "root_dir", PROJECT))
    if COMMITTED not in (root / path).resolve().parents:
        return
    notebook = model["content"]
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    notebook.get("metadata", {}).pop("widgets", None)


c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)
c.FileContentsManager.pre_save_hook = strip_outputs
