"""`twolayer check examples/lazy_training --record DIR`: the loss claim on one simulate record
(the two rate claims need records at several widths and are excluded)."""
from twolayer.api import register_record_reader

SLOPE = "a slope across widths: it needs records at several m, which one record does not hold"


def read(rec, path):
    """The loss claim, served on `rec` as the one-width grid of the experiment lazy.ntk."""
    return ("lazy.gd.loss_nonincreasing",), {"lazy.ntk": {f"m={rec.config['net']['m']}": rec}}


register_record_reader("lazy", read, excluded={"lazy.ntk.movement_rate": SLOPE,
                                               "lazy.small_init.movement_rate": SLOPE})
