"""The second half of the generated programmes of test_claims.py, drawn from another seed.

Kept in a file of its own so that pytest-xdist (``--dist loadfile``) runs it beside the first
half: together, 200 different programmes, every claim of each checked independently.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from test_claims import GENERATED_EXAMPLES, _check_programme, programmes


@seed(20261207)
@settings(max_examples=GENERATED_EXAMPLES, deadline=None, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(councils=programmes())
@pytest.mark.slow
def test_more_generated_programmes_state_only_true_claims(councils, tmp_path_factory):
    _check_programme(tmp_path_factory.mktemp("generated"), councils)
