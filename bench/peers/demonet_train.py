"""PyTorch peer of crates/demonet/examples/bench_train.rs: DemoNet training throughput.

Same model (bench/peers/demonet_model.py), same step: forward in train mode, cross-entropy with
label smoothing 0.1, backward, AdamW (lr 1e-3, wd 0.05 on >= 2-D tensors only, as timm),
on one fixed random batch. Prints one JSON line per width.

  python demonet_train.py --widths 32,64,128 --batch 128 --threads 2 [--device cuda --bf16 --compile]
"""

import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demonet_model import DemoNet, params  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="32,64,128")
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--patch", type=int, default=4)
    ap.add_argument("--img", type=int, default=28)
    ap.add_argument("--in-chans", type=int, default=1)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--mode", default="star")
    ap.add_argument("--bf16", action="store_true", help="torch.autocast(bfloat16)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    for width in [int(w) for w in a.widths.split(",")]:
        torch.manual_seed(0)
        model = DemoNet(width=width, depth=a.depth, patch=a.patch, in_chans=a.in_chans,
                        num_classes=a.classes, mode=a.mode).to(dev)
        decay = [p for p in model.parameters() if p.ndim > 1]
        no_decay = [p for p in model.parameters() if p.ndim <= 1]
        opt_kw = {"fused": True} if dev.type == "cuda" else {}
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, **opt_kw)
        fwd = torch.compile(model) if a.compile else model
        x = torch.randn(a.batch, a.in_chans, a.img, a.img, device=dev)
        y = torch.randint(0, a.classes, (a.batch,), device=dev)
        model.train()

        def step():
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.bf16):
                logits = fwd(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss

        for _ in range(a.warmup):
            step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(a.steps):
            loss = step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        s = time.perf_counter() - t0
        ips = a.batch * a.steps / s
        impl = "torch.compile" if a.compile else "torch-eager"
        print(json.dumps({"impl": impl, "width": width, "batch": a.batch, "steps": a.steps,
                          "img_per_s": round(ips, 1), "batches_per_s": round(ips / a.batch, 2),
                          "params": params(model), "loss": round(loss.item(), 4),
                          "threads": torch.get_num_threads(), "torch": torch.__version__,
                          "cpu_capability": torch.backends.cpu.get_cpu_capability()}), flush=True)


if __name__ == "__main__":
    main()
