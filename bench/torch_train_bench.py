#!/usr/bin/env python3
"""torch_train_bench.py : the PyTorch side of `lmc bench train` (cli/cmd_bench.c runs it).

Protocol: the model of DESIGN.md §2 as bench/torch_model.py writes it (batched, PyTorch's fused
ops; checked against the float64 oracle test/model/torch_check.py), in float32, from the weights
of MODEL (a safetensors file lmc wrote: the same initialisation lmc's bench starts from).
torch.set_num_threads(THREADS) (default 2, the machine's cores). One training step = one batch
of BATCH windows of CONTEXT random bytes (seeded), forward, mean cross-entropy, backward, Adam
(lr 1e-3): the same work as one lmc_trainer_step without clipping.

Variants (--variants, comma-separated; each starts from the same weights with a fresh Adam):
  sdpa                the attention as F.scaled_dot_product_attention(is_causal=True), PyTorch
                      2.x's fused CPU attention, eager; the whole batch in one graph
  sdpa_compile        the same loss function under torch.compile (inductor); its WARMUP steps
                      (at least 2: forward and backward each compile) are not timed; a failure or
                      a compile past --compile-timeout seconds (default 180: warm-up and
                      timed steps together) is a note, not an error
  written             the attention written out (scores, mask, softmax, @ v): the whole batch
                      when its (B, NH, T, T) matrices fit --memory-gib, and one window at a time
                      with accumulated gradients (written_per_window) always
Variants this torch lacks (1.13 has no SDPA, no torch.compile) are skipped with a note. Each
variant runs WARMUP untimed steps then STEPS steps timed by wall clock: tokens_per_s =
STEPS*BATCH*CONTEXT / seconds (and tokens_per_cpu_s over the process's CPU seconds, all
threads). The fastest by wall clock is the result.

Before timing, the sdpa forward is compared with the written one on the loaded weights (float32,
one window of min(CONTEXT, 128) bytes): check_max_abs_diff; above 1e-3 the sdpa variants are
dropped as not the same model.

Prints one JSON object: tokens_per_s, variant (the fastest), variants {name: {tokens_per_s,
tokens_per_cpu_s, seconds, cpu_seconds, loss, warmup_seconds}}, notes [...], torch (version),
python, threads, steps, batch, context, check_max_abs_diff.
"""
import argparse
import json
import os
import signal
import sys
import time

os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")  # no worker pool on 2 shared cores

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_model as tm  # noqa: E402

ALL_VARIANTS = ("sdpa", "sdpa_compile", "written")


class CompileTimeout(Exception):
    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--context", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--variants", default=",".join(ALL_VARIANTS))
    ap.add_argument("--compile-timeout", type=float, default=180.0)
    ap.add_argument("--memory-gib", type=float, default=4.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    meta, w0 = tm.load(a.model)
    NH, L = int(meta["n_heads"]), int(meta["n_layers"])
    g = torch.Generator().manual_seed(1)
    data = torch.randint(0, 256, (a.batch, a.context), generator=g)
    notes = []
    wanted = [v for v in a.variants.split(",") if v]
    for v in wanted:
        if v not in ALL_VARIANTS:
            print(f"unknown variant {v!r} (known: {', '.join(ALL_VARIANTS)})", file=sys.stderr)
            sys.exit(2)

    # The same model: sdpa's forward against the written one on these weights.
    check = None
    if tm.has_sdpa():
        with torch.no_grad():
            part = data[:1, : min(a.context, 128)]
            check = float((tm.forward_batch(meta, w0, part, "sdpa") - tm.forward_batch(meta, w0, part)).abs().max())
        if check > 1e-3:
            notes.append(f"sdpa differs from the written attention by {check:.3g}: sdpa variants dropped")

    def loss_fn(w, part, attention):
        logp = tm.forward_batch(meta, w, part, attention)  # (micro, T, 256)
        return F.nll_loss(logp.reshape(-1, 256), part.reshape(-1))

    def run(name, attention, micro, compiled=False):
        """Warm-up then timed steps of one variant from fresh weights and a fresh Adam."""
        w = {k: v.clone().requires_grad_(True) for k, v in w0.items()}
        opt = torch.optim.Adam(list(w.values()), lr=1e-3)
        fn = loss_fn
        if compiled:
            fn = torch.compile(loss_fn)

        def step():
            opt.zero_grad()
            total = 0.0
            for b in range(0, a.batch, micro):
                part = data[b : b + micro]
                loss = fn(w, part, attention) * (len(part) / a.batch)
                loss.backward()
                total += float(loss.detach())
            opt.step()
            return total

        t0 = time.perf_counter()
        for _ in range(max(a.warmup, 2 if compiled else 1)):
            step()
        warm = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(a.steps):
            loss = step()
        sec, cpu = time.perf_counter() - t0, time.process_time() - c0
        tokens = a.steps * a.batch * a.context
        return {"tokens_per_s": tokens / sec, "tokens_per_cpu_s": tokens / cpu, "seconds": sec, "cpu_seconds": cpu,
                "loss": loss, "warmup_seconds": warm}

    results = {}
    for v in wanted:
        if v.startswith("sdpa"):
            if not tm.has_sdpa():
                notes.append(f"{v}: torch {torch.__version__} has no F.scaled_dot_product_attention")
                continue
            if check is not None and check > 1e-3:
                continue
        if v == "sdpa":
            results["sdpa"] = run("sdpa", "sdpa", a.batch)
        elif v == "sdpa_compile":
            if not hasattr(torch, "compile"):
                notes.append(f"sdpa_compile: torch {torch.__version__} has no torch.compile")
                continue

            def on_alarm(signum, frame):
                raise CompileTimeout()

            old = signal.signal(signal.SIGALRM, on_alarm)
            signal.alarm(max(1, int(a.compile_timeout)))
            try:
                results["sdpa_compile"] = run("sdpa_compile", "sdpa", a.batch, compiled=True)
            except CompileTimeout:
                notes.append(f"sdpa_compile: not done within {a.compile_timeout:.0f} s (compile and steps), skipped")
            except Exception as e:  # inductor needs a C++ compiler and more; say why it failed
                msg = str(e).strip().splitlines()
                notes.append(f"sdpa_compile failed: {type(e).__name__}: {msg[0][:200] if msg else ''}")
            finally:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, old)
        elif v == "written":
            # autograd keeps ~3 (B, NH, T, T) float matrices a layer for the backward
            need = 3.0 * a.batch * NH * a.context * a.context * 4 * L / 2**30
            if need <= a.memory_gib:
                results["written"] = run("written", "written", a.batch)
            else:
                notes.append(f"written (whole batch): needs ~{need:.1f} GiB of (T, T) matrices, over "
                             f"--memory-gib {a.memory_gib:g}; one window at a time only")
            if a.batch > 1 or "written" not in results:
                results["written_per_window"] = run("written_per_window", "written", 1)
    if not results:
        print(json.dumps({"tokens_per_s": None, "variant": None, "variants": {}, "notes": notes,
                          "torch": torch.__version__, "python": sys.executable}))
        sys.exit(1)
    best = max(results, key=lambda m: results[m]["tokens_per_s"])
    print(json.dumps({"tokens_per_s": results[best]["tokens_per_s"], "variant": best, "variants": results,
                      "notes": notes, "steps": a.steps, "batch": a.batch, "context": a.context,
                      "threads": a.threads, "torch": torch.__version__, "python": sys.executable,
                      "check_max_abs_diff": check}))


if __name__ == "__main__":
    main()
