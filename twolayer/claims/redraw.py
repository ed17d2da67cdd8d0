"""A record's runs drawn again from its config, verified against the record (paper-free).

Record readers (:mod:`twolayer.claims.on_record`) sometimes need what ``twolayer simulate`` does
not record but its config determines: the training sample and initial parameters of each run
(e.g. Definition 7's good-run facts of frei2023, the data's eigenvalues in the frame order of
maennel2020). :func:`verified_redraw` redraws them with ``setup(Config.from_dict(config))``, on
the CPU from the runs' own seeded generators, and returns them only once they are verified
against the record: the config must read back to itself (same dict, same run id); ``static/a``
and ``static/noisy`` (copies of the drawn second layer and noise flags) must be equal; and
``static/init_w_norm`` and the t = 0 values of the given probe arrays, re-measured on the redraw
with :func:`twolayer.engine.measure`, must agree within :func:`tolerance` of each array's
largest value. On a mismatch (another torch version's random streams, an edited record), or
where the record has no t = 0 probe values to check against, nothing is returned but the
reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..record import Record

EXACT = ("static/a", "static/noisy")  # copies of the drawn second layer and noise flags


def tolerance(rec: Record) -> float:
    """The largest difference, relative to an array's largest absolute value, at which a
    redrawn t = 0 value still counts as the record's: 1e-3, or 3e-2 for a record trained with
    TF32 matmuls (``meta["tf32"]``). The verified values are float32 sums over d or m terms
    (the pre-activations, projections and norms); summed in another order (another thread count,
    instruction set or a GPU) they move by about √k·2⁻²⁴ of the summands' size (k ≤ d·m terms:
    under 2e-4 even at k = 10⁷; TF32 rounds the matmul inputs to 2⁻¹¹ ≈ 5e-4), while values from
    another draw differ by the order of the values themselves. On a CPU with the record's own
    thread count and kernels the re-measure is bit-for-bit the record's."""
    return 3e-2 if rec.meta.get("tf32") else 1e-3


def relative_gap(got: np.ndarray, want: np.ndarray) -> float:
    """max |got − want| / max |want| over the finite entries (inf where the shapes or the NaN
    entries differ)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape or not np.array_equal(np.isnan(got), np.isnan(want)):
        return float("inf")
    ok = ~np.isnan(want)
    if not ok.any():
        return 0.0
    gap = float(np.abs(got[ok] - want[ok]).max())
    scale = float(np.abs(want[ok]).max())
    return gap / scale if scale > 0 else (0.0 if gap == 0 else float("inf"))


def verified_redraw(rec: Record, verified: Sequence[str], what: str
                    ) -> tuple[tuple[Any, Any, Any] | None, str]:
    """``((cfg, data, params), "")``: the record's resolved config, training data and initial
    parameters drawn again (see the module's docstring), verified against ``static/a``,
    ``static/noisy``, ``static/init_w_norm`` and the t = 0 values of the probe arrays
    ``verified`` the record holds; or ``(None, why)`` where the redraw cannot be checked or did
    not reproduce the record (the array and its largest difference). ``what``: what is redrawn,
    for the reasons ("the sample and initialisation"). The caller makes sure the record holds
    the probes of ``verified``."""
    from ..config import Config
    from ..engine import Runtime, measure
    from ..errors import TwolayerError
    from ..simulate import setup

    if not (rec.times == 0).any():
        return None, (f"the record has no probe values at t = 0 (its first probe time is "
                      f"{int(rec.times[0])}) to check a redraw of {what} against")
    try:
        cfg = Config.from_dict(rec.config).resolved()
        same = cfg.to_dict() == rec.config and cfg.run_id == rec.run_id
    except (TwolayerError, KeyError, TypeError, ValueError) as e:
        return None, f"the record's config cannot be read back ({e}), so it cannot be redrawn"
    if not same:
        return None, ("the record's config does not read back to itself (Config.from_dict: "
                      "another dict or run id), so the redraw may not be its runs'")
    cfg, data, params = setup(cfg)
    redraw = f"the redraw of {what} from the record's config and seeds"
    drawn = {"static/a": params.a.float().numpy(), "static/noisy": data.noisy.numpy()}
    for key in EXACT:
        if key in rec.arrays and not np.array_equal(drawn[key], rec.arrays[key]):
            return None, f"{redraw} did not reproduce the record: {key} differs"
    probes = tuple(sorted({k.split("/")[0] for k in verified}))
    got = measure(params, data, probes, Runtime(device="cpu"), init=params,
                  objective=cfg.train.objective, configs=cfg, seeds=cfg.run_seeds)
    got["static/init_w_norm"] = params.W.norm(dim=-1).float().numpy()
    tol = tolerance(rec)
    for key in (*verified, "static/init_w_norm"):
        if key not in rec.arrays:
            continue
        want = rec.arrays[key] if key.startswith("static/") else rec.at(key, 0)
        gap = relative_gap(got[key], want)
        if not gap <= tol:
            at = "" if key.startswith("static/") else " at t = 0"
            size = ("in shape or NaNs" if gap == float("inf") else
                    f"by up to {gap:.3g} of its largest value (tolerance {tol:g})")
            return None, f"{redraw} did not reproduce the record: {key}{at} differs {size}"
    return (cfg, data, params), ""
