"""MNIST-1D as plain arrays for starlab's Rust loader (crates/training/src/data/mnist1d.rs).

    make_mnist1d.py DIR          generate the published data set into DIR/mnist1d.safetensors
    make_mnist1d.py --checksums  generate it and print the checksums the Rust test compares

The data are the package's own: mnist1d.data.make_dataset(mnist1d.data.get_dataset_args()),
the default arguments (seed 42: 4,000 training and 1,000 test signals of length 40), never
get_dataset, which downloads. The four arrays are stored exactly as the generator makes them
(x float64 N x 40, y int64 N) in one safetensors file, whose metadata names the generator, its
version and arguments; DIR/.mnist1d-version, written last, is ./lab setup's marker.
"""

import hashlib
import json
import os
import platform
import sys
from importlib.metadata import version

# mnist1d imports matplotlib.pyplot (for its plotting helper); no display is needed here.
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import mnist1d.data  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

FILE = "mnist1d.safetensors"
MARKER = ".mnist1d-version"
CALL = "mnist1d.data.make_dataset(mnist1d.data.get_dataset_args())"
# The published data set: what the paper's table was trained and tested on.
EXPECTED = {
    "x_train": (4000, 40),
    "y_train": (4000,),
    "x_test": (1000, 40),
    "y_test": (1000,),
}
# Checksum precision: values are rounded to 1e-4 after the float32 conversion the loader does.
SCALE = 1e4


def generate():
    data = mnist1d.data.make_dataset(mnist1d.data.get_dataset_args())
    arrays = {
        "x_train": np.ascontiguousarray(data["x"], dtype="<f8"),
        "y_train": np.ascontiguousarray(data["y"], dtype="<i8"),
        "x_test": np.ascontiguousarray(data["x_test"], dtype="<f8"),
        "y_test": np.ascontiguousarray(data["y_test"], dtype="<i8"),
    }
    for name, shape in EXPECTED.items():
        if arrays[name].shape != shape:
            sys.exit(f"make_mnist1d: {name} has shape {arrays[name].shape}, not the published "
                     f"{shape}: is mnist1d {version('mnist1d')} the version scripts/setup.sh pins?")
    return arrays


def checksums(arrays):
    """What crates/training/tests/mnist1d.rs computes from the loaded tensors."""
    out = {}
    for name, a in arrays.items():
        if name.startswith("x"):
            # float32 as the loader holds it, widened exactly, scaled, rounded half to even.
            v = np.rint(a.astype(np.float32).astype(np.float64) * SCALE).astype("<i8")
        else:
            v = a.astype("<i8")
        out[name] = {"sum": int(v.sum()), "sha256": hashlib.sha256(v.tobytes()).hexdigest()}
        if name.startswith("y"):
            out[name]["counts"] = [int(c) for c in np.bincount(a, minlength=10)]
    return out


def write(arrays, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    metadata = {
        "generator": "mnist1d",
        "version": version("mnist1d"),
        "call": CALL,
        "args": json.dumps({k: v for k, v in mnist1d.data.get_dataset_args(as_dict=True).items()
                            if k != "url"}),
        "numpy": np.__version__,
        "scipy": version("scipy"),
        "python": platform.python_version(),
    }
    marker = os.path.join(out_dir, MARKER)
    if os.path.exists(marker):
        os.remove(marker)
    # The file appears whole (written aside, then renamed); the marker last says it is done.
    tmp = os.path.join(out_dir, f".tmp-{os.getpid()}-{FILE}")
    save_file(arrays, tmp, metadata=metadata)
    # save_file makes files only the owner can read; give it the mode a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, os.path.join(out_dir, FILE))
    with open(marker, "w") as f:
        f.write(metadata["version"] + "\n")


def main(argv):
    if argv == ["--checksums"]:
        json.dump(checksums(generate()), sys.stdout, indent=2)
        print()
    elif len(argv) == 1 and not argv[0].startswith("-"):
        write(generate(), argv[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
