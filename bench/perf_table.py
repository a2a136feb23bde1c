#!/usr/bin/env python3
"""perf_table.py : docs/performance.md's rows from `lmc bench train --json` outputs.

Usage: python3 bench/perf_table.py RESULT.json...   (one JSON object a file, as the bench prints)

One markdown row a file: config, T, B, lmc tokens/s and MFU, each PyTorch variant's tokens/s, the
PyTorch best and its MFU, both sides' tokens per CPU second (the best wall-clock variant's),
lmc/PyTorch by wall clock and by CPU time, the run's measured peak.
Absolute figures drift with the machine's load; the ratios come from one run each.
"""
import json
import sys

VARIANTS = ("sdpa", "sdpa_compile", "written", "written_per_window")


def fmt(x, digits=0):
    return "-" if x is None else f"{x:,.{digits}f}"


def row(d):
    v = d.get("pytorch_variants") or {}
    cells = [d["config"], str(d["context"]), str(d["batch"]), fmt(d["tokens_per_s"]), fmt(100 * d["mfu"], 2)]
    cells += [fmt(v[k]["tokens_per_s"]) if k in v else "-" for k in VARIANTS]
    tp = d.get("pytorch_tokens_per_s")
    cells += [fmt(tp), fmt(100 * d["pytorch_mfu"], 2) if d.get("pytorch_mfu") else "-"]
    cells += [fmt(d.get("tokens_per_cpu_s")), fmt(d.get("pytorch_tokens_per_cpu_s"))]
    cells += [fmt(d.get("speedup"), 2), fmt(d.get("speedup_cpu"), 2), fmt(d["peak_gflops"])]
    return "| " + " | ".join(cells) + " |"


def main():
    print("| config | T | B | lmc tok/s | lmc MFU % | sdpa | sdpa_compile | written | written_per_window "
          "| PyTorch best | its MFU % | lmc tok/CPU-s | PyTorch tok/CPU-s | lmc/PyTorch (wall) | lmc/PyTorch (CPU) "
          "| peak GFLOP/s |")
    print("|" + "---|" * 16)
    for path in sys.argv[1:]:
        with open(path) as f:
            print(row(json.load(f)))


if __name__ == "__main__":
    main()
