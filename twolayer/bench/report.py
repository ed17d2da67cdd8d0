"""Render the benchmark page (docs/benchmarks.md) from the harness's results (results.json).

``python -m twolayer.bench.report RESULTS.json OUT.md`` re-renders the page without re-running
the benchmark; `twolayer bench --out RESULTS.json --doc OUT.md` (and `make bench`) does both.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# the profiler's name of the C pass with the forward GEMM (net.kernel.FORWARD_RELU_MASK; this
# module imports no torch, a test checks the two agree)
FORWARD_RELU_MASK = "twolayer::forward_relu_mask"


def _f(v: float, nd: int = 1) -> str:
    return f"{v:.{nd}f}"


def limit_lines(x: dict | None) -> list[str]:
    """The step against its blocked two-GEMM limit (twolayer.bench.limit)."""
    if not x:
        return []
    tp = x.get("torch_passes")
    forward = "avx512 forward" in (x.get("cpu_kernels") or "")
    how = ("the forward GEMM with relu, readout and mask in one C pass" if forward
           else "relu, readout and mask in one C pass" if x.get("fused_pass")
           else "relu, readout and mask as three PyTorch ops")
    rows = [f"| engine ({how}; loss, GEMMs and update) | {_f(x['engine_step_ms'])} | "
            f"{_f(x['fraction_of_limit'], 2)} |"]
    if tp:
        rows.append(f"| the same step with PyTorch's three passes (`Tuning(fused_cpu=False)`) | "
                    f"{_f(tp['step_ms'])} | {_f(tp['fraction_of_limit'], 2)} |")
    rows.append(f"| its two GEMMs alone (the limit) | {_f(x['limit_step_ms'])} | 1 |")
    kernels = f" CPU kernels: {x['cpu_kernels']}." if x.get("cpu_kernels") else ""
    gain = (f" The fused pass makes the step **{_f(tp['speedup_paired_median'], 2)}×** as fast "
            "as the PyTorch passes (median of the rounds' paired ratios)." if tp else "")
    return ["## The step against its two-GEMM limit", "",
            "One full-batch step without probes, against a step of only its two GEMMs (forward "
            "X Wᵀ, backward (x c)ᵀ 1[H > 0]) on the very same blocks, worker lanes and "
            f"{x['threads']} threads, alternating in {x['rounds']} rounds of "
            f"{x['steps_per_round']} steps (medians):", "",
            "| step | ms | fraction of the limit |", "|---|---:|---:|", *rows, "",
            f"The engine's step runs at **{_f(x['fraction_of_limit'], 2)}** of the limit "
            f"(limit time / step time, medians){_round_spread(x)}.{gain}{kernels}", "",
            *profile_lines(x.get("profile"))]


def _unprofiled(pr: dict) -> str:
    ms = pr.get("unprofiled_step_ms")
    return f" (the unprofiled median above: {_f(ms)} ms)" if ms else ""


def _round_spread(x: dict) -> str:
    """The paired estimate and the spread of the rounds' own ratios, or nothing (older runs)."""
    per_round = x.get("fraction_per_round")
    if not per_round:
        return ""
    q = sorted(per_round)
    lo, hi = q[len(q) // 4], q[(3 * len(q)) // 4]
    return (f". Each round timed both, one right after the other; the median of the rounds' "
            f"own ratios (the paired estimate, which a change of load between rounds does not "
            f"move) is **{_f(x['fraction_paired_median'], 2)}**, the rounds ranged "
            f"{_f(q[0], 2)}–{_f(q[-1], 2)} (quartiles {_f(lo, 2)}–{_f(hi, 2)})")


def profile_lines(pr: dict | None, min_share: float = 0.005) -> list[str]:
    """Where the engine's step spends its threads' time (twolayer.bench.limit.profile_step)."""
    if not pr:
        return []
    out = [f"Where the step's time goes: self CPU time of each op over {pr['steps']} steps, "
           "summed over all threads (the worker lanes included), from torch's profiler, which "
           f"adds a little to every op: the profiled steps took {_f(pr['profiled_step_ms'])} ms "
           f"each{_unprofiled(pr)}.", "",
           "| op | what it does | calls per step | ms per step (all threads) | share |",
           "|---|---|---:|---:|---:|"]
    rest = 0.0
    for o in pr["ops"]:
        if o["share"] < min_share:
            rest += o["ms"]
            continue
        out.append(f"| `{o['op']}` | {o['role'] or '—'} | {o['calls_per_step']:g} | "
                   f"{_f(o['ms'], 2)} | {100 * o['share']:.1f} % |")
    if rest:
        out.append(f"| other ops | | | {_f(rest, 2)} | "
                   f"{100 * rest / pr['thread_ms_per_step']:.1f} % |")
    g = pr["gemm_share"]
    fwd = sum(o["share"] for o in pr["ops"] if o["op"] == FORWARD_RELU_MASK)
    if fwd:  # the forward GEMM runs inside the C pass: not a library GEMM, not only elementwise
        out += ["", f"The library's GEMM (the backward one) takes {100 * g:.0f} % of the "
                f"threads' time in the profiled steps, the C pass that computes the forward GEMM "
                f"with relu, readout and mask {100 * fwd:.0f} %, everything else (loss, "
                f"right-hand side, update) {100 * (1 - g - fwd):.0f} % (in an unprofiled step "
                "the small ops weigh less, if anything).", ""]
    else:
        out += ["", f"The two GEMMs take {100 * g:.0f} % of the threads' time in the profiled "
                f"steps, the elementwise work and the update the other {100 * (1 - g):.0f} % (in "
                "an unprofiled step the small ops weigh less, if anything).", ""]
    return out


def endtoend_lines(x: dict | None) -> list[str]:
    """The whole-process section (twolayer.bench.endtoend), or nothing when it was not run."""
    if not x:
        return []
    rows = [("`twolayer simulate` (16 seeds, 300 steps, --json)", x["simulate"]),
            ("plain loop, same job, fresh process (`python -m twolayer.bench.plainloop`)",
             x["plain_loop"]),
            ("`twolayer simulate --d 50 --noise 0.1` (the demo)", x["demo"]),
            ("`twolayer check frei2023 --quick --no-store`", x["check"])]
    out = ["## End to end (whole processes)", "",
           "The commands a user types, each timed from process start to exit (imports, setup, "
           f"training, output), in {x['repeats']} alternating rounds (A B … then … B A); median "
           "wall seconds. The plain loop draws the same data and initial weights and measures "
           "the same default probes at the same times, one seed at a time.", "",
           "| command | median wall s | all rounds |", "|---|---:|---|"]
    for label, v in rows:
        out.append(f"| {label} | {_f(v['median_seconds'])} | "
                   + ", ".join(_f(t) for t in v["seconds"]) + " |")
    out += ["", f"`twolayer simulate` is **{_f(x['speedup_simulate_vs_plain'], 2)}×** faster "
            "than the plain loop as a whole process (the in-process ratio is in the headline "
            "above).", ""]
    return out


TIME_TO_ANSWER = "time_to_answer.json"  # next to results.json: benchmarks/time_to_answer.sh


def time_to_answer(results_path: Path) -> dict | None:
    """The time_to_answer summary published next to the results file, if there is one (a
    damaged one is left out with a note on stderr)."""
    path = Path(results_path).parent / TIME_TO_ANSWER
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as e:
        print(f"twolayer bench: note: {path} is not readable JSON ({e}); its section is left "
              "out", file=sys.stderr)
        return None


def render(r: dict, tta: dict | None = None) -> str:
    ref, m, e, e0 = r["reference"], r["machine"], r["engine"], r["engine_no_probes"]
    b, po, g = r["baseline"], r["probe_overhead"], r["gemm"]
    dev = m.get("gpu", m["cpu"])
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`twolayer bench`: twolayer/bench/harness.py, rendered by "
        "twolayer/bench/report.py from benchmarks/results.json). All timed parts ran in one "
        "process, one after the "
        "other, so that the ratios hold on a noisy machine; absolute numbers move with the "
        "load, ratios much less.",
        "",
        "## Machine",
        "",
        f"- device: `{m['device']}` — {dev}",
        f"- logical CPUs: {m['logical_cpus']}, torch intra-op threads: {m['torch_threads']}, "
        f"memory: {m.get('memory_gb', '?')} GB",
        f"- torch {m['torch']} ({m['blas']}), Python {m['python']}, {m['platform']}",
        f"- load average (1, 5, 15 min) before: {r['load_before']}, after: {r['load_after']}"
        + (" — other processes ran too: the GEMM samples below (best against median) show how "
           "much of the machine the timed parts had"
           if max(r["load_before"][:1] + r["load_after"][:1], default=0) > 0.5 * m["logical_cpus"]
           else ""),
        f"- run: {r['created']}, {r['total_seconds']:.0f} s wall in total"
        + (" (**--quick smoke run, not the published workload**)" if r.get("quick") else ""),
        "",
        "## Headline (reference workload)",
        "",
        f"R = {ref['R']} seeds, n = {ref['n']}, d = {ref['d']}, m = {ref['m']}, "
        f"{ref['steps']} full-batch GD steps (logistic loss, second layer fixed), the default "
        f"probes ({', '.join(e['probes'])}) at the default {e['probe_times']} log-spaced probe "
        f"times. Effective GFLOP/s = 4·R·n·d·m·steps / seconds (the two GEMMs of a step; "
        "everything else — activations, loss, probes — is overhead it has to absorb).",
        "",
        "| measurement | seconds | effective GFLOP/s | ratio |",
        "|---|---:|---:|---:|",
        f"| float32 GEMM {g['size']}×{g['size']}, best of {g['samples']} (ceiling) | — | "
        f"{_f(g['gflops'])} | 1.00 |",
        f"| float32 GEMM {g['size']}×{g['size']}, median of the same samples (alongside) | — | "
        f"{_f(g['gflops_median'])} | {_f(g['gflops_median'] / g['gflops'], 2)} |",
        f"| twolayer engine, with probes | {_f(e['seconds'])} | {_f(e['gflops'])} | "
        f"**{_f(e['ratio_to_gemm'], 2)}** of the ceiling, "
        f"{_f(e['ratio_to_gemm_median'], 2)} of the rate alongside |",
        f"| twolayer engine, probes off | {_f(e0['seconds'])} | {_f(e0['gflops'])} | "
        f"{_f(e0['ratio_to_gemm'], 2)} of the ceiling, "
        f"{_f(e0['ratio_to_gemm_median'], 2)} of the rate alongside |",
        f"| plain PyTorch loop (nn.Module + autograd + SGD, one seed at a time)"
        f"{'¹' if b['seeds_timed'] < ref['R'] else ''} | {_f(b['seconds_scaled'])} | "
        f"{_f(b['gflops'])} | engine is **{_f(b['speedup'], 2)}×** faster |",
        "",
        f"- the runs with and without probes alternate in {e.get('phases', 1)} phases "
        "(consecutive `engine.train` calls on the same parameters, the engine's way to continue "
        "training; which of the two goes first alternates from phase to phase), with the plain "
        "loop's seeds in between, so that a change of load hits all three alike.",
        "- the GEMM was sampled for half a second before the timed parts and after each of "
        "them, so that its samples spread over the run like the timed parts: the best sample "
        "is the ceiling, the median the rate the machine gave alongside them. The best is a "
        "maximum over many short samples and the engine's time a sum over a long run, so on a "
        "host whose speed moves the ratio to the ceiling is the conservative one.",
        f"- CPU seconds of the process (all threads) during the runs: engine "
        f"{_f(e['cpu_seconds'])} (wall {_f(e['seconds'])}), plain loop "
        f"{_f(b['cpu_seconds_timed'])} for the timed seeds (wall {_f(b['seconds_timed'])}).",
        f"- probe overhead: {_f(100 * po['ratio'])} % (with / without probes − 1). Accounted "
        f"in the run with probes: {_f(100 * po['in_run'])} % of its training time inside the "
        f"probes ({_f(po['per_probe_time_ms'])} ms per probe time, {_f(po['per_step_ms'], 2)} "
        "ms per step without probes)"
        + (f", plus {_f(po['in_step_segments_ms'])} ms per probe time for the segments taken "
           f"inside the step (median extra of a probe-time step over a plain one, "
           f"interleaved pairs): {_f(100 * po['accounted'])} % in all"
           if po.get("in_step_segments_ms") is not None else "")
        + ". The first figure compares two runs and moves with the host's speed between them; "
        "the second adds up costs measured inside one run.",
    ]
    if b["seeds_timed"] < ref["R"]:
        lines.append(
            f"- ¹ the plain loop was timed on {b['seeds_timed']} of the {ref['R']} seeds "
            f"({_f(b['seconds_timed'])} s) and scaled by {ref['R']}/{b['seeds_timed']}: seeds are "
            "independent and equally expensive."
        )
    rows = r["memory"]["rows"]
    growth = (rows[-1]["peak_extra_mb"] - rows[0]["peak_extra_mb"]) * 2**20 / max(
        1, (rows[-1]["n"] - rows[0]["n"]) * rows[0]["R"])
    lines += [
        "",
        "Targets of the issue, as measured in this run:",
        "",
        f"- at least 3× faster than the plain loop: **{_f(b['speedup'], 2)}×** — "
        + ("met." if b["speedup"] >= 3 else "not met (see the note at the end)."),
        f"- at least 0.5 of the GEMM rate: **{_f(e['ratio_to_gemm'], 2)}** of the ceiling "
        f"and {_f(e['ratio_to_gemm_median'], 2)} of the rate alongside, with probes — "
        + ("met against both." if e["ratio_to_gemm"] >= 0.5 else
           "met against the rate alongside, not against the ceiling."
           if e["ratio_to_gemm_median"] >= 0.5 else "not met."),
        f"- probes at most 10% at the default schedule: **{_f(100 * po['ratio'])} %** with "
        "against without"
        + (f", {_f(100 * po['accounted'])} % accounted" if "accounted" in po else "") + " — "
        + ("met." if po["ratio"] <= 0.10 else
           "met by the accounting, not by the comparison of the two runs."
           if po.get("accounted", 1.0) <= 0.10 else "not met."),
        f"- peak memory independent of n beyond the data: the working memory grows by about "
        f"{growth:.0f} bytes per sample and run (per-sample outputs, losses and probe indices) "
        "against ~200 bytes of training data and 1600 of activations (m = 400) per sample and "
        "run — bounded blocks, but not strictly constant.",
    ]
    worst = max(b["max_abs_diff_vs_engine"].items(), key=lambda kv: kv[1])
    lines += [
        f"- the plain loop measures the same numbers: largest difference to the engine's "
        f"record over all probe quantities and times of the timed seeds: {worst[1]:.2e} "
        f"(`{worst[0]}`), float32.",
        "",
        *limit_lines(r.get("limit")),
        *endtoend_lines(r.get("endtoend")),
        "## Memory against n",
        "",
        f"R = {r['memory']['rows'][0]['R']}, d = {ref['d']}, m = {ref['m']}, "
        f"{r['memory']['steps']} steps with the default probes at every step. Measured: "
        f"{r['memory']['method']}.",
        "",
        "| n | data (train + test) MB | peak working memory MB | one unchunked [R, n, m] "
        "activation MB |",
        "|---:|---:|---:|---:|",
    ]
    for row in r["memory"]["rows"]:
        lines.append(f"| {row['n']} | {_f(row['data_mb'])} | {_f(row['peak_extra_mb'])} | "
                     f"{_f(row['unchunked_activation_mb'])} |")
    s = r["scaling"]
    bs = s["base"]
    lines += [
        "",
        "The working memory is the blocked activations (a few MB, independent of n), the "
        "per-sample vectors (outputs, losses, coefficients: O(R·n), d times smaller than the "
        "data) and, at probe times, one block's gathered copy of its samples. It does not "
        "grow like the [R, n, m] activation tensor.",
        "",
        FREI_MEMORY_NOTE,
        "## Scaling",
        "",
        f"Seconds per step (probes off, best of 3 runs of {s['steps']} steps), varying one size "
        f"at a time around R = {bs['R']}, n = {bs['n']}, d = {bs['d']}, m = {bs['m']}. The "
        "work of a step is proportional to R·n·d·m, so a slope of 1 is ideal; a slope below 1 "
        "means fixed per-step costs (Python, small ops) still matter at the small end.",
        "",
        "| size | values | ms per step | log-log slope (all / last two) |",
        "|---|---|---|---:|",
    ]
    for axis, a in s["axes"].items():
        vals = ", ".join(str(v) for v in a["values"])
        ms = ", ".join(_f(1e3 * t, 2) for t in a["seconds_per_step"])
        lines.append(f"| {axis} | {vals} | {ms} | {_f(a['slope'], 2)} / "
                     f"{_f(a['slope_last_two'], 2)} |")
    if r.get("flow"):
        from .flow import flow_table

        fl = r["flow"]
        lines += [
            "",
            "## Long horizons: gradient flow against exact GD",
            "",
            f"{fl['setting']}, {fl['seeds']} seeds, probes `errors` at 25 log-spaced times. "
            f"Flow: `--integrator auto` (exact GD to step {fl['switch']}, then the adaptive "
            f"Bogacki–Shampine flow at rtol {fl['rtol']:g}; docs/integrators.md). Exact GD was "
            f"timed over {fl['gd_timed_steps']} steps ({fl['gd_ms_per_step']:.2f} ms per step) "
            "and is extrapolated linearly beyond (one gradient evaluation per step; 10^7 exact "
            "steps would take hours). Both on the process's default threads.",
            "",
            flow_table(fl),
        ]
    if tta:
        from .timetable import render_summary

        lines += ["", render_summary(tta).rstrip(), "", COLD_CHECKS]
    lines += ["", NOTES, SPEEDUP_NOTE, GPU_NOTE]
    return "\n".join(lines) + "\n"


# later cold-store runs of `twolayer check --all` (docs/claims.md's header), not re-measured by
# benchmarks/time_to_answer.sh: what they ran beside, so that their minutes are not misread
COLD_CHECKS = """\
Later cold-store runs of `twolayer check --all` (the ones behind docs/claims.md, timed by the
command's own clock; `make figures` was not timed then), on the same 2-core Intel Xeon:
**14.6 min** with nothing else running (2026-12-06, commit b8d0432); 24.4 min at 65f8ae9 with a
test suite and four helper sessions beside it; 30 min at 067670c and 22.2 min at ba3ced6
(2026-12-06 10:27 UTC) with two or more helper sessions beside them; **12.5 min** at 7d05c05
(2026-12-06 11:27 UTC, a few test runs beside it), the first since CPU trainings stopped
importing Triton. Each gave the table of docs/claims.md at its time."""


NOTES = """## How the engine gets there

- **One batched computation for all seeds.** W is [R, m, d]; a step is two batched GEMMs
  (pre = x Wᵀ, and the gradient) plus elementwise work, never a Python loop over seeds.
- **Blocks that stay in cache.** The [R, n, m] activations are walked in blocks of whole runs
  (about 4 MiB per core on the CPU, `net.block_shape`); one preallocated block buffer holds in
  turn pre, relu(pre) and 1[pre > 0], in place, so the elementwise passes hit cache and nothing
  large is allocated per step (`net.Workspace`; the views of every block are built once per
  training call, for minibatch SGD too: each minibatch is copied into buffers kept across
  steps, since rebuilding the views for a new batch tensor cost a fifth of a small online-SGD
  step). On a GPU the block is as large as the memory budget allows.
- **One worker thread per core** (CPU, from 4M activation elements per step). The blocks of
  runs are shared out to single-threaded worker threads (`net.Pool`) instead of splitting every
  op over OpenMP threads: no barrier per op, and each block stays in the cache of the core that
  made it. On the quiet 2-core machine: 39 against 40 ms per step (best; median 42 against
  52 ms) at R = 64, 9.7 against 11.3 ms at R = 16. Under heavy load from other processes the
  comparison swung both ways from run to run. Each worker takes the next block of runs from a
  shared counter rather than a fixed share, so a core the host slows down takes fewer blocks
  instead of holding up the step: at R = 64 the median ratio of 40 paired 10-step calls was
  0.93 and 0.90 in two runs (quartiles 0.82–1.00), i.e. 7–10% faster than fixed shares. With
  few runs, each run's samples are split over the workers; on a GPU ops are issued from one
  thread.
- **No [n, m] product for the gradient.** With one output, δ_ij = c_i a_j 1[pre_ij > 0], so
  ∇_{w_j} = a_j Σ_i 1[pre_ij > 0] c_i x_i: one GEMM [c ⊙ x, c]ᵀ M (M = 1[pre > 0]) gives the
  first-layer weight and bias gradients; a is applied in the update, W ← W + (−α Gᵀ) ⊙ a.
- **The update inside the workers, the caller on one thread.** Each worker updates its block
  of runs as soon as their gradient is complete (the C loop `descend_rows`, which reads G in
  8 × 8 tiles transposed in registers: 0.38 against 0.97 ms for `addcmul_` over all 64 runs on
  one thread, whose transposed read goes element by element), and the few ops the calling
  thread issues during a step (−y, the per-sample loss, the divergence check) run on one
  intra-op thread. The cause: after every op on two OpenMP threads the caller's OpenMP team
  spins on a core for a while, and that core is a worker's — the blocks of a step took 2 ms
  (13 %) longer right after two-thread ops in the caller (2026-12-03; with
  `OMP_WAIT_POLICY=PASSIVE` the difference went away). Together: 0.80 → 0.82 of the limit.
- **Relu, readout and mask in one pass** (float32 on a CPU with AVX2 and FMA, where the
  optional C extension `twolayer/net/_cpu_kernels.c` is built): one loop over the block's
  pre-activations computes f_i = Σ_j a_j relu(h_ij) and overwrites h with 1[h > 0], where
  PyTorch takes three passes (relu_, one mv per run, gt_); a second small loop builds the
  backward GEMM's right-hand side [c x, c]. The grouped step of probe times and the forward
  pass (`net.forward`, the readout alone: the test-set outputs of the errors probe) take the
  same pass. At the reference size, single thread, one block of
  2 runs: 111 µs for the fused pass against 334 µs for the three ops (2026-12-03, Intel Xeon
  host). Without the extension (or with `Tuning(fused_cpu=False)`) the readout is one BLAS
  matrix–vector product per run (a one-column bmm was ~3× slower, `torch.linalg.vecdot`
  allocates a block-sized temporary); in blocks below 2^14 elements one bmm instead (4 against
  18 µs at 16·32·10).
- **The forward GEMM in that pass** (CPUs with AVX-512, d ≤ 96): `forward_relu_mask` computes
  H = X Wᵀ in tiles of 8 rows × 32 columns held in registers (each H_ij one fused multiply-add
  chain over k, W packed as Wᵀ per run), then relu, readout and mask from the registers, so that
  H is never written and read back: only the mask goes to memory. One thread, one block of 2
  runs at the reference size: 507 µs against 571 µs for MKL's GEMM plus the pass (MKL's GEMM
  alone: 420–440 µs); in the step, where the two cores share the L3 cache, 0.82 → 0.87–0.91 of
  the limit. It loses where d is large (0.93× at d = 128, m = 1024; 0.56× at d = 784), hence
  the bound d ≤ 96; without AVX-512 the library's GEMM stays. An AVX2 version of the tile loop,
  4 rows × 16 columns, took 1.6× the GEMM plus the pass on this AVX-512 host, where MKL's GEMM
  uses the wider registers. On a 2-core AMD EPYC without AVX-512 (2026-12-05, the same bits as
  the portable loop and as MKL's GEMM there): one thread, one block of 2 runs, 6 × 16 tiles
  1.04× as fast as MKL's GEMM plus the pass at d = 50 (1.50× at d = 2, 1.00× at d = 128,
  0.77× at d = 128 with m = 1024), 4 × 16 tiles 0.96×; in the step (R = 64, 2 threads, 20
  paired rounds) 1.005× (quartiles 0.98–1.02), no difference, so not used there either.
- **Probes share the step's work.** At a probe time the engine computes the gradient at θ_t
  first; its outputs f(θ_t) on the training set go to the probes (the errors probe then only
  runs the test set forward, which costs about one step at n_test = 2n), and the segments
  probe's group gradients are taken inside the same step: each run's samples enter the forward
  pass sorted by segment (true class × clean/noisy, the noisy ones last; a row copy of x, d
  numbers per sample), so the rows of the activation pattern 1[pre > 0] come out grouped and
  every segment is one GEMM over a contiguous range of them, the noisy rows once more with
  their true labels one GEMM over the tail; their sum is the step's gradient. The extra cost is
  that GEMM of the noisy rows and the float64 Gram matrix of the segment gradients, from which
  every segment statistic follows as a quadratic form. History: one masked backward pass per
  segment (~50 ms per probe time at R = 1, about twice the whole training time at the default
  schedule); then the rows of 1[pre > 0] copied into segment order, m numbers per sample (at
  the reference size 74 against 62 ms for the grouped step now, best of 25 interleaved
  calls; a plain step took 35 ms). Called on its own, the probe does one sorted
  forward/backward pass (`net.grouped_gram`).
- **What did not help** (measured on the 2-core CPU): `torch.compile` of the elementwise part of
  a block (relu, readout and mask fused into one pass) was slower than the eager ops (78 against
  73 ms per step, single thread, R = 64) and took 6–25 s to compile, so the engine has no
  compile option (the C pass above does that fusion); one C pass per row that also forms the
  logistic coefficient c_i and writes c_i 1[h_ij > 0] (and the bias gradient), so that the
  backward GEMM is Xᵀ(c ⊙ M) with no right-hand side to build: slower than the C pass plus the
  small right-hand-side loop (paired ratio 0.97 over 60 rounds of 3 steps at R = 64, 2026-12-03;
  the second pass over each row and one exp per sample cost more than the loop it saved;
  re-measured on 2026-12-03, one thread, one block of 2 runs: 175–191 against 144–151 µs for
  the pass, c and the right-hand side); taking the
  parameter update and the loss inside the workers with PyTorch's `addcmul_` (median ratio of 40
  paired 10-step calls at R = 64: 1.02, 0.99 and 1.00 in three runs, quartiles 0.91–1.13: no
  difference within the noise — the C loop above and the caller's single thread made the
  difference); AVX-512 in relu_readout_mask itself (113 against 111 µs: the pass waits on
  memory, not on instructions); blocks of one run (1.6 MB, inside a core's L2) for the C pass
  (0.82 against 0.82); an L1-resident panel order for the forward tiles (columns outer: 1.16×
  against 1.14× MKL's GEMM time); oneDNN's fused
  linear + relu (~5% on the forward GEMM alone, through a private op with no `out=`; inside the
  step, one call per run with the backward GEMM per run too, the step was slower: paired ratio
  0.90 over 30 rounds, 2026-12-03 — not used); blocks of ¼–½ or 2–4 times the size (re-measured
  at R = 64, median time of 30 interleaved repetitions relative to the default: ½ the size 0.99,
  ¼ 1.05, ⅛ 1.20: the dispatch of more, smaller ops outweighs the smaller cache footprint); one
  huge block ([R, n, m] at once: ~2.5× slower, it streams from memory); a bmm or `vecdot`
  readout, or one wide GEMM of the block's runs' a against its transposed activations (1.6–2.4×
  slower than the mv calls, which themselves take about twice a plain pass over the block); the
  gradient GEMM as Mᵀ[c ⊙ x, c] (~15% slower than its transpose [c ⊙ x, c]ᵀ M); keeping −y and
  −y s across full-batch steps instead of refilling them every step (paired ratio 1.01 and 1.00
  over 150 single steps: no difference). The profile in "The step against its two-GEMM limit"
  above shows where the rest of the step goes.
"""


FREI_MEMORY_NOTE = """### Peak memory of the frei2023 checks (2026-12-04, 2 CPU cores)

`twolayer check frei2023 --no-store` (full plan, `/usr/bin/time -v`, one run each on a quiet
machine) peaked at 6647 MB and now at 4289 MB (wall 172 s and 137 s, one run each), with the
same verdicts and measured values (every field of the JSON output equal; the records' arrays
bitwise equal by SHA-256). Sampling the resident set by phase (`benchmarks/frei_memory.py`)
showed three causes. (1) An idle worker thread of the CPU lanes kept its last task's arguments,
and with them a workspace's buffers and the training data, until its next task: 1.3 GB stayed
resident after the deep theorem-regime setting returned, under the next experiment. Workers now
drop a task before reporting it done. (2) `frei2023.movement` copied its runs' data 5 times for
its 100 runs, including a 2.4 GB test set nothing reads; it now copies the training set only
(its peak 5629 → 3259 MB). (3) The `frei_neurons` probe's ∇_W was built as
`(a ⊙ Gᵀ).contiguous()`, three W-sized tensors at once (3 × 384 MB at d = 12000, m = 400,
R = 20); it is now formed in the gradient accumulator's own memory a few runs at a time, with
the same products and the same `bmm`, so the same bits (deep setting 4833 → 4241 MB). What
remains is that setting's training state (data 1.9 GB, the initial and current W, the training
workspace: about 3.6 GB) and the probe's own gradient workspace (about 0.6 GB). The whole
`check --all` is in the time-to-answer section below.
"""

SPEEDUP_NOTE = """## What bounds the ratio to the plain loop

One seed of the reference size already gives the plain loop GEMMs of 1000 × 50 × 400, which
MKL runs at a fair fraction of the machine (see the plain loop's GFLOP/s in the table above).
The engine's step is bound by the same two GEMMs, batched over the seeds. Measured during
development on the quiet 2-core machine (R = 64, per core 32 runs): the batched GEMMs alone run
at ~0.9 of the ceiling (28.5 ms per step); the rest of a step (relu, readout, mask,
coefficients) adds ~15% on one core (32.7 ms), and two workers add another ~13% (36.9 ms; the
GEMMs alone scale perfectly, the elementwise passes do not). So the speedup over the plain loop
is about (the engine's fraction of the ceiling) / (the plain loop's), and both fractions move
with the machine's state: the load of other processes and the host's clock, which changed the
GEMM rate of this machine by up to ±20% within minutes while these numbers were taken.

The ratio also depends on the host, because the plain loop's small GEMMs take a different share
of each machine's ceiling. The same `twolayer bench` on a 2-core AMD EPYC without AVX-512
(2026-12-05 08:01 UTC, load average 0.64 before the run; raw results in
`benchmarks/hosts/2026-12-05-amd-epyc.json`): the engine with probes at 123.7 GFLOP/s, 0.65 of
the ceiling (189.4; 0.57 on the published host), but the plain loop at 45.9 GFLOP/s, 0.24 of the
ceiling against 0.11 on the published host, so the engine was **2.70×** faster (the
performance issue's target of 3× is not met in that run; 2.75× as whole processes; an AMD EPYC
run of 2026-12-03 14:08 UTC, on a loaded host whose median GEMM sample was 0.75 of its best,
measured 3.36×, its plain loop at 0.15 of the ceiling), and at
most 150/45.9 = 3.3× could be reached there with the engine's two GEMMs alone (the limit below).
The step ran at **0.91** of its two-GEMM limit (37.7 against 34.1 ms; paired rounds: median
0.90, quartiles 0.88–0.92) with the library's forward GEMM, so the 0.85 target of the step is
met on a CPU without AVX-512 as well. Probe overhead there: 12.3 % with against without probes,
6.8 % accounted inside the run.
"""

GPU_NOTE = """## GPU

### Second measurements: NVIDIA H200, 2026-12-04, 18:10-18:45 UTC

The same machine kind (one H200, 143,771 MiB, driver 580.159.04, CUDA 13.0, 16 CPU cores, no
network), torch 2.11.0+cu130, triton 3.6.0, the project installed with `pip install --no-deps
--no-build-isolation -e .`. Four calls, 783 s of the session's 900 s of device time, start-up
included. Raw results: `benchmarks/gpu/2026-12-04-h200-run2/` (the script's log and JSON, the
profiler tables) and `benchmarks/gpu/2026-12-04-h200-run2/steps*.json` (the step variants).

**`benchmarks/gpu_check.sh`** (18:10-18:17 UTC, 397 s; commit 2b68088 with step 7's threads
per worker set to 2, as committed in eec6700; the step then ran eagerly: no fused pass, no
graphs):

- the CUDA tests: 21 passed, 1 skipped (26 s); the demo on CUDA against the CPU: every summary
  value the same to 5 decimals (largest difference 2.5e-06);
- the float32 GEMM rate: 51.3 TFLOP/s before and after the steps;
- the reference step (n = 1000, d = 50, m = 400, 1000 steps, one timed run each):

| R | ms/step | TFLOP/s | of GEMM | with probes | probe overhead | peak GiB |
|---:|---:|---:|---:|---:|---:|---:|
| 64 | 0.46 | 11.2 | 0.22 | 9.55 | 17.6 % | 0.53 |
| 1024 | 5.55 | 14.8 | 0.29 | 13.7 | 7.5 % | 8.06 |
| 4096 | 21.85 | 15.0 | 0.29 | 13.9 | 8.1 % | 32.13 |

- **`twolayer check --all`** (full plan, a new empty record store; its experiments trained in
  8 worker processes sharing the GPU, 32 tasks, then judged): **75.5 s**, 10.3x the published
  2-core CPU run (778 s). Its worker-seconds: training 295, drawing data 52, probes 50. All
  101 verdicts and their marks are those of the published CPU run (docs/claims.md); 71 measured
  values agree with it to 4 significant digits, 25 (long runs: badger2022's online SGD,
  maennel2020, vashisht2024) differ from the 2nd-3rd digit on, as between the two CPUs
  (docs/claims.md, "Reproduced on another CPU").
- the rest of the suite (8 xdist workers, 2 threads each): 1799 passed, 4 skipped, 2 failed in
  113 s. The two failures were a test's fixed 4 s wait before interrupting `simulate`, shorter
  than importing the CUDA build of torch there; the test now waits twice a measured tiny run.

**The whole default suite on the GPU machine** (commit 502a349, 18:36 UTC, before the fused pass
and graphs became defaults): the CUDA tests 54 passed, 1 skipped (28 s); the rest 1843 passed, 4
skipped (101 s). It passed there as on a machine without a GPU; with the new defaults the CUDA
tests have not run on a GPU yet.

**The step's variants** (`benchmarks/gpu_steps.py`, commit 502a349, 18:33 and 18:38 UTC;
medians of 3 and of 5 alternating rounds, both given): eager (PyTorch ops), the fused Triton
pass for relu, readout and mask (`twolayer/net/gpu_kernels.py`), each plain step replayed from
a CUDA graph (`twolayer/training/graphed.py`), and both:

| variant | R = 64: ms/step (of GEMM) | R = 1024: ms/step (of GEMM) | workload: s (x CPU) |
|---|---:|---:|---:|
| eager | 0.449, 0.450 (0.22) | 5.599, 5.619 (0.28-0.29) | 0.504, 0.507 (40.4x, 40.1x) |
| fused | 0.359, 0.357 (0.28) | 4.468, 4.471 (0.36) | 0.420, 0.426 (48.5x, 47.8x) |
| graph | 0.433, 0.432 (0.23) | 5.605, 5.611 (0.28-0.29) | 0.482, 0.484 (42.2x, 42.0x) |
| graph + fused | 0.347, 0.347 (0.29) | 4.521, 4.504 (0.35) | **0.396, 0.401 (51.4x, 50.8x)** |

(The workload is make bench's reference workload: R = 64, 1000 steps, the default probes at
their 37 times; the 2-core CPU run published then, 2026-12-03 22:50, took 20.35 s: it is kept as
benchmarks/hosts/2026-12-03-intel-xeon.json, and every GPU ratio here is against it.) Agreement
with the eager step after the same steps (per run, max |ΔW_r| / max |W_r|): the graphed steps
are **the same bits**; the fused pass differs by a median of 1.7e-7 (R = 64, 200 steps) and
7.1e-8 (R = 1024, 50 steps), at most 2.5e-5 and 2.5e-3 (after one step at most 4.2e-8 and
8.4e-8: rounding, which a ReLU mask entry flipping on it then carries on). The eager GPU step
and the CPU's float32 path part by as much or more (`benchmarks/gpu_fused.py`): medians 9.9e-6
and 3.7e-7, at most 5.5e-5 and 2.5e-3. **Since then both are on by default on a GPU** (graphs in
trainings of at least 500 steps; `net.use_tuning(fused_gpu=False, cuda_graph=False)` switches
them off): the pass runs a self test once per device first and falls back to the eager ops, with
the reason in the record, where Triton cannot run it; a step whose recording as a graph fails is
still taken and the later ones run eagerly. The record store keys runs of the fused pass apart
from eager ones (other numbers, to rounding) and graphed runs with eager ones (the same bits).
`check --all` above ran eagerly; with the new defaults it has not been run on a GPU.

The targets of issue #19, each a ratio in one run:

1. **Step at R = 1024 >= 0.5 of the GEMM rate: not met.** 0.29 eager, 0.35-0.36 with the
   fused pass. By the first run's profile the two cuBLAS GEMMs alone reach 0.51 at these
   shapes (inner dimension d = 50): 0.5 needs the elementwise tail inside the GEMMs (an
   epilogue), which is not written.
2. **Default probes <= 10 %: met at R = 1024 (7.5 %) and R = 4096 (8.1 %), not at R = 64**
   (17.6 % in the script's single eager run, 24.9 % in a single run at 502a349; from the
   medians above, with probes against plain steps: 12-13 % eager, 14-16 % graph + fused). At
   R = 64 a probe time costs about 1.5 ms, mostly the host's launches: the default
   probes dispatch 104 tensor operations per probe time, and 165 views, which launch no kernel
   (147 operations at the commit of the script's run; `benchmarks/probe_ops.py`, on the CPU
   with the GPU's batched group path forced), and the divergence check at a probe time now
   rides in the probes' one device-to-host copy instead of a second wait for the device.
3. **make bench's workload >= 50x the CPU: met with the fused pass and graphs (now the
   default), by a small margin:** 51.4x and 50.8x in the medians above (40.4x and 40.1x
   eager; 37.9x in the script's single eager run). `gpu_check.sh`'s own row has not been rerun
   with the new defaults.
4. **`check --all` >= 10x: met, 10.3x** (75.5 s against 778 s), eager.
5. **Memory** (reported, no bound): 32.1 GiB at R = 4096 of the card's 140 GiB; blocks are
   sized from free memory.

**Since that run** (not yet measured on a GPU): a probe time's device work (the gradient at
θ_t with its in-step group Gram matrix, the divergence marks, the default probes and one packed
vector of their outputs) can be captured as a CUDA graph at the first probe time and replayed at
the later ones (`net.use_tuning(probe_graph=True)`, `graphed.ProbeGraph`; off by default): one
launch and one device-to-host copy per probe time instead of about 200 launches, aimed at
target 2 at R = 64. It gives the eager path's records bit for bit with a stand-in capture on the
CPU (tests/test_graphed.py, which also runs a real capture against eager on a GPU); the next
GPU run times it (`benchmarks/gpu_steps.py`, variant `graph+fused+probe graph`) and runs
`gpu_check.sh` with the new defaults. For target 1, the forward GEMM can join the Triton pass
(`net.use_tuning(fused_gpu_forward=True)`, `gpu_kernels.forward_relu_readout_mask`; off by
default, float32, d <= 128): H = X Wᵀ + b is computed tile by tile in registers (float32 `tl.dot`
without TF32) and never written, only the mask and f, which saves H's write and read (3.2 GB of
memory traffic at R = 1024, about 0.7 ms at the H200's bandwidth, an estimate) but replaces
cuBLAS's GEMM by Triton's; checked in Triton's interpreter against the eager ops
(tests/test_gpu_kernels.py) and timed by the next GPU run (`gpu_steps.py`, variant `graph+fused
forward`). The backward GEMM G = [c ⊙ x, c]ᵀ M can run as a Triton kernel too
(`net.use_tuning(fused_gpu_backward=True)`, `gpu_kernels.backward_gemm`; off by default, float32,
d <= 128): it forms the right-hand side c ⊙ x in registers instead of writing it, sums over the
samples in a fixed order (no atomics: the same bits on every run), and, with the fused forward,
reads the mask as one byte per entry, which the forward writes instead of four (at R = 1024: 0.4
instead of 1.6 GB written and read again, an estimate). Checked in the interpreter against a
float64 GEMM and eager training; timed by the next GPU run (variants `graph+fused backward` and
`graph+fused fwd+bwd`). Both kernels' tiles were chosen without a GPU, and a Triton GEMM's speed
hangs on them: the next run first times a grid of launch configurations of each (tiles of
samples and neurons, warps, then pipeline stages for the fastest; `benchmarks/gpu_blocks.py`,
`gpu_kernels.Blocks`) at R = 64 and 1024 next to the cuBLAS GEMMs they replace, each checked
against a float64 oracle before it is timed (a wrong one is never chosen), and then times the
whole step with the fastest (`gpu_steps.py --blocks`, variant `graph+fused fwd+bwd, swept
blocks`). A fault the interpreter hid, found by reading the CUDA-only paths without a GPU
(2026-12-06): three of the six CUDA kernel tests (the training checks of the pass, the fused
forward and the fused backward in tests/test_gpu_kernels.py) count the kernel's calls, and on a
GPU, only there, the kernel's self test runs before its first use and calls it too (21 calls for
20 steps): they would have failed in step 1 of `gpu_check.sh`. They now run the self test before
they count, and a CPU test runs them with the GPU's order forced. The same reading found that a
GPU record's `gpu_kernels` said "fused pass enabled" whenever the pass was switched on, also for
trainings none of whose blocks take it (a trained second layer or K outputs: maennel2020's,
vashisht2024's and badger2022's networks), and "(with the forward GEMM)" for float64 or d > 128;
a record now states what the blocks ran ("fused pass ran: ...", or "eager (fused pass enabled,
taken by no block: ...)"), and the auto integrator's GD phase is graphed by its own length, not
the whole training's (Frei Fig. 2's 10^7 steps captured a graph for its first 100).

**Compiled for the H200 without one** (2026-12-04, `benchmarks/gpu_compile.py`; results in
`benchmarks/gpu/compile-sm90.json`). Triton's interpreter, in which the CPU tests run the
kernels, never compiles them, so until a GPU run nobody knew whether the opt-in kernels' launch
configurations compile, or what they cost in registers. The script compiles them for sm_90 on
this 2-core machine with the GPU machine's Python 3.12, torch 2.11.0+cu130 and triton 3.6.0,
through the kernels' own launch wrappers on `meta` tensors with the step's layouts at R = 1024,
n = 1000, d = 50, m = 400, and reads each binary's counts (cuobjdump, and ptxas -v for spills).
All 337 launches of the sweep's grids (the forward's 24 tiles × warps in two launch orders, the
backward's 18 with a byte and a float mask, each with Triton's default and 2, 3, 4 pipeline
stages; and the default pass) compile, in 176 s here. 44 of them spill registers to memory,
among them the default backward (32 × 64, 4 warps, byte mask: 128 registers, 12 bytes of spill
stores per thread); the 8-warp version of the same tile does not spill (80 registers). The
default forward (64 × 64, 4 warps) takes 164 registers and 52,224 bytes of shared memory per
block, so an SM holds 3 of its blocks, 12 warps of 64 (an estimate by the CUDA occupancy rules,
not a measurement); the default pass takes 56 registers (36 warps). The estimates over the grid
run from 4 to 40 warps per SM: the sweep now also tries tiles of 16 samples in the forward, the
grid's best-occupied (16 × 32 with 8 warps: 48 registers, 40 warps). It also tries the forward
in a second launch order (`Blocks(by_run=True)`): a run's sample tiles side by side instead of
each tile's 1024 runs, so the 16 programs that read a run's W (80 KB) run together and can share
it in the L2 cache, where at R = 1024 the runs' W (82 MB) do not all fit in the H200's 50 MB;
the same bits either way (checked in the interpreter), and whether it is faster only the GPU can
say. One fault the interpreter had hidden: the backward with tiles of fewer than 16 samples runs
there to the right numbers, but the compiler refuses it (`tl.dot` needs an inner dimension of
16); `backward_gemm` now refuses such tiles itself and `gpu_kernels.Blocks` refuses tiles, warps
or stages that Triton cannot take (tests/test_gpu_compile.py compiles the defaults for sm_90 and
sm_80 in the default suite). The compiled kernels also go into a Triton cache (`--cache
.triton-cache --lean`: 253 binaries, 45 MB, with a manifest of what it was built from) that the
next GPU run carries and `gpu_check.sh` points Triton at, so the device spends its minutes
timing the kernels instead of compiling them; `gpu_blocks.py` prints the seconds of each
configuration's first call, which show whether the cache served it.

A review of the GPU code without a GPU (2026-12-04, after the second run) found four faults no
run had reached, fixed with tests that fail without the fixes: the Triton kernels computed
memory offsets in 32 bits, so a block with R·c·m >= 2^31 (R >= 5369 at n = 1000, m = 400, within
an H200's memory budget; R >= 1343 for the opt-in kernels' byte mask) would have read and
written outside its tensors (the measured runs stopped at R = 4096: 1.6e9 < 2^31); a graph
recording that failed (a host sync in it) left the side stream current and the allocator
recording, so no later recording in the process could start; a probe time was recorded where
the segments probe takes its groups in a pass of its own, which reads them on the host (a
trained second layer, several outputs), so the recording failed there; and a launch whose grid
passed CUDA's 65535 programs on its second axis failed (more than 2.1M samples, or 65535 runs,
in one block).

### First measurements: NVIDIA H200, 2026-12-04

One NVIDIA H200 (143,771 MiB, driver 580.159.04, CUDA 13.0), 16 CPU cores, no network, torch
2.11.0+cu130, the project installed with `pip install --no-deps --no-build-isolation -e .` at
commit 8c74f6e (the second and third calls with the two diagnostic scripts below added). Three
calls, 754 s of device time in all, start-up included; the raw results are in
`benchmarks/gpu/2026-12-04-h200/` (the script's log and JSON, the profiler tables, the
per-experiment times). **None of the four targets of issue #19 (0.5 of the GEMM rate, probes ≤
10 %, 10x, 50x) is met; the numbers below say by how much and what holds each one back.**

`benchmarks/gpu_check.sh` (14:55-15:03 UTC, 479 s):

- the CUDA tests: 19 passed, 1 skipped (23 s);
- the demo (`simulate` defaults, R = 4) on CUDA against the CPU: every summary value the same
  to 5 decimals, largest difference 2.5e-06; `check frei2023 --quick` on CUDA gives the same
  verdict for all 27 claims as on the CPU (measured values equal to 3-4 significant digits);
- the float32 GEMM rate (8192², TF32 off): 50.9 TFLOP/s before the steps, 51.2 after;
- the reference step (n = 1000, d = 50, m = 400, 1000 steps; effective TFLOP/s = 4·R·n·d·m per
  step; overhead = with the default probes at their 37 default times against without):

| R | ms/step | TFLOP/s | of GEMM | with probes | probe overhead | peak GiB |
|---:|---:|---:|---:|---:|---:|---:|
| 64 | 0.45 | 11.4 | 0.22 | 6.96 | 64.0 % | 0.53 |
| 1024 | 5.55 | 14.7 | 0.29 | 13.4 | 10.2 % | 8.06 |
| 4096 | 21.86 | 15.0 | 0.29 | 13.8 | 8.9 % | 32.13 |

- `check --all` (full plan, `--no-store`: one process trained everything) was stopped at its
  150 s limit: below 778 s / 150 s = 5.2x the published 2-core CPU run;
- the rest of the default suite (8 xdist workers) was stopped at its 120 s limit about half
  way, with no failure so far: the suite on a GPU machine is not yet checked in full.

The targets, each a ratio in one run:

1. **Step at R = 1024 >= 0.5 of the GEMM rate: not met, 0.29 of the float32 GEMM rate.** The
   profiler (`benchmarks/gpu_profile.py`, 15:06 UTC) splits the 5.6 ms step: the forward GEMM x
   Wᵀ 1.77 ms, the backward GEMM 1.35 ms, the mask 1[pre > 0] 0.86 ms, the relu 0.77 ms, the
   readout (a GEMV) 0.52 ms, the rest 0.3 ms. The two cuBLAS GEMMs alone reach only 0.51 of the
   8192² rate at these shapes (inner dimension d = 50; cuBLAS picks sm80 kernels with 64×64
   tiles). 0.5 needs the relu, readout and mask fused into the GEMMs (as the CPU path does with
   its C pass): a custom kernel, not written.
2. **Default probes <= 10 %: not met at R = 64 (64.0 %) and R = 1024 (10.2 %); met at
   R = 4096 (8.9 %).** Per probe time at R = 64: errors 1.84 ms, correlations 1.04 ms,
   segments 5.89 ms, all three 7.52 ms, against a 0.45 ms step. The probes are bound by the
   host: 376 kernel launches per probe-time step (29 for a plain step) and device-to-host
   copies; under the profiler the device was busy 2.0 ms of the host's 8.4 ms per such step.
3. **make bench's reference workload >= 50x the CPU run: not met, 27.6x** (20.3 s on 2 CPU
   cores, 0.736 s here). Without probes it would be 45.3x: the step alone misses 50x too, so
   this target needs target 1's fused step as well as cheaper probes.
4. **check --all >= 10x: not met, below 5.2x.** `benchmarks/experiment_times.py` (15:12 UTC)
   trained every experiment of the full plan in 8 processes sharing the GPU (2 threads each):
   all 39 (the check's and the figures' built-in experiments) in 95.7 s, about 8x the CPU
   check's 778 s if a check trained that way. It did not then (`--jobs` split by paper, and
   frei2023's experiments add up to about 190 s in one process; each time here was taken under
   that sharing). The longest are frei2023.regime (91.4 s; 442 s on the CPU),
   frei2023.fig2_curves (63.2 s), the online-SGD experiments of badger2022 (27-32 s each,
   0.9-1.6x the 2 CPU cores: one small step per sample, bound by the host) and vashisht2024's
   SGD runs (20-22 s). frei2023.regime's training data are drawn on the CPU (per-run generators,
   so that CPU and GPU runs see the same data): 8-12 s per batch of 20 runs at d = 12000 on the
   2-core CPU.
5. **Memory** (reported, no bound): 32.1 GiB at R = 4096 of the card's 140 GiB; the blocks are
   sized from free memory (a quarter of it), so R·n is bounded by the card's memory, not by
   a fixed block (not pushed to that bound here).

**Since that run** `check` on a GPU trains the experiments in worker processes sharing the
device, the runs' data are drawn in parallel lanes (`benchmarks/data_draw.py`: 2.18x on the
2-core CPU for frei2023.regime's largest batch, the same bits), the default probes dispatch
fewer operations, and the step has the fused pass and graphs: the second measurements above
time all of it.

### The check script

`benchmarks/gpu_check.sh [OUT]` is the check to run on a machine with an NVIDIA GPU and no
network, from the repository root, after installing the project over the CUDA build of torch
there without network access: `python3 -m pip install --no-deps --no-build-isolation -e .`
(build isolation would fetch setuptools; numpy, scipy, matplotlib, sympy, tqdm, pytest and
hypothesis must already be installed). The script stops at once with that command when the
package does not import. On the H200 it took 479 s with its time limits at 150 s (step 5) and
120 s (step 7), and 397 s in the second run (step 5 finished in 80 s, step 7 in 119 s with 8
workers of 2 intra-op threads each, `GPU_CHECK_SUITE_THREADS`). It prints, in order:

1. the CUDA tests: `pytest -m "cuda and not slow"`;
2. from `python -m twolayer.bench.gpu --device cuda --max-seconds 40`: the float32 GEMM rate
   of the GPU (TF32 off, as in training; measured before and after), the demo (`simulate`
   defaults, R = 4) on CUDA next to the CPU, and the reference step (n = 1000, d = 50,
   m = 400) at R = 64, 1024 and 4096 over 1000 steps (fewer where one timed run would take
   over 40 s; the table says how many), without probes and with the default probes (errors,
   correlations, segments) at a 1000-step run's default 37 probe times, as effective TFLOP/s
   (4·R·n·d·m flops per step), its fraction of the GEMM rate, the probe overhead and the peak
   memory (`torch.cuda.max_memory_allocated`). The R = 64 row with probes is `make bench`'s
   reference workload. Then `benchmarks/gpu_fused.py`: the plain step at R = 64 and 1024 with
   the fused Triton pass against the eager ops (ms per step, fraction of the GEMM rate, the
   largest relative difference of W after the same steps, per run, and against the CPU's
   float32 path), or a line saying triton is missing; then `benchmarks/gpu_blocks.py`: the
   opt-in Triton GEMM kernels (the forward with relu, readout and mask; the backward GEMM)
   over a grid of launch configurations at R = 64 and 1024, each checked against a float64
   oracle, then timed (medians of 20 calls), next to the cuBLAS GEMMs they replace, as
   fractions of the GEMM rate (at most 60 s of search, `GPU_CHECK_BLOCKS_TIMEOUT` for the
   step, default 120 s); then `benchmarks/gpu_steps.py --blocks OUT/blocks.json`: the
   step's variants (eager, fused pass, CUDA graphs, both, the opt-in kernels, both GEMM
   kernels with the fastest configurations found) at R = 64 and 1024 and on `make bench`'s
   reference workload, in alternating rounds, with their agreement with the eager step;
3. `twolayer check frei2023 --quick --device cuda --no-store` (its exit status 1, quick
   claims that do not hold, is reported as a verdict, not as a failed step);
4. `twolayer bench --quick --device cuda --out OUT/bench.json`;
5. `twolayer check --all --device cuda --records NEW_EMPTY_STORE --json` (the full plan, as a
   first check on the machine; the run above used `--no-store`) under a time limit of
   `GPU_CHECK_ALL_TIMEOUT` seconds (default 150; 778 s / 150 s = 5.2x, so a run stopped
   there is below the 10x target), its claims and timings in OUT;
6. `python -m twolayer.bench.gpu_targets OUT`: each target of the issue with the numbers it
   compares (met / not met / not measured) against the published CPU runs
   (`benchmarks/results.json`, `benchmarks/time_to_answer.json`), with how the step ran (the
   fused pass, graphs) and step 2's variants (medians) beside them as information, never as
   the verdict; a smoke run, another size or a partial check is "not measured", never "met".
   After the targets, each opt-in switch of step 2's variants against the default step
   (graph+fused), by a rule fixed before its first GPU run: a candidate for the default wins
   every one of at least 3 paired rounds (at R = 64 and 1024, with W within 1e-5 of the
   eager step's, per-run median; `probe_graph`: on the workload), else it stays opt-in;
7. the rest of the default suite, `pytest -m "not slow and not cuda"` (with 8 pytest-xdist
   workers where xdist is installed; at most `GPU_CHECK_SUITE_TIMEOUT` seconds, default 150):
   steps 1 and 7 together are the whole default suite, which must pass on a machine with a GPU
   as on one without (the tests that are not marked `cuda` see no GPU: `tests/devices.py`).

Two diagnostics sit beside it: `python benchmarks/gpu_profile.py` (each probe's cost per probe
time and torch.profiler tables of plain and probe-time steps at R = 64 and 1024, about 25 s on
the H200) and `python benchmarks/experiment_times.py --jobs 8` (every experiment of the full
plan in worker processes, a line each as it finishes, next to its CPU seconds; 96 s there).
Both have `--device cpu --quick` dry runs, tested in `tests/test_gpu_diagnostics.py`.

`GPU_CHECK_DEVICE=cpu benchmarks/gpu_check.sh` runs every step on the CPU at tiny sizes (the
CUDA tests all skip; step 5 checks one paper quick, step 7 one test file), to check the script
itself (2026-12-04 18:52 UTC, 2 cores: eight steps, none failed, 105 s);
`tests/test_bench_gpu.py` runs the measuring module on the CPU, the script's step accounting
and install guard, and the targets on doctored result files (each target met, not met, and not
judged from a smoke or partial run).

**torch 2.11** (what the GPU machine has) was also checked on the CPU on 2026-12-03, 2026-12-04
and 2026-12-06 (the last at 067670c): its CUDA build from PyPI (2.11.0+cu130, triton 3.6.0, no
GPU present) in a fresh Python 3.12 venv, with the project installed over it under
constraints.txt less its torch and triton pins (torch 2.11 requires triton 3.6.0, not the pinned
3.5.1), passes the default suite (3428 passed, 60 skipped: exactly the `cuda` tests; 748 s on 2
shared cores) and the CPU dry run of `benchmarks/gpu_check.sh` (no step failed, 223 s). It prints
the same `simulate --d 50 --noise 0.1` numbers as the pinned 2.13 CPU wheel (every field equal
but the wall time) and the same `check frei2023 --quick` table. No code change was needed. The
record store keys entries by torch version, so the two never share stored runs.
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m twolayer.bench.report RESULTS.json OUT.md", file=sys.stderr)
        return 2
    src, dst = Path(argv[0]), Path(argv[1])
    dst.write_text(render(json.loads(src.read_text()), time_to_answer(src)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
