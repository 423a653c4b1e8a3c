#!/usr/bin/env python3
"""Reference data for crates/starnet's parity tests, produced by timm itself.

    $STARLAB_PYTHON scripts/starnet_fixtures.py OUT_DIR          # all fixtures (about 1 min on 2 cores)
    $STARLAB_PYTHON scripts/starnet_fixtures.py --class-names F  # ImageNet class list for the crate

For every StarNet variant: a seeded random init with *randomised* BatchNorm weights, biases and
running statistics (so BN folding and eval-mode BN are really exercised) and conv weights scaled to
keep activations O(1), in eval mode. Written to OUT_DIR:
  <case>.safetensors     the state dict (timm's names, num_batches_tracked included, as timm saves it)
  <case>_io.safetensors  `input` (seeded batch) and `logits` (timm's eval output, fp32)
  preprocess.png, preprocess.jpg and preprocess.safetensors
                         a deterministic test image and timm's eval transform of it (PIL bicubic
                         resize to 256, center crop 224, ImageNet mean/std) for each file
  manifest.json          versions, per case: timm's parameter count, MACs per image from
                         torch.utils.flop_counter (FLOPs / 2) and the config; written last, so a
                         folder without it is incomplete.
The Rust tests run this script when manifest.json is missing or has another FIXTURE_VERSION.
"""
import argparse
import json
import math
import os
import shutil
import sys
import tempfile

FIXTURE_VERSION = 1
SEED = 20240229
# Residual branches (dwconv2, the last conv of a block) start small, as in a trained net: a star
# block is quadratic in its input, so O(1) branches compound to 1e5-size logits in S4.
DWCONV2_GAIN = 0.2

try:
    import numpy as np
    import timm
    import torch
    import torch.nn as nn
    from PIL import Image
    from safetensors.torch import save_file
    from timm.data import create_transform, resolve_data_config
    from torch.utils.flop_counter import FlopCounterMode
except ImportError as e:  # the Rust test shows this message
    sys.exit(f"starnet_fixtures.py needs torch, timm, numpy, pillow and safetensors ({e}); run `./lab setup`")

# (case name, timm model, timm kwargs, input shape, our config overrides)
CASES = [
    ("starnet_s050", "starnet_s050", {}, (2, 3, 224, 224), {}),
    ("starnet_s100", "starnet_s100", {}, (2, 3, 224, 224), {}),
    ("starnet_s150", "starnet_s150", {}, (2, 3, 224, 224), {}),
    ("starnet_s1", "starnet_s1", {}, (2, 3, 224, 224), {}),
    ("starnet_s2", "starnet_s2", {}, (2, 3, 224, 224), {}),
    ("starnet_s3", "starnet_s3", {}, (2, 3, 224, 224), {}),
    ("starnet_s4", "starnet_s4", {}, (2, 3, 224, 224), {}),
    # Other knobs: GELU everywhere (timm's act_layer), 1 input channel, 10 classes, an odd size
    # whose feature maps are not multiples of 2 (97 -> 49 -> 25 -> 13 -> 7 -> 4).
    ("s050_gelu_1ch_odd", "starnet_s050", {"act_layer": "gelu", "in_chans": 1, "num_classes": 10},
     (2, 1, 97, 131), {"act": "gelu", "stem_act": "gelu", "in_chans": 1, "num_classes": 10}),
]


def randomise(model, gen, shape):
    """Weights that make a parity test meaningful: BN far from identity, activations O(1).

    Convs and the classifier get std 1/sqrt(fan_in) and random biases. BN running statistics are
    first calibrated on a random batch (momentum 1, train mode), then perturbed, and BN weights and
    biases drawn at random: each BN is then clearly not the identity, yet activations stay O(1)
    (with arbitrary running stats the star's products blow the logits up to 1e8 in S4).
    """
    dw2 = {m.dwconv2.conv for m in model.modules() if hasattr(m, "dwconv2")}
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.normal_(0.0, (DWCONV2_GAIN if m in dw2 else 1.0) / math.sqrt(fan_in), generator=gen)
                m.bias.uniform_(-0.1, 0.1, generator=gen)
            elif isinstance(m, nn.Linear):
                m.weight.normal_(0.0, 1.0 / math.sqrt(m.in_features), generator=gen)
                m.bias.uniform_(-0.1, 0.1, generator=gen)
        bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        for m in bns:
            m.weight.uniform_(0.5, 1.5, generator=gen)
            m.bias.normal_(0.0, 0.2, generator=gen)
            m.momentum = 1.0
        model.train()
        model(torch.randn((4,) + tuple(shape[1:]), generator=gen))
        model.eval()
        for m in bns:
            m.momentum = 0.1
            std = m.running_var.sqrt()
            m.running_mean.add_(0.2 * std * torch.randn(m.running_mean.shape, generator=gen))
            m.running_var.mul_(torch.empty(m.running_var.shape).uniform_(0.7, 1.4, generator=gen))
            m.num_batches_tracked.fill_(1000)


def macs_per_image(model, shape):
    x = torch.zeros((1,) + tuple(shape[1:]))
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() // 2


def test_image():
    """A deterministic 300 x 400 (w x h) RGB image: smooth gradients, sharp shapes, mild noise."""
    rng = np.random.default_rng(SEED)
    h, w = 400, 300
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(xx / 23.0) * np.cos(yy / 31.0)
    g = 255 * xx / w
    b = 255 * (1 - yy / h)
    img = np.stack([r, g, b], -1)
    img[(xx - 150) ** 2 + (yy - 200) ** 2 < 60 ** 2] = [250, 240, 20]
    img[50:120, 30:90] = [10, 20, 200]
    img[300:310, :] = [0, 0, 0]
    img += rng.normal(0, 8, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).round().astype(np.uint8), "RGB")


def write_preprocess(out):
    model = timm.create_model("starnet_s1")
    transform = create_transform(**resolve_data_config({}, model=model))
    img = test_image()
    tensors = {}
    for ext in ("png", "jpg"):
        path = os.path.join(out, f"preprocess.{ext}")
        img.save(path, quality=95) if ext == "jpg" else img.save(path)
        with Image.open(path) as f:  # exactly as timm's loader: decode, convert to RGB
            tensors[ext] = transform(f.convert("RGB")).contiguous()
    save_file(tensors, os.path.join(out, "preprocess.safetensors"))
    return {"transform": str(transform), "image_wh": list(img.size)}


def write_cases(out):
    cases = {}
    for i, (case, timm_name, kwargs, shape, overrides) in enumerate(CASES):
        kwargs = dict(kwargs)
        if kwargs.get("act_layer") == "gelu":
            kwargs["act_layer"] = nn.GELU
        torch.manual_seed(SEED + i)
        model = timm.create_model(timm_name, **kwargs).eval()
        gen = torch.Generator().manual_seed(SEED + 100 + i)
        randomise(model, gen, shape)
        x = torch.randn(shape, generator=gen)
        with torch.no_grad():
            logits = model(x).contiguous()
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_file(state, os.path.join(out, f"{case}.safetensors"))
        save_file({"input": x, "logits": logits}, os.path.join(out, f"{case}_io.safetensors"))
        cases[case] = {
            "timm_model": timm_name,
            "config": {"variant": timm_name, **overrides},
            "input_shape": list(shape),
            "params": sum(p.numel() for p in model.parameters()),
            "macs": macs_per_image(model, shape),
            "logits_abs_max": logits.abs().max().item(),
            "logits_std": logits.std().item(),
        }
        print(f"{case}: params {cases[case]['params']}, |logits| max {cases[case]['logits_abs_max']:.3f}",
              file=sys.stderr)
    return cases


def write_class_names(path):
    from timm.data import ImageNetInfo
    info = ImageNetInfo("imagenet-1k")
    with open(path, "w") as f:
        f.write(f"# ImageNet-1k classes in timm's index order: synset<TAB>lemmas (timm {timm.__version__},\n")
        f.write("# timm/data/_info, written by scripts/starnet_fixtures.py --class-names)\n")
        for i in range(info.num_classes()):
            f.write(f"{info.index_to_label_name(i)}\t{info.index_to_description(i)}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", help="fixtures folder (replaced atomically)")
    ap.add_argument("--class-names", help="write the ImageNet class list to this file and exit")
    args = ap.parse_args()
    if args.class_names:
        write_class_names(args.class_names)
        return
    if not args.out:
        ap.error("give OUT_DIR or --class-names")
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".starnet_fixtures_", dir=os.path.dirname(out))
    try:
        manifest = {
            "version": FIXTURE_VERSION,
            "torch": torch.__version__,
            "timm": timm.__version__,
            "seed": SEED,
            "cases": write_cases(tmp),
            "preprocess": write_preprocess(tmp),
        }
        with open(os.path.join(tmp, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
        # Another test process may have finished first; keep whichever complete folder exists.
        if os.path.exists(os.path.join(out, "manifest.json")):
            with open(os.path.join(out, "manifest.json")) as f:
                if json.load(f).get("version") == FIXTURE_VERSION:
                    return
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(tmp, out)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
