"""Fixture for crates/demonet/tests/reference_parity.rs.

usage: demonet_parity.py OUT.safetensors
Writes a small random DemoNet's state dict, an input batch `__input`, its eval-mode logits
`__logits` (per mode), and as metadata the parameter counts of the paper's width-96 and
width-288 ImageNet models and the state-dict names and shapes of the width-96 one.
"""

import json
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, __import__("os").path.dirname(__file__))
from demonet_model import DemoNet, params  # noqa: E402

torch.manual_seed(0)
out = {}
x = torch.randn(3, 2, 20, 20)
out["__input"] = x
for mode in ["sum", "star", "star_both", "star_after"]:
    torch.manual_seed(1)
    m = DemoNet(width=12, depth=3, patch=4, in_chans=2, num_classes=7, mode=mode, act="gelu",
                layer_scale_init=0.5).eval()
    # perturb the zero-initialised biases and unit norms so that they matter in the comparison
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("bias") or "norm" in name:
                p.add_(0.1 * torch.randn_like(p))
    for k, v in m.state_dict().items():
        out[f"{mode}/{k}"] = v.contiguous()
    out[f"{mode}/__logits"] = m(x).detach()

ref96 = DemoNet(width=96)
meta = {
    "params_w96": str(params(ref96)),
    "params_w288": str(params(DemoNet(width=288))),
    "shapes_w96": json.dumps({k: list(v.shape) for k, v in ref96.state_dict().items()}),
}
save_file(out, sys.argv[1], metadata=meta)
