"""``twolayer conditions --plugin examples/barak2022 --paper barak2022 --record DIR``: the premises
of Theorem 4 (SGD on ReLU MLPs learns sparse parities; paper card Sec. 3) measured on a record of
``twolayer simulate --plugin examples/barak2022 --data parity ... --out DIR`` (public API only);
and, before training, ``twolayer conditions --plugin examples/barak2022 --paper barak2022 --data
parity --d N --k K --batch-size B --objective hinge ...`` (simulate's setting flags, no
``--record``): the same premises from the config that simulate would train with those flags
(:func:`from_setting`, registered beside :func:`evaluate`). Every premise here reads only the
record's config, so the two agree for the same flags.

Theorem 4 [PAPER]: "Let ε∈(0,1). Let k≥2 an even integer, and let n=Ω(k^4 log(nk/ε)) be an odd
integer. Then, there exist a random initialization scheme, η_t, and λ_t such that for every
S⊆[n] of size k, SGD on a ReLU MLP of width r=Ω(2^k k log(k/ε)), with batch size
B=Ω(n^k log(n/ε)) on D_S with the hinge loss, outputs a network ... with expected loss ≤ ε".

The premises that the record's config decides exactly: k even (k ≥ 2), n odd, the sign-vector
init and b = 0 (``experiments.thm4_assumptions``, which the ``thm4`` experiment marks its
settings with: nothing here decides them a second time), the hinge loss, clean labels (D_S),
online SGD (a fresh batch each step), and the weight-decay schedule λ_0 = 1, λ_t = 0
[SECONDARY]. The three sizes, n, r and B, are Ω(·) of quantities with a hidden constant, like
the constant C of Frei et al.'s Theorem 1: each is printed with the largest constant for which
it holds (n / (k^4 log(nk/ε)) and alike), and is said to hold when that constant is at least 1,
with ε = 0.1 [PROPOSAL: the card gives no ε; the logs change slowly with it]. The example's
claims read their own experiments (``twolayer check examples/barak2022``); the four that one
simulate record can serve are judged on it by ``twolayer check examples/barak2022 --record DIR``
(``record.py``), each registered outside the paper's setting, so no claim's regime is printed
here.
"""

from __future__ import annotations

import math

from twolayer.api import (
    HOLDS,
    NOT_ESTABLISHED,
    ConfigError,
    Premise,
    RecordConditions,
    find_record,
    load_record,
    register_conditions,
)

from .experiments import thm4_assumptions

PAPER = "barak2022"
EPS = 0.1  # [PROPOSAL] the target expected loss epsilon of Theorem 4 (the card gives none)
KIND = "parity"
MAKE = (f"twolayer simulate --plugin examples/barak2022 --data {KIND} --d N --k K "
        "--batch-size B --objective hinge --out DIR")
_HOW = (f"(each Omega's hidden constant taken as 1 [PROPOSAL], eps = {EPS:g} [PROPOSAL]; the "
        "largest constant for which each holds is printed)")
TITLE = ("Barak, Edelman, Goel, Kakade, Malach & Zhang (2022), Theorem 4: premises measured on a "
         "record " + _HOW)
TITLE_SETTING = ("Barak, Edelman, Goel, Kakade, Malach & Zhang (2022), Theorem 4: premises from "
                 "the setting flags " + _HOW)


def _exact(pid: str, tag: str, statement: str, threshold: str, ok: bool, measured: str,
           why: str = "", value: float | None = None) -> Premise:
    return Premise(pid, tag, statement, threshold, HOLDS if ok else NOT_ESTABLISHED, measured,
                   "" if ok else why, value=value)


def _size(pid: str, statement: str, name: str, have: float, need: float, need_text: str
          ) -> Premise:
    """A premise ``have = Omega(need)``: holds with constant c = have / need, said to hold for
    c >= 1 [PROPOSAL]."""
    c = have / need
    return _exact(pid, "[PAPER]", statement,
                  f"[PROPOSAL] {name} >= {need_text} (the Omega's constant taken as 1)",
                  c >= 1, f"{name} = {have:g}, {need_text} = {need:.4g}: holds for every "
                  f"constant up to {name}/({need_text}) = {c:.3g}",
                  f"{name} is {c:.3g} times {need_text}", c)


def premises(cfg: dict) -> tuple[Premise, ...]:
    """Theorem 4's premises on a record's config (``data.d`` is the paper's n, ``data.k`` its
    k, ``net.m`` the width r, ``train.batch_size`` the batch B)."""
    data, net, train = cfg["data"], cfg["net"], cfg["train"]
    n, k, r, B = int(data["d"]), int(data["k"]), int(net["m"]), train.get("batch_size")
    # twolayer simulate draws W ~ N(0, init_var) (no "init" in its config); the example's own
    # records name theirs (data.init_params: xavier, torch or sign)
    init = net.get("init", "gaussian")
    bias = bool(net.get("bias", False))
    ok = thm4_assumptions(n, k, init, 0.0)  # (max |f| at init is not on a record: see remarks)
    init_text = ("W ~ N(0, init_var), twolayer simulate's init" if init == "gaussian"
                 else f"init {init!r}")
    noise = float(data.get("noise", 0.0))
    out = [
        _exact("k_even", "[PAPER]", "k >= 2 an even integer (|S| = k)", "k >= 2 and k even",
               ok["k_even"], f"k = {k}", f"k = {k} is {'odd' if k % 2 else 'below 2'}",
               float(k)),
        _exact("n_odd", "[PAPER]", "n an odd integer (the input dimension)", "n odd",
               ok["n_odd"], f"n = {n} (--d)", f"n = {n} is even", float(n)),
        _size("n_large", "n = Omega(k^4 log(nk/eps))", "n", n, k**4 * math.log(n * k / EPS),
              "k^4 log(nk/eps)"),
        _size("width", "SGD on a ReLU MLP of width r = Omega(2^k k log(k/eps))", "r", r,
              2**k * k * math.log(k / EPS), "2^k k log(k/eps)"),
    ]
    if B is None:
        out.append(_exact("batch", "[PAPER]", "batch size B = Omega(n^k log(n/eps))",
                          "[PROPOSAL] B >= n^k log(n/eps) (the Omega's constant taken as 1)",
                          False, "no batch size: full-batch GD on the fixed training set",
                          "Theorem 4 is about SGD with batches of size B"))
    else:
        out.append(_size("batch", "batch size B = Omega(n^k log(n/eps))", "B", int(B),
                         float(n)**k * math.log(n / EPS), "n^k log(n/eps)"))
    out += [
        _exact("online", "[PAPER]", "SGD on D_S: a fresh i.i.d. batch of B points each step",
               "--batch-size B on the streamed parity", B is not None,
               f"batch size {B}" + (" (online: each step draws fresh points)" if B else ""),
               "without --batch-size the record trains by GD on n fixed points"),
        _exact("hinge", "[PAPER]", "the hinge loss", "--objective hinge",
               train.get("objective") == "hinge", f"objective {train.get('objective')}",
               "Theorem 4 trains on the hinge loss"),
        _exact("clean", "[PAPER]", "labels y = chi_S(x) (the distribution D_S, no label noise)",
               "--noise 0", noise == 0, f"noise {noise:g}",
               "D_S has clean labels (the paper's label-noise runs, App. C.6, are empirical)",
               noise),
        _exact("sign_init", "[PAPER]", "a random initialization scheme: sign vectors "
               "w_j in {+-1}^n", "sign init, and [PROPOSAL] b = 0 (the card's claim 12; "
               "Theorem 4's words name the sign vectors only)", ok["sign_init"] and not bias,
               f"{init_text}, biases {'on' if bias else 'off'}",
               "Theorem 4's init is the sign vector (card Sec. 3; uniform and Gaussian inits "
               "are not covered)"),
        _exact("schedule", "[SECONDARY]", "lambda_0 = 1 erases the first-layer init, then "
               "lambda_t = 0 (weight decay of eq. (1))", "lambda_0 = 1",
               False, "lambda_t = 0 for every t (twolayer's training has no weight decay)",
               "twolayer's training never erases the init (lambda_0 = 0)"),
    ]
    return tuple(out)


def _setting(c: dict) -> str:
    """One line of the setting a config dict (a record's, or :func:`from_setting`'s) holds."""
    return (f"n={c['data']['d']} k={c['data']['k']} r={c['net']['m']} "
            f"B={c['train'].get('batch_size')} lr={c['train']['lr']:g} "
            f"objective={c['train']['objective']} noise={c['data']['noise']:g} "
            f"steps={c['train']['steps']} seeds={c['seeds']}")


def remarks(probed: bool) -> tuple[str, ...]:
    """What the premises do not read, and where the claims are judged; ``probed``: the record
    has the ``barak_parity`` arrays the record reader's claims need (False before training:
    the flags are the setting of a record still to simulate)."""
    probes = ("it has barak_parity's arrays" if probed else "add --probes barak_parity")
    return (
        "not read: the step sizes eta_t (eta_0 set by a majority Fourier coefficient "
        "[SECONDARY]), |f| < 1 at init [INFERRED], and the O(k^3 r^2 n / eps^2) iterations "
        "the conclusion is stated at",
        "the example's claims read their own experiments (twolayer check examples/barak2022): "
        "barak2022.thm4.one_step is the one checked inside Theorem 4's checkable assumptions; "
        "twolayer check examples/barak2022 --record DIR judges those of its four record claims "
        f"that the record serves ({probes})",
    )


def evaluate(path: str) -> RecordConditions:
    """Theorem 4's premises on the record at ``path`` (DIR or DIR/<run_id> of twolayer simulate
    --out DIR): a ConfigError naming ``--record`` for a record of another data kind."""
    where = find_record(path, hint=MAKE)
    rec = load_record(where)
    kind = rec.config.get("data", {}).get("kind")
    if kind != KIND:
        raise ConfigError("record", path, f"a record of --data {kind}: the {PAPER} premises "
                          f"are read from --data {KIND} records ({MAKE})")
    c = rec.config
    probed = any(key.startswith("barak_parity/") for key in rec.arrays)
    return RecordConditions(PAPER, TITLE, str(where), _setting(c), premises(c), (), "",
                            remarks(probed))


def from_setting(config: dict) -> RecordConditions:
    """Theorem 4's premises from the setting flags, before training: ``config`` is the dict a
    record of ``twolayer simulate`` with the same flags would hold, so the premises are the
    ones :func:`evaluate` gives on that record; a ConfigError naming ``--data`` for another
    data kind."""
    kind = config["data"]["kind"]
    if kind != KIND:
        raise ConfigError("data", kind, f"the {PAPER} premises are for --data {KIND} (give "
                          f"--data {KIND} --d N --k K ..., or --record DIR)")
    return RecordConditions(PAPER, TITLE_SETTING, "", _setting(config), premises(config), (),
                            "", remarks(False))


register_conditions(PAPER, "record", "Barak et al. (2022), Theorem 4: premises measured on a "
                    "--data parity record (--record DIR), or from the setting flags before "
                    "training (--data parity --d N --k K ...)", evaluate,
                    from_setting=from_setting)
