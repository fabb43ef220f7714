"""The library in a real Jupyter kernel, driven as JupyterLab drives it."""

from __future__ import annotations

import pytest
from kernel import Kernel

from review_lib.paths import NOTEBOOKS_DIR

pytestmark = pytest.mark.slow


def test_plain_matplotlib_and_seaborn_charts_still_show_after_a_library_chart():
    with Kernel(NOTEBOOKS_DIR) as kernel:  # Lab starts a notebook's kernel in its folder
        drawn = kernel.run(
            "from review_lib.data.loading import load_programme\n"
            "from review_lib.report import charts\n"
            "ratings = load_programme().in_cycle('2022-24').ratings\n"
            "ax = charts.likert(ratings[ratings['question'] == 'Q3'], y='council')")
        assert drawn.error is None and drawn.images == 1
        state = kernel.run("import matplotlib\nprint(matplotlib.is_interactive())")
        assert state.text.strip() == "True"
        plain = kernel.run("import matplotlib.pyplot as plt\n"
                           "fig, ax = plt.subplots()\n_ = ax.plot([1, 2, 3])")
        assert plain.error is None and plain.images == 1
        seaborn = kernel.run("import seaborn as sns\n_ = sns.histplot(x=[1, 2, 2, 3])")
        assert seaborn.error is None and seaborn.images == 1
