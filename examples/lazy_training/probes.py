"""The probe: how far the first layer moved from its initialisation."""
from twolayer.api import probe


@probe("lazy_move")
def lazy_move(state):
    """||W(t) - W(0)||_F / ||W(0)||_F per run."""
    W, W0 = state.params.W, state.init.W
    return {"relative": (W - W0).flatten(1).norm(dim=1) / W0.flatten(1).norm(dim=1)}
