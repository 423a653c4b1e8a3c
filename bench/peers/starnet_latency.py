#!/usr/bin/env python3
"""Batch-1 CPU latency of timm's StarNet in PyTorch eager and in ONNX Runtime (the paper's runtime),
with the paper's protocol: warm-up runs, then the mean of timed runs. One JSON object per line,
the same fields as crates/starnet/examples/starnet_latency.rs; bench/starnet_latency.sh runs both.

Mode `sum` patches timm's Block.forward to act(x1) + x2 (the paper's Table 8 baseline); ONNX
Runtime gets the graph exported from that eager model (it folds BN into the convs itself).
Installs onnx + onnxruntime into this Python environment if they are missing.
"""
import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import types

import timm
import torch


def ensure_onnxruntime():
    try:
        importlib.import_module("onnxruntime")
        importlib.import_module("onnx")
    except ImportError:
        print("installing onnx + onnxruntime into", sys.prefix, file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "onnx", "onnxruntime"], check=True)
    import onnxruntime
    return onnxruntime


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="s050,s1,s4")
    ap.add_argument("--modes", default="star")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--img", type=int, default=224)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--no-onnx", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    ort = None if a.no_onnx else ensure_onnxruntime()
    x = torch.randn(1, 3, a.img, a.img)
    tmp = tempfile.mkdtemp(prefix="starnet_onnx_")
    for short in a.models.split(","):
        name = short if short.startswith("starnet_") else f"starnet_{short}"
        for mode in a.modes.split(","):
            model = build(name, mode)
            common = {"model": name, "mode": mode, "threads": a.threads, "img": a.img,
                      "warmup": a.warmup, "runs": a.runs}
            with torch.inference_mode():
                ms = mean_ms(lambda: model(x), a.warmup, a.runs)
            print(json.dumps({"impl": "timm eager", **common, "mean_ms": ms}), flush=True)
            if ort is None:
                continue
            path = os.path.join(tmp, f"{name}_{mode}.onnx")
            with torch.no_grad():
                torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["logits"],
                                  opset_version=17, dynamo=False)
            so = ort.SessionOptions()
            so.intra_op_num_threads = a.threads
            so.inter_op_num_threads = 1
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            feed = {"x": x.numpy()}
            ms = mean_ms(lambda: sess.run(None, feed), a.warmup, a.runs)
            print(json.dumps({"impl": "onnxruntime", **common, "mean_ms": ms}), flush=True)


if __name__ == "__main__":
    main()
