"""The paper's GFLOPs table is reproduced (within 3%), with the original's parameter counts."""

import keras
import pytest

import tfseg
from tfseg.benchmark import PAPER_GFLOPS, PAPER_NUM_CLASSES, TOLERANCE
from tfseg.graph import profile_model


@pytest.mark.slow
@pytest.mark.parametrize(
    "figure",
    PAPER_GFLOPS,
    ids=[f"{f.decoder}-{f.encoder}-{f.height}x{f.width}" for f in PAPER_GFLOPS],
)
def test_paper_gflops_and_params_are_reproduced(figure):
    model = tfseg.build_model(
        figure.encoder, figure.decoder, PAPER_NUM_CLASSES, (figure.height, figure.width)
    )
    result = profile_model(model)
    keras.backend.clear_session()
    assert result["gflops"] == pytest.approx(figure.gflops, rel=TOLERANCE)
    assert result["params"] == pytest.approx(figure.reference_params, rel=TOLERANCE)
    # The convolutions dominate: MACs are about half the float operations.
    assert 0.97 < 2 * result["macs"] / result["flops"] <= 1.0
