"""DemoNet in plain PyTorch, written from the paper's description and the reference code's layout
(github.com/ma-xu/Rewrite-the-Stars, imagenet/demonet.py), with the same state-dict names.

Used by the Rust tests (parameter counts, state-dict names, forward parity) and by the CPU/GPU
benchmarks as the PyTorch peer. Modes: sum, star ("mul" in the reference), star_both, star_after.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

ACTS = {
    "gelu": nn.GELU,
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "leaky_relu": nn.LeakyReLU,
    "hardswish": nn.Hardswish,
    "none": nn.Identity,
}


def drop_path(x, rate, training):
    if rate == 0.0 or not training:
        return x
    keep = 1.0 - rate
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask / keep


class Block(nn.Module):
    def __init__(self, dim, mode="star", act="gelu", layer_scale_init=1e-6, drop_path=0.0):
        super().__init__()
        self.mode, self.rate = mode, drop_path
        self.norm = nn.LayerNorm(dim)
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.f = nn.Linear(dim, 6 * dim)
        self.act = ACTS[act]()
        self.g = nn.Linear(3 * dim, dim)
        if layer_scale_init > 0:
            self.gamma = nn.Parameter(torch.full((dim,), float(layer_scale_init)))
        else:
            self.gamma = None

    def merge(self, a, b):
        if self.mode == "sum":
            return self.act(a) + b
        if self.mode in ("star", "mul"):
            return self.act(a) * b
        if self.mode == "star_both":
            return self.act(a) * self.act(b)
        if self.mode == "star_after":
            return self.act(a * b)
        raise ValueError(self.mode)

    def forward(self, x):  # x: B H W C
        y = self.norm(x)
        y = self.dwconv(y.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        a, b = self.f(y).chunk(2, dim=-1)
        y = self.g(self.merge(a, b))
        if self.gamma is not None:
            y = self.gamma * y
        return x + drop_path(y, self.rate, self.training)


class DemoNet(nn.Module):
    def __init__(self, width=192, depth=12, patch=16, in_chans=3, num_classes=1000, mode="star",
                 act="gelu", layer_scale_init=1e-6, drop_path=0.0):
        super().__init__()
        self.stem = nn.Conv2d(in_chans, width, patch, stride=patch)
        rates = torch.linspace(0, drop_path, depth).tolist()
        self.blocks = nn.Sequential(*[Block(width, mode, act, layer_scale_init, r) for r in rates])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.stem(x).permute(0, 2, 3, 1)
        x = self.blocks(x)
        return self.head(self.norm(x.mean((1, 2))))


def params(model):
    return sum(p.numel() for p in model.parameters())
