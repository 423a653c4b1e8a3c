#!/usr/bin/env python3
"""Batch-1 CPU latency of timm's StarNet in PyTorch eager and in ONNX Runtime (the paper's runtime),
with the paper's protocol: warm-up runs, then the mean of timed runs. One JSON object per line,
the same fields as crates/starnet/examples/starnet_latency.rs; bench/starnet_latency.sh runs both.

  starnet_latency.py --prepare DIR [--models s1 --modes star,sum]
      writes, per model and mode, the weights timm's eager model has (seed 0) as
      DIR/<model>_<mode>.safetensors and timm's own torch.onnx.export of that model as
      DIR/<model>_<mode>_timm.onnx (opset 17), so our Rust export can be made from the same weights.
  starnet_latency.py --models s1 --modes star [--eager] [--onnx FILE:LABEL ...] [--profile]
      times timm eager (with --eager) and ONNX Runtime on each FILE (every graph optimisation on).

Mode `sum` patches timm's Block.forward to act(x1) + x2 (the paper's Table 8 baseline); ONNX
Runtime gets the graph exported from that eager model (it folds BN into the convs itself).
onnx and onnxruntime come from ./lab setup (pinned in scripts/setup.sh).
"""
import argparse
import collections
import json
import os
import time
import types
import warnings

import timm
import torch


def sum_forward(self, x):
    residual = x
    x = self.dwconv(x)
    x = self.act(self.f1(x)) + self.f2(x)
    x = self.dwconv2(self.g(x))
    return residual + self.drop_path(x)


def build(name, mode):
    torch.manual_seed(0)
    model = timm.create_model(name).eval()
    if mode == "sum":
        for m in model.modules():
            if type(m).__name__ == "Block":
                m.forward = types.MethodType(sum_forward, m)
    elif mode != "star":
        raise SystemExit(f"mode {mode}: this script knows star and sum")
    return model


def mean_ms(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    for _ in range(runs):
        fn()
    return (time.perf_counter() - t0) * 1e3 / runs


def prepare(a, names):
    from safetensors.torch import save_file
    # The legacy TorchScript exporter is the one timm's docs and the paper's era use.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    os.makedirs(a.prepare, exist_ok=True)
    x = torch.randn(1, 3, a.img, a.img)
    for name in names:
        for mode in a.modes.split(","):
            model = build(name, mode)
            base = os.path.join(a.prepare, f"{name}_{mode}")
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, base + ".safetensors")
            with torch.no_grad():
                torch.onnx.export(model, (x,), base + "_timm.onnx", input_names=["input"],
                                  output_names=["logits"], opset_version=17, dynamo=False)


def profile_summary(path):
    """ONNX Runtime's profile: milliseconds per op type per run (node events only)."""
    per_op, runs = collections.Counter(), 0
    for e in json.load(open(path)):
        if e.get("cat") == "Session" and e.get("name") == "model_run":
            runs += 1
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            per_op[e["args"].get("op_name", "?")] += e["dur"] / 1e3
    return {op: round(ms / max(runs, 1), 4) for op, ms in per_op.most_common()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="s050,s1,s4")
    ap.add_argument("--modes", default="star")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--img", type=int, default=224)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--prepare", metavar="DIR")
    ap.add_argument("--eager", action="store_true", help="time timm eager")
    ap.add_argument("--onnx", action="append", default=[], metavar="FILE:LABEL",
                    help="time ONNX Runtime on FILE, reported as LABEL")
    ap.add_argument("--profile", action="store_true", help="print ORT's time per op type (stderr)")
    ap.add_argument("--summarize-profile", metavar="JSON", help="print an ORT profile's time per op type")
    a = ap.parse_args()
    if a.summarize_profile:
        print(json.dumps(profile_summary(a.summarize_profile)))
        return
    names = [s if s.startswith("starnet_") else f"starnet_{s}" for s in a.models.split(",")]
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    if a.prepare:
        prepare(a, names)
        return
    x = torch.randn(1, 3, a.img, a.img)
    for name in names:
        for mode in a.modes.split(","):
            common = {"model": name, "mode": mode, "threads": a.threads, "img": a.img,
                      "warmup": a.warmup, "runs": a.runs}
            if a.eager:
                model = build(name, mode)
                with torch.inference_mode():
                    ms = mean_ms(lambda: model(x), a.warmup, a.runs)
                print(json.dumps({"impl": "timm eager", **common, "mean_ms": ms}), flush=True)
            for spec in a.onnx:
                import onnxruntime as ort
                path, label = spec.split(":", 1)
                so = ort.SessionOptions()
                so.intra_op_num_threads = a.threads
                so.inter_op_num_threads = 1
                so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                if a.profile:
                    so.enable_profiling = True
                    so.profile_file_prefix = os.path.splitext(path)[0] + "_py"
                sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
                feed = {sess.get_inputs()[0].name: x.numpy()}
                ms = mean_ms(lambda: sess.run(None, feed), a.warmup, a.runs)
                print(json.dumps({"impl": label, **common, "mean_ms": ms}), flush=True)
                if a.profile:
                    prof = sess.end_profiling()
                    print(json.dumps({"profile": label, "model": name, "mode": mode,
                                      "ms_per_op": profile_summary(prof)}), file=os.sys.stderr)


if __name__ == "__main__":
    main()
