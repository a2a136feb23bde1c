#!/usr/bin/python3
"""safetensors_interop.py : lmc's float models work in the Python ecosystem as they are.

Proves: models/200k.safetensors (the built-in default, a real trained model) loads with the
`safetensors` package from PyPI (`safetensors.numpy.load_file`, metadata through `safe_open`),
into exactly the arrays lmc's own file layout holds (compared with test/model/torch_check.py's
independent parser, bit for bit); the PyTorch model of bench/torch_model.py built from those
arrays gives, in float32, the same log-probabilities as lmc's forward (test/model/model_tool.c,
the cpu-ref float path) on real or generated text: max |lmc - torch| <= TOL. And the other way:
a file written by `safetensors.numpy.save_file` loads in lmc.
Negative control: one tensor perturbed (out.b, the output bias, +0.05 on one byte's logit),
saved with save_file, must move lmc's log-probabilities by more than TOL, PyTorch on the
perturbed arrays must follow it within TOL, and the unperturbed lmc must differ from the
perturbed PyTorch by more than TOL: the comparison can fail, and both sides read the same
changed file.

Interpreter: Debian's python3 has torch and numpy but no safetensors (no Debian package;
PEP 668 blocks pip there), so scripts/install-deps.sh puts it in a venv that sees the system
packages: $LMC_PY_VENV, else ${XDG_CACHE_HOME:-~/.cache}/lmc/venv. Started by any python3, this
script re-executes itself with that venv's interpreter when its own lacks safetensors. When
neither has it: exit 77 (ctest: skipped) with a message, or fail under CI (CI set), where
install-deps.sh must have installed it.

Run: python3 safetensors_interop.py --tool BUILD/test/model/model_tool --model models/200k.safetensors
"""
import argparse
import os
import subprocess
import sys
import tempfile

SKIP = 77
# Float32 on both sides: on the trained 200k model (log-probabilities down to about -33) each of
# lmc and PyTorch lands about 1e-4 from a float64 forward (float32's spacing at 32 is 4e-6, and
# four layers add up), so they agree to about 1.5e-4; TOL leaves ten times that, and is still
# 50 times below what the negative control's 0.05 bias bump moves.
TOL = 1e-3


def venv_python():
    venv = os.environ.get("LMC_PY_VENV") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "lmc", "venv")
    return os.path.join(venv, "bin", "python3")


def ensure_safetensors():
    try:
        import safetensors  # noqa: F401
        return
    except ImportError:
        pass
    py = venv_python()
    if os.environ.get("LMC_INTEROP_REEXEC") != "1" and os.access(py, os.X_OK):
        os.environ["LMC_INTEROP_REEXEC"] = "1"
        os.execv(py, [py] + sys.argv)
    msg = (f"the Python package 'safetensors' is absent from {sys.executable} and from {py}: "
           "run scripts/install-deps.sh (it makes that venv)")
    if os.environ.get("CI", "") not in ("", "0", "false"):
        print("FAIL (CI):", msg)
        sys.exit(1)
    print("SKIP:", msg)
    sys.exit(SKIP)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True, help="model_tool (test/model/model_tool.c)")
    ap.add_argument("--model", required=True, help="an lmc-float-1 safetensors file")
    ap.add_argument("--data-dir", default="", help="corpora folder; $LMC_DATA_DIR wins when set")
    args = ap.parse_args()
    ensure_safetensors()

    import numpy as np
    import safetensors
    import safetensors.numpy
    import torch

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    sys.path.insert(0, os.path.join(here, "..", "..", "bench"))
    import torch_check as tc
    import torch_model as tm

    torch.set_num_threads(1)
    print(f"safetensors {safetensors.__version__} ({safetensors.__file__}), torch {torch.__version__}, "
          f"numpy {np.__version__}, python {sys.executable}")
    ok = True

    def check(cond, what):
        nonlocal ok
        if not cond:
            print("FAIL:", what)
            ok = False

    arrays = safetensors.numpy.load_file(args.model)
    with safetensors.safe_open(args.model, framework="np") as f:
        meta = f.metadata()
    check(meta.get("format") == "lmc-float-1", f"metadata {meta}")
    print(f"{args.model}: {len(arrays)} tensors, metadata {meta}")

    # The same arrays as lmc's layout, read by an independent parser.
    meta2, w64 = tc.load_safetensors(args.model)
    check(meta2 == meta, "metadata differs from torch_check's parser")
    check(sorted(arrays) == sorted(w64), "tensor names differ from torch_check's parser")
    for name, a in arrays.items():
        check(a.dtype == np.float32, f"{name}: dtype {a.dtype}")
        check(np.array_equal(a.astype(np.float64), w64[name].numpy()), f"{name}: values differ")

    def torch_logprobs(arrs, data):
        w = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrs.items()}
        t = torch.tensor(list(data), dtype=torch.long)[None, :]
        with torch.no_grad():
            return tm.forward_batch(meta, w, t)[0].numpy().astype(np.float64)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = os.environ.get("LMC_DATA_DIR") or args.data_dir
        src, size, kind = tc.text_source(data_dir if os.path.isdir(data_dir or "") else "", tmp)
        print(f"text: {kind} ({src})")

        def lmc_logprobs(model, offset, T):
            out = os.path.join(tmp, "lp.f32")
            subprocess.run([args.tool, "logprobs", model, src, str(offset), str(T), out], check=True)
            return np.fromfile(out, dtype="<f4").astype(np.float64).reshape(T, 256)

        # The negative control's model, written by safetensors itself.
        bumped = {k: v.copy() for k, v in arrays.items()}
        bumped["out.b"][ord("e")] += 0.05
        bumped_path = os.path.join(tmp, "bumped.safetensors")
        safetensors.numpy.save_file(bumped, bumped_path, metadata=meta)

        T = 256
        for j, offset in enumerate((0, size // 2 - T)):
            with open(src, "rb") as f:
                f.seek(offset)
                data = f.read(T)
            ours = lmc_logprobs(args.model, offset, T)
            ref = torch_logprobs(arrays, data)
            diff = float(np.abs(ours - ref).max())
            spread = float((ref.max(-1) - ref.min(-1)).mean())
            ours_b = lmc_logprobs(bumped_path, offset, T)
            moved = float(np.abs(ours_b - ours).max())
            ref_b = torch_logprobs(bumped, data)
            diff_b = float(np.abs(ours_b - ref_b).max())
            cross = float(np.abs(ours - ref_b).max())
            print(f"window {j} (T={T}): max |lmc - torch| = {diff:.3g} (tolerance {TOL}), mean spread {spread:.3g}; "
                  f"perturbed model: lmc moved {moved:.3g}, max |lmc - torch| = {diff_b:.3g}, "
                  f"unperturbed lmc vs perturbed torch {cross:.3g}")
            check(diff <= TOL, "lmc's and PyTorch's log-probabilities disagree")
            check(moved > TOL, "negative control: a perturbed out.b did not move lmc's log-probabilities")
            check(cross > TOL, "negative control: the comparison did not see a perturbed model")
            check(diff_b <= TOL, "on the file save_file wrote, lmc and PyTorch disagree")
    print("safetensors_interop:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
