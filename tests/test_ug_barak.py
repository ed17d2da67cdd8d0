"""barak2022 ``thm4.one_step``: the odd-k control must not be decided by rounding noise. For
odd k the exact population gradient at the sign init (b = 0) is identically 0; before the fix
the experiment took the top k of |G| (rounding noise of size ~1e-20, or exact zeros in
``torch.topk``'s tie order), so the control "recovered S" or not by chance."""

from __future__ import annotations

import numpy as np
from test_barak2022 import plugin  # noqa: F401  (module fixture)

from twolayer.api import Runtime


def test_odd_k_control_is_not_decided_by_rounding_noise(plugin, monkeypatch) -> None:  # noqa: F811
    """The thm4 experiment with the population gradient replaced by what the exact one is for
    odd k (0) plus rounding noise that happens to favour S (1e-20 on S): the odd-k control
    recovers S in no neuron (the top k of that noise gave 1.0, which would have failed the
    control's "<= 0.5" on noise); the inside settings still recover S in every neuron."""
    e = plugin["experiments"]
    monkeypatch.delenv("BARAK2022_TINY", raising=False)
    real = e.population_gradient

    def fake(p, mask):  # type: ignore[no-untyped-def]
        k = int(mask[0].sum())
        if k % 2 == 1:  # exact value 0; noise that favours S
            return mask.unsqueeze(1).expand_as(p.W).to(p.W.dtype) * 1e-20
        return real(p, mask)

    monkeypatch.setattr(e, "population_gradient", fake)
    out = e.thm4(True, 2, Runtime(device="cpu"))
    np.testing.assert_array_equal(out["n=13,k=3 (odd k)"]["recovered"][:, 0], 0.0)
    for name in ("n=13,k=2", "n=13,k=4"):
        np.testing.assert_array_equal(out[name]["recovered"][:, 0], 1.0)
