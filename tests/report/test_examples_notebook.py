"""The ten everyday tasks run top to bottom through a kernel, as in JupyterLab."""

from __future__ import annotations

import pytest

from review_lib.paths import NOTEBOOKS_DIR, PROJECT_ROOT

NOTEBOOK = NOTEBOOKS_DIR / "examples" / "ten_tasks.ipynb"


def test_the_examples_notebook_is_committed_without_outputs():
    import nbformat

    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert "parameters" in code[0].metadata.get("tags", [])


@pytest.mark.slow
def test_the_ten_tasks_run_top_to_bottom_in_a_kernel(tmp_path):
    import subprocess

    import papermill as pm
    from PIL import Image

    def status():
        return subprocess.run(["git", "status", "--porcelain", "--", "notebooks", "data"],
                              cwd=PROJECT_ROOT, capture_output=True, text=True).stdout

    before = status()
    # In the notebook's own folder, as JupyterLab starts its kernel.
    executed = pm.execute_notebook(str(NOTEBOOK), str(tmp_path / "out.ipynb"),
                                   parameters={"out_dir": str(tmp_path / "work")},
                                   cwd=str(NOTEBOOK.parent), kernel_name="python3",
                                   progress_bar=False)
    outputs = [o for cell in executed.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for o in outputs)
    assert "did you mean 'Dudley'?" in text and "looked in" in text
    assert "the filter matched no rows" in text
    work = tmp_path / "work"
    with Image.open(work / "q3-by-council.png") as slide:
        assert round(slide.info["dpi"][0]) == 300
    assert (work / "change-since-2019.xlsx").exists()
    assert (work / "reports" / "2024" / "testshire" / "leadership.html").exists()
    assert (work / "testshire.ipynb").exists()
    assert status() == before  # nothing written inside the project
