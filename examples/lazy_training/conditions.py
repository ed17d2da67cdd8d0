"""Premises of the lazy-training statement for `twolayer conditions`."""
import numpy as np

from twolayer.api import (
    CANNOT,
    HOLDS,
    NOT_ESTABLISHED,
    Premise,
    RecordConditions,
    find_record,
    load_record,
    register_conditions,
    stats,
)

LAZY = dict(id="lazy", tag="[PROPOSAL]",
            statement="the run stays lazy: the first layer barely moves",
            threshold="final ||W_T-W_0||/||W_0|| <= 0.1 (upper end of the 95% t-interval)")


def setting_premises(cfg):
    """The premises read from the config alone."""
    net, train, d = cfg["net"], cfg["train"], cfg["data"]["d"]
    iv = net["init_var"]
    ntk = Premise("ntk_init", "[INFERRED]", "first layer W_0 ~ N(0, 1/d) entrywise",
                  "init_var * d = 1", HOLDS if abs(iv * d - 1) < 1e-9 else NOT_ESTABLISHED,
                  f"init_var * d = {iv * d:.3g}", value=iv * d)
    fixed = net["second_layer"] == "frei" and not net["train_second_layer"]
    readout = Premise("readout", "[INFERRED]", "readout fixed at +-1/sqrt(m)",
                      "--second-layer frei, not trained", HOLDS if fixed else NOT_ESTABLISHED,
                      f"second_layer={net['second_layer']} "
                      f"train_second_layer={net['train_second_layer']}")
    integrator = train.get("integrator", "gd")   # a GD record omits it
    full = train["batch_size"] is None and integrator == "gd"
    gd = Premise("full_batch", "[INFERRED]", "full-batch gradient descent",
                 "no --batch-size, --integrator gd", HOLDS if full else NOT_ESTABLISHED,
                 f"batch_size={train['batch_size']} integrator={integrator}")
    m, n = net["m"], cfg["data"]["n"]
    wide = Premise("width", "[INFERRED]", "over-parameterised: more neurons than training points "
                   "(the analyses' polynomial widths are far larger: a weak proxy)", "m >= n",
                   HOLDS if m >= n else NOT_ESTABLISHED, f"m = {m}, n = {n}", value=m / n)
    return [ntk, readout, gd, wide]


def evaluate(path):
    where = find_record(path)
    rec = load_record(where)
    premises = setting_premises(rec.config)
    if "lazy_move/relative" not in rec.arrays:
        premises.append(Premise(status=CANNOT, why="simulate again with --plugin PLUGIN "
                                "--probes lazy_move", **LAZY))
    else:
        mv = rec["lazy_move/relative"][:, -1].astype(np.float64)
        m, (lo, hi) = stats.mean_ci(mv)
        premises.append(Premise(status=HOLDS if hi <= 0.1 else NOT_ESTABLISHED,
                                measured=f"{m:.3g} [{lo:.3g}, {hi:.3g}]", value=m,
                                ci=(lo, hi), per_seed=tuple(mv), **LAZY))
    c = rec.config
    return RecordConditions("lazy", "Lazy training (NTK scaling): premises on a record",
                            str(where), f"m={c['net']['m']} d={c['data']['d']} seeds={rec.seeds}",
                            tuple(premises), claims=())


def from_setting(config):
    lazy = Premise(status=CANNOT, why="measured on a record: --probes lazy_move, --record DIR",
                   **LAZY)
    return RecordConditions("lazy", "Lazy training (NTK scaling): premises from the flags",
                            "", f"m={config['net']['m']} d={config['data']['d']}",
                            tuple(setting_premises(config)) + (lazy,), claims=())


register_conditions("lazy", "record", "Lazy training under the NTK scaling (a plugin)",
                    evaluate, from_setting=from_setting)
