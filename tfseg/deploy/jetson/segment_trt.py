#!/usr/bin/env python3
"""Standalone TensorRT runner for a tfseg Jetson bundle (Jetson TX1/TX2, JetPack 4.6.x).

    python3 segment_trt.py build --bundle=DIR [--fp32] [--workspace_mb=1024] [--trtexec]
    python3 segment_trt.py run   --bundle=DIR --input=IMAGE|FOLDER|VIDEO|/dev/videoN|csi --out=DIR
    python3 segment_trt.py bench --bundle=DIR [--warmup=50] [--iterations=500] [--power=auto]
    python3 segment_trt.py check --bundle=DIR [--min_agreement=0.99]

`--engine=PATH` defaults to DIR/model.engine. The bundle is written by tfseg's exporter:
DIR/export.json describes the ONNX model (float32 NHWC pixels 0..255 in, NHWC logits out; the
normalization is inside the network), the class palette, the file checksums and reference
inputs with the Keras outputs.

This file runs on Python 3.6 (JetPack 4.6's python3) and needs only the standard library, numpy,
OpenCV (cv2) and, for the engine, TensorRT's Python bindings and pycuda. It never imports tfseg or
TensorFlow: copy it next to a bundle and run it on the board. The parts that do not touch the GPU
(argument parsing, bundle checks, pre/post-processing, power rails, tegrastats parsing, energy and
percentile maths, the result row) are plain functions, tested without TensorRT.

Exit codes: 0 ok; 1 an error that the message explains (bad bundle, engine, input or output
directory; `check` below --min_agreement); 2 bad command line; 3 TensorRT/pycuda/CUDA missing.
"""

import argparse
import ast
import collections
import glob
import hashlib
import json
import math
import os
import platform
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

try:  # numpy is needed for images and engines, not for the stdlib-only parts
    import numpy as np
except ImportError:  # pragma: no cover - exercised under a bare Python 3.6
    np = None

__version__ = "1.0"

PROG = "segment_trt"
EXIT_ERROR = 1
EXIT_NO_TENSORRT = 3

# One benchmark result row: the same tuple lives in tfseg's benchmark package (a test compares).
RESULT_FIELDS = (
    "schema_version",
    "date",
    "git_commit",
    "device",
    "cpu",
    "gpu",
    "runtime",
    "precision",
    "model",
    "encoder",
    "decoder",
    "num_classes",
    "height",
    "width",
    "batch_size",
    "timed",
    "warmup",
    "iterations",
    "latency_ms_mean",
    "latency_ms_p50",
    "latency_ms_p90",
    "latency_ms_p99",
    "fps",
    "gflops",
    "gflops_per_s",
    "peak_host_memory_mb",
    "peak_gpu_memory_mb",
    "power_source",
    "power_w_mean",
    "energy_mj_per_frame",
    "energy_images",
    "energy_wh",
    "argmax_agreement",
    "max_abs_logit_diff",
    "threads",
    "versions",
    "notes",
)
SCHEMA_VERSION = 1

NO_TENSORRT = (
    "TensorRT Python bindings not found: this runs on a Jetson with JetPack 4.6 "
    "(sudo apt install python3-libnvinfer), or on a machine with TensorRT 8.x and its Python "
    "bindings for this Python ({})"
)
NO_PYCUDA = (
    "pycuda not found: it allocates the engine's GPU buffers; on the Jetson: "
    "export PATH=/usr/local/cuda/bin:$PATH && pip3 install --user 'pycuda<2022.2' (see README.md)"
)

DEFAULT_ENGINE_NAME = "model.engine"
DEFAULT_RESULTS_NAME = "results.jsonl"
PAPER_ENERGY_IMAGES = 1525  # the seed paper's energy figure: 1525 test images (Table 13)
TRTEXEC_DEFAULT = "/usr/src/tensorrt/bin/trtexec"
INA3221_ROOT = "/sys/bus/i2c/drivers/ina3221x"
# iio:deviceN on L4T 32 (JetPack 4.x); iio_device on older L4T 28 kernels.
INA3221_DEVICE_GLOBS = ("*/iio:device*", "*/iio_device")
# The "whole board" rails (energymon's definition on TX1/TX2: module input plus the carrier's
# VDD_MUX); POM_5V_IN is the Nano's module input. The first group found is used.
BOARD_TOTAL_RAILS = (("VDD_IN", "VDD_MUX"), ("POM_5V_IN",))
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")
# JetPack release for an L4T release (used only when dpkg has no nvidia-jetpack package).
L4T_TO_JETPACK = {
    "32.6.1": "4.6",
    "32.7.1": "4.6.1",
    "32.7.2": "4.6.2",
    "32.7.3": "4.6.3",
    "32.7.4": "4.6.4",
    "32.7.5": "4.6.5",
    "32.7.6": "4.6.6",
}
ARM_CPU_PARTS = {
    ("0x41", "0xd03"): "Cortex-A53",
    ("0x41", "0xd04"): "Cortex-A35",
    ("0x41", "0xd07"): "Cortex-A57",
    ("0x41", "0xd08"): "Cortex-A72",
    ("0x4e", "0x003"): "Denver2",
    ("0x4e", "0x004"): "Carmel",
}


class RunnerError(Exception):
    """A problem the user can fix: printed as one line, exit code `exit_code`."""

    def __init__(self, message, exit_code=EXIT_ERROR):
        super().__init__(message)
        self.exit_code = exit_code


class BundleError(RunnerError):
    """export.json does not describe the files next to it."""


class NoTensorRT(RunnerError):
    def __init__(self, message):
        super().__init__(message, EXIT_NO_TENSORRT)


def one_line(text):
    """Collapse a (possibly multi-line) message to one line."""
    return " ".join(str(text).split())


# ---- command line ---------------------------------------------------------------------------


def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Build, run, benchmark and check a TensorRT engine for a tfseg Jetson bundle.",
    )
    parser.add_argument("--version", action="version", version="%(prog)s " + __version__)
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True  # Python 3.6's add_subparsers() has no required= argument

    def common(sub):
        sub.add_argument("--bundle", required=True, help="the bundle folder (has export.json)")
        sub.add_argument(
            "--engine",
            default=None,
            help=f"serialized engine (default: BUNDLE/{DEFAULT_ENGINE_NAME})",
        )

    build = commands.add_parser("build", help="ONNX -> serialized TensorRT engine")
    common(build)
    build.add_argument(
        "--fp32", action="store_true", help="build FP32 (default: FP16 where the GPU has fast FP16)"
    )
    build.add_argument(
        "--workspace_mb", type=positive_int, default=1024, help="builder workspace, MiB"
    )
    build.add_argument(
        "--trtexec", action="store_true", help="build with trtexec instead of the Python API"
    )
    build.add_argument(
        "--trtexec_path",
        default=None,
        help=f"trtexec binary (default: {TRTEXEC_DEFAULT}, then PATH)",
    )

    run = commands.add_parser("run", help="segment images, a folder, a video or a camera")
    common(run)
    run.add_argument(
        "--input",
        required=True,
        help="IMAGE, FOLDER, VIDEO, /dev/videoN, 'csi' (nvarguscamerasrc) or a GStreamer pipeline",
    )
    run.add_argument("--out", required=True, help="output folder")
    run.add_argument("--alpha", type=unit_float, default=0.5, help="overlay opacity, 0..1")
    run.add_argument(
        "--display",
        choices=("auto", "yes", "no"),
        default="auto",
        help="show the camera/video overlay (auto: when $DISPLAY is set)",
    )
    run.add_argument(
        "--max_frames", type=non_negative_int, default=0, help="stop after N frames (0: all)"
    )
    run.add_argument(
        "--record", action="store_true", help="camera: also write OUT/camera_overlay.mp4"
    )
    run.add_argument(
        "--save_frame_ids",
        action="store_true",
        help="video/camera: also write a class-id PNG per frame",
    )
    run.add_argument("--sensor_id", type=non_negative_int, default=0, help="CSI camera sensor")
    run.add_argument("--csi_width", type=positive_int, default=1280)
    run.add_argument("--csi_height", type=positive_int, default=720)
    run.add_argument("--csi_fps", type=positive_int, default=30)
    run.add_argument(
        "--flip_method", type=non_negative_int, default=0, help="nvvidconv flip-method, 0..7"
    )

    bench = commands.add_parser("bench", help="latency, FPS and power; appends a JSON row")
    common(bench)
    bench.add_argument("--warmup", type=non_negative_int, default=50)
    bench.add_argument("--iterations", type=positive_int, default=500)
    bench.add_argument(
        "--power",
        choices=("auto", "ina3221", "tegrastats", "none"),
        default="auto",
        help="power source (auto: INA3221 sysfs rails, else tegrastats, else none)",
    )
    bench.add_argument(
        "--power_interval_ms", type=positive_int, default=50, help="power sampling period"
    )
    bench.add_argument(
        "--frame",
        default=None,
        help="image timed end to end (default: the bundle's first reference image)",
    )
    bench.add_argument(
        "--energy_images",
        type=positive_int,
        default=PAPER_ENERGY_IMAGES,
        help=f"N in E = N*I*P/3.6e6 W*h (default {PAPER_ENERGY_IMAGES}, the seed paper's test set)",
    )
    bench.add_argument(
        "--results",
        default=None,
        help=f"JSON-lines file to append to (default: BUNDLE/{DEFAULT_RESULTS_NAME})",
    )
    bench.add_argument("--notes", default="", help="free text stored in the row")
    bench.add_argument("--sysfs_root", default=INA3221_ROOT, help=argparse.SUPPRESS)

    check = commands.add_parser("check", help="engine vs the bundled Keras outputs")
    common(check)
    check.add_argument(
        "--min_agreement",
        type=unit_float,
        default=0.99,
        help="fail (exit 1) below this argmax agreement",
    )
    check.add_argument(
        "--trtexec_output",
        default=None,
        help="compare this `trtexec --exportOutput` JSON instead of running the engine "
        "(no pycuda needed)",
    )
    check.add_argument(
        "--reference",
        type=non_negative_int,
        default=0,
        help="with --trtexec_output: the reference whose input trtexec loaded",
    )
    return parser


def positive_int(text):
    value = _int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def non_negative_int(text):
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def unit_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def parse_args(argv=None):
    args = build_parser().parse_args(argv)
    args.bundle = os.path.abspath(args.bundle)
    if args.engine is None:
        args.engine = os.path.join(args.bundle, DEFAULT_ENGINE_NAME)
    args.engine = os.path.abspath(args.engine)
    if args.command == "bench" and args.results is None:
        args.results = os.path.join(args.bundle, DEFAULT_RESULTS_NAME)
    return args


# ---- the bundle -----------------------------------------------------------------------------


class Bundle:
    """A validated export.json plus absolute paths."""

    def __init__(self, root, export):
        self.root = root
        self.export = export
        model = export["model"]
        self.name = model.get("name", "model")
        self.encoder = model.get("encoder")
        self.decoder = model.get("decoder")
        self.num_classes = int(model["num_classes"])
        self.gflops = model.get("gflops")
        spec = export["input"]
        self.input_name = spec["name"]
        self.input_shape = tuple(int(d) for d in spec["shape"])
        self.height, self.width = self.input_shape[1], self.input_shape[2]
        self.color = spec.get("color", "RGB")
        out = export["outputs"][0]
        self.output_name = out["name"]
        self.output_shape = tuple(int(d) for d in out["shape"])
        self.output_layout = out.get("layout", "NHWC")
        self.classes = sorted(export["classes"], key=lambda c: int(c["train_id"]))
        self.class_names = [c["name"] for c in self.classes]
        self.onnx_file = export["onnx"]["file"]
        self.onnx_path = os.path.join(root, self.onnx_file)
        self.onnx_sha256 = export.get("files", {}).get(self.onnx_file, {}).get("sha256")
        self.references = []
        for entry in export.get("reference", []):
            self.references.append(
                dict((key, os.path.join(root, value)) for key, value in entry.items())
            )


def sha256_of(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def read_npy_header(path):
    """(dtype descr, shape) of a .npy file, read with the standard library only."""
    with open(path, "rb") as f:
        if f.read(6) != b"\x93NUMPY":
            raise BundleError(f"{path} is not a .npy file")
        try:
            major = f.read(2)[0]
            size_bytes = 2 if major == 1 else 4
            (length,) = struct.unpack("<H" if size_bytes == 2 else "<I", f.read(size_bytes))
            header = ast.literal_eval(f.read(length).decode("latin1"))
            return header["descr"], tuple(header["shape"])
        except (IndexError, struct.error, ValueError, SyntaxError, KeyError, TypeError):
            raise BundleError(f"{path} has a damaged .npy header") from None


def _require(condition, message):
    if not condition:
        raise BundleError(message)


def _is_int_list(value, length=None):
    return (
        isinstance(value, list)
        and (length is None or len(value) == length)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )


def validate_export(export, where="export.json"):
    """Check the structure and internal consistency of export.json (no files are read)."""
    _require(isinstance(export, dict), f"{where}: not a JSON object")
    _require(
        export.get("format") == "jetson",
        "{}: format is {!r}, expected 'jetson' (export the bundle with --format=jetson)".format(
            where, export.get("format")
        ),
    )
    for key in ("model", "input", "outputs", "classes", "onnx"):
        _require(key in export, f"{where}: missing key {key!r}")
    for key in ("model", "input", "onnx"):
        _require(isinstance(export[key], dict), f"{where}: {key} must be an object")
    model, spec, outputs = export["model"], export["input"], export["outputs"]
    _require(
        isinstance(model.get("num_classes"), int) and model["num_classes"] > 0,
        f"{where}: model.num_classes must be a positive integer",
    )
    num_classes = model["num_classes"]
    for key in ("name", "shape", "dtype", "layout"):
        _require(key in spec, f"{where}: input.{key} is missing")
    shape = spec["shape"]
    _require(
        _is_int_list(shape, 4) and shape[0] == 1 and shape[3] == 3 and min(shape) > 0,
        f"{where}: input.shape must be [1, H, W, 3], got {shape!r}",
    )
    _require(
        spec["dtype"] == "float32",
        "{}: input.dtype is {!r}; TensorRT 8.2 needs float32 pixels (re-export)".format(
            where, spec["dtype"]
        ),
    )
    _require(spec["layout"] == "NHWC", f"{where}: input.layout must be NHWC")
    _require(
        spec.get("color", "RGB") in ("RGB", "BGR"),
        "{}: input.color must be RGB or BGR, got {!r}".format(where, spec.get("color")),
    )
    if "range" in spec:
        _require(
            list(spec["range"]) == [0, 255],
            "{}: input.range is {!r}; this runner feeds pixels 0..255".format(where, spec["range"]),
        )
    _require(isinstance(outputs, list) and len(outputs) >= 1, f"{where}: outputs is empty")
    out = outputs[0]
    _require(isinstance(out, dict), f"{where}: outputs[0] must be an object")
    for key in ("name", "shape"):
        _require(key in out, f"{where}: outputs[0].{key} is missing")
    layout = out.get("layout", "NHWC")
    _require(layout in ("NHWC", "NCHW"), f"{where}: outputs[0].layout {layout!r}")
    oshape = out["shape"]
    _require(_is_int_list(oshape, 4), f"{where}: outputs[0].shape must have 4 dims")
    channels = oshape[3] if layout == "NHWC" else oshape[1]
    hw = (oshape[1], oshape[2]) if layout == "NHWC" else (oshape[2], oshape[3])
    _require(
        channels == num_classes,
        f"{where}: outputs[0].shape {oshape!r} has {channels} classes but model.num_classes "
        f"is {num_classes}",
    )
    _require(
        hw == (shape[1], shape[2]),
        f"{where}: output size {hw[0]}x{hw[1]} differs from the input size "
        f"{shape[1]}x{shape[2]}",
    )
    classes = export["classes"]
    _require(
        isinstance(classes, list) and len(classes) == num_classes,
        f"{where}: {len(classes) if isinstance(classes, list) else 0} classes listed but "
        f"model.num_classes is {num_classes}",
    )
    _require(all(isinstance(c, dict) for c in classes), f"{where}: classes must be objects")
    ids = sorted(c.get("train_id") for c in classes if isinstance(c.get("train_id"), int))
    _require(
        ids == list(range(num_classes)),
        f"{where}: classes must have train_id 0..{num_classes - 1}, each once",
    )
    for c in classes:
        color = c.get("color")
        _require(
            "name" in c and _is_int_list(color, 3) and all(0 <= v <= 255 for v in color),
            "{}: class {!r} needs a name and an RGB color of three 0..255 integers".format(
                where, c.get("name", c.get("train_id"))
            ),
        )
    _require(
        isinstance(export["onnx"], dict) and "file" in export["onnx"],
        f"{where}: onnx.file is missing",
    )
    files = export.get("files", {})
    _require(isinstance(files, dict), f"{where}: files must be an object")
    for name, info in files.items():
        _require(isinstance(info, dict), f"{where}: files[{name!r}] must be an object")
    references = export.get("reference", [])
    _require(isinstance(references, list), f"{where}: reference must be a list")
    for entry in references:
        _require(isinstance(entry, dict), f"{where}: reference entries must be objects")
        for key in ("input", "logits"):
            _require(key in entry, f"{where}: a reference entry has no {key!r}")


def check_bundle_files(root, export, verify_hashes=True):
    """Check that the files next to export.json are the ones it describes."""
    where = os.path.join(root, "export.json")
    for name, info in sorted(export.get("files", {}).items()):
        path = os.path.join(root, name)
        _require(
            os.path.isfile(path),
            f"bundle {root}: {name} is listed in export.json but missing (re-copy the bundle)",
        )
        size = os.path.getsize(path)
        if "bytes" in info:
            _require(
                size == info["bytes"],
                f"bundle {root}: {name} has {size} bytes but export.json says "
                f"{info['bytes']} (re-copy or re-export)",
            )
        if verify_hashes and info.get("sha256"):
            _require(
                sha256_of(path) == info["sha256"].lower(),
                f"bundle {root}: the sha256 of {name} does not match export.json "
                "(re-copy or re-export)",
            )
    onnx = os.path.join(root, export["onnx"]["file"])
    _require(os.path.isfile(onnx), "bundle {}: {} is missing".format(root, export["onnx"]["file"]))
    shape = export["input"]["shape"]
    input_bytes = 4 * shape[0] * shape[1] * shape[2] * shape[3]
    out = export["outputs"][0]
    layout = out.get("layout", "NHWC")
    ids_shape = tuple(out["shape"][1:3]) if layout == "NHWC" else tuple(out["shape"][2:4])
    for i, entry in enumerate(export.get("reference", [])):
        for key in ("image", "input", "logits", "class_ids"):
            if key in entry:
                _require(
                    os.path.isfile(os.path.join(root, entry[key])),
                    f"bundle {root}: reference {i} {key} {entry[key]} is missing",
                )
        size = os.path.getsize(os.path.join(root, entry["input"]))
        _require(
            size == input_bytes,
            f"bundle {root}: {entry['input']} has {size} bytes, expected {input_bytes} for "
            f"float32 {shape!r} ({where})",
        )
        descr, lshape = read_npy_header(os.path.join(root, entry["logits"]))
        _require(
            list(lshape) == list(out["shape"]) and descr in ("<f4", "<f2"),
            "bundle {}: {} is {} {!r} but export.json's output is float32 {!r}".format(
                root, entry["logits"], descr, list(lshape), out["shape"]
            ),
        )
        if "class_ids" in entry:
            descr, cshape = read_npy_header(os.path.join(root, entry["class_ids"]))
            _require(
                cshape == ids_shape and descr == "|u1",
                "bundle {}: {} is {} {!r}, expected uint8 {!r}".format(
                    root, entry["class_ids"], descr, list(cshape), list(ids_shape)
                ),
            )


def load_bundle(root, verify_hashes=True):
    """Read, validate and check a bundle folder; BundleError says what does not match."""
    root = os.path.abspath(root)
    path = os.path.join(root, "export.json")
    if not os.path.isdir(root):
        raise BundleError(f"bundle folder not found: {root}")
    if not os.path.isfile(path):
        raise BundleError(f"{path} not found: is {root} a tfseg Jetson bundle?")
    try:
        with open(path) as f:
            export = json.load(f)
    except ValueError as error:
        raise BundleError(f"{path} is not valid JSON: {error}") from None
    validate_export(export, where=path)
    check_bundle_files(root, export, verify_hashes=verify_hashes)
    return Bundle(root, export)


# ---- image processing -----------------------------------------------------------------------


def require_numpy():
    if np is None:
        raise RunnerError(
            f"numpy not found for {sys.executable} (on JetPack: sudo apt install python3-numpy)"
        )
    return np


def import_cv2():
    try:
        import cv2
    except ImportError:
        raise RunnerError(
            f"OpenCV's Python bindings (cv2) not found for {sys.executable}: JetPack ships "
            "OpenCV 4.1.1 (sudo apt install nvidia-opencv)"
        ) from None
    return cv2


def to_bgr(frame):
    """Any 8-bit OpenCV frame (gray, BGR, BGRA) as a 3-channel BGR uint8 array."""
    cv2 = import_cv2()
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame


def preprocess(frame_bgr, height, width, color="RGB"):
    """uint8 BGR HxWx3 frame -> float32 [1, height, width, 3] NHWC pixels 0..255.

    The frame is resized with cv2.INTER_LINEAR (skipped when the size already matches), converted
    to the model's channel order and cast; the normalization is inside the network.
    """
    cv2 = import_cv2()
    frame = to_bgr(frame_bgr)
    if frame.shape[0] != height or frame.shape[1] != width:
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_LINEAR)
    if color == "RGB":
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(frame, dtype=np.float32)[np.newaxis]


def argmax_ids(logits, layout="NHWC"):
    """[1, H, W, C] (or [1, C, H, W]) logits -> uint8 [H, W] class ids."""
    axis = -1 if layout == "NHWC" else 0
    return np.argmax(logits[0], axis=axis).astype(np.uint8)


def resize_ids(ids, height, width):
    """Class ids back to the frame size with nearest neighbour (no new labels appear)."""
    if ids.shape[0] == height and ids.shape[1] == width:
        return ids
    cv2 = import_cv2()
    return cv2.resize(ids, (width, height), interpolation=cv2.INTER_NEAREST)


def palette_array(classes):
    """uint8 [256, 3] RGB palette indexed by train id; unknown ids (e.g. 255) are black."""
    palette = np.zeros((256, 3), np.uint8)
    for c in classes:
        palette[int(c["train_id"])] = c["color"]
    return palette


def colorize(ids, palette):
    """uint8 ids [H, W] -> RGB uint8 [H, W, 3]."""
    return palette[ids]


def overlay(frame_bgr, ids, palette, alpha=0.5):
    """Blend the class colours over a BGR frame: (1 - alpha) * frame + alpha * colour."""
    color_bgr = colorize(ids, palette)[..., ::-1].astype(np.float32)
    blended = (1.0 - alpha) * to_bgr(frame_bgr).astype(np.float32) + alpha * color_bgr
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def compare_outputs(logits, reference_logits, reference_ids=None, layout="NHWC"):
    """(argmax agreement in [0, 1], max |logit diff|) of engine logits vs the Keras ones."""
    logits = np.asarray(logits, dtype=np.float32)
    reference_logits = np.asarray(reference_logits, dtype=np.float32)
    if logits.shape != reference_logits.shape:
        raise RunnerError(
            f"engine output shape {logits.shape!r} differs from the reference logits "
            f"{reference_logits.shape!r}"
        )
    if reference_ids is None:
        reference_ids = argmax_ids(reference_logits, layout)
    ids = argmax_ids(logits, layout)
    agreement = float(np.count_nonzero(ids == reference_ids)) / ids.size
    return agreement, float(np.max(np.abs(logits - reference_logits)))


def load_reference(bundle, entry):
    """(input float32 NHWC, logits, class ids or None) for one bundle reference."""
    x = np.fromfile(entry["input"], dtype="<f4").reshape(bundle.input_shape)
    logits = np.load(entry["logits"], allow_pickle=False).astype(np.float32)
    ids = None
    if "class_ids" in entry:
        ids = np.load(entry["class_ids"], allow_pickle=False)
    return x, logits, ids


def preprocessing_gap(bundle, entry):
    """Max |preprocess(reference image) - bundled input|: host pipeline vs the exporter's."""
    if "image" not in entry:
        return None
    cv2 = import_cv2()
    image = cv2.imread(entry["image"], cv2.IMREAD_COLOR)
    if image is None:
        raise BundleError("cannot read the reference image {}".format(entry["image"]))
    x, _, _ = load_reference(bundle, entry)
    ours = preprocess(image, bundle.height, bundle.width, bundle.color)
    return float(np.max(np.abs(ours - x)))


def fps_update(previous, seconds, smoothing=0.1):
    """Exponential moving average of frames per second (previous None: the first frame)."""
    if seconds <= 0:
        return previous
    current = 1.0 / seconds
    if previous is None:
        return current
    return (1.0 - smoothing) * previous + smoothing * current


# ---- input sources --------------------------------------------------------------------------


def csi_pipeline(sensor_id=0, width=1280, height=720, fps=30, flip_method=0):
    """GStreamer pipeline for a CSI camera (nvarguscamerasrc) ending in BGR frames for OpenCV."""
    return (
        f"nvarguscamerasrc sensor-id={sensor_id} ! "
        f"video/x-raw(memory:NVMM), width=(int){width}, height=(int){height}, "
        f"format=(string)NV12, framerate=(fraction){fps}/1 ! "
        f"nvvidconv flip-method={flip_method} ! video/x-raw, format=(string)BGRx ! "
        "videoconvert ! video/x-raw, format=(string)BGR ! appsink drop=true max-buffers=1"
    )


def classify_input(spec):
    """'csi', 'gstreamer', 'camera', 'folder', 'image' or 'video' for a --input value."""
    if spec == "csi":
        return "csi"
    if "!" in spec:
        return "gstreamer"
    if re.match(r"^(/dev/video\d+|\d+)$", spec):
        return "camera"
    if os.path.isdir(spec):
        return "folder"
    if not os.path.exists(spec):
        raise RunnerError(f"input not found: {spec}")
    if os.path.splitext(spec)[1].lower() in IMAGE_EXTENSIONS:
        return "image"
    return "video"


def list_images(folder):
    names = sorted(os.listdir(folder))
    return [
        os.path.join(folder, n)
        for n in names
        if os.path.splitext(n)[1].lower() in IMAGE_EXTENSIONS
        and os.path.isfile(os.path.join(folder, n))
    ]


def open_capture(kind, spec, args):
    """cv2.VideoCapture for a video file or camera; RunnerError when it does not open."""
    cv2 = import_cv2()
    if kind == "csi":
        source = csi_pipeline(
            args.sensor_id, args.csi_width, args.csi_height, args.csi_fps, args.flip_method
        )
        capture = cv2.VideoCapture(source, cv2.CAP_GSTREAMER)
        label = f"CSI camera {args.sensor_id} (nvarguscamerasrc)"
    elif kind == "gstreamer":
        capture = cv2.VideoCapture(spec, cv2.CAP_GSTREAMER)
        label = "GStreamer pipeline"
    elif kind == "camera":
        index = int(re.sub(r"^/dev/video", "", spec))
        capture = cv2.VideoCapture(index, cv2.CAP_V4L2)
        label = f"camera {spec}"
    else:
        capture = cv2.VideoCapture(spec)
        label = f"video {spec}"
    if not capture.isOpened():
        capture.release()
        hint = ""
        if kind in ("csi", "gstreamer"):
            hint = " (is OpenCV built with GStreamer? is nvargus-daemon running?)"
        elif kind == "camera":
            hint = " (does the device exist, is it in use, is the user in group 'video'?)"
        raise RunnerError(f"cannot open {label}{hint}")
    return capture


def want_display(mode, environ=None):
    environ = os.environ if environ is None else environ
    if mode == "yes":
        return True
    if mode == "no":
        return False
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


# ---- files ----------------------------------------------------------------------------------


def prepare_out_dir(path):
    """Create the output folder and prove it is writable (root ignores permission bits)."""
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise RunnerError(
            f"output folder {path} is not writable: {error.strerror or error}"
        ) from None
    return path


def temp_path_for(path):
    """An empty temporary file next to `path` with the usual permissions (mkstemp's are 0600)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=folder)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return tmp


def write_temp(path, data):
    """`data` in a temporary file next to `path`; returns its name (rename it to finish)."""
    tmp = temp_path_for(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        remove_quietly(tmp)
        raise
    return tmp


def remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def atomic_write_bytes(path, data):
    """Write to a temporary file in the same folder, then rename: no half-written file."""
    tmp = write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise


def atomic_write_json(path, obj):
    atomic_write_bytes(path, (json.dumps(obj, indent=2) + "\n").encode("utf-8"))


def write_png(path, image):
    cv2 = import_cv2()
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise RunnerError(f"could not encode {path}")
    try:
        atomic_write_bytes(path, encoded.tobytes())
    except OSError as error:
        raise RunnerError(f"cannot write {path}: {error.strerror or error}") from None


def sidecar_path(engine_path):
    return engine_path + ".json"


def read_sidecar(engine_path):
    path = sidecar_path(engine_path)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as error:
        raise RunnerError(f"engine sidecar {path} is not valid JSON: {error}") from None


# ---- TensorRT and CUDA (imported here and nowhere else) -------------------------------------


def load_tensorrt(need_cuda=True):
    """Import TensorRT (and pycuda with a CUDA context); NoTensorRT (exit 3) when missing."""
    try:
        import tensorrt as trt
    except (ImportError, OSError):
        raise NoTensorRT(NO_TENSORRT.format(sys.executable)) from None
    if not need_cuda:
        return trt, None
    try:
        import pycuda.driver as cuda
    except (ImportError, OSError):
        raise NoTensorRT(NO_PYCUDA) from None
    try:
        import pycuda.autoinit  # noqa: F401  (creates a CUDA context on GPU 0)
    except Exception as error:  # pycuda raises its own driver errors
        raise NoTensorRT(
            f"CUDA could not be initialised through pycuda: {one_line(error)}"
        ) from None
    return trt, cuda


def version_tuple(text, parts=3):
    numbers = [int(n) for n in re.findall(r"\d+", str(text))[:parts]]
    return tuple(numbers + [0] * (parts - len(numbers)))


def same_tensorrt_version(built, running):
    """Engines load only in the TensorRT release (major.minor.patch) that built them."""
    return version_tuple(built) == version_tuple(running)


def trtexec_version(output):
    """TensorRT version from trtexec's banner '[TensorRT v8201]' -> '8.2.1' (None if absent)."""
    match = re.search(r"\[TensorRT v(\d+)\]", output)
    if not match:
        return None
    n = int(match.group(1))
    if n >= 10000:  # TensorRT 10+: MMmmpp
        return f"{n // 10000}.{n // 100 % 100}.{n % 100}"
    return f"{n // 1000}.{n // 100 % 10}.{n % 100}"


class TrtEngine:
    """A deserialized engine with page-locked host and device buffers for every binding."""

    def __init__(self, trt, cuda, engine_bytes, bundle):
        self.cuda = cuda
        self.logger = trt.Logger(trt.Logger.WARNING)
        self.runtime = trt.Runtime(self.logger)
        self.engine = self.runtime.deserialize_cuda_engine(engine_bytes)
        if self.engine is None:
            raise RunnerError(
                "TensorRT could not deserialize the engine (built by another TensorRT version "
                f"or for another GPU?): rebuild it with '{PROG} build'"
            )
        self.context = self.engine.create_execution_context()
        if self.context is None:
            raise RunnerError("TensorRT could not create an execution context (GPU memory?)")
        self.stream = cuda.Stream()
        self.start_event, self.end_event = cuda.Event(), cuda.Event()
        self.bindings, inputs, outputs = [], [], []
        for i in range(self.engine.num_bindings):
            name = self.engine.get_binding_name(i)
            shape = tuple(self.engine.get_binding_shape(i))
            if any(d < 0 for d in shape):
                raise RunnerError(f"engine binding {name} has a dynamic shape {shape!r}")
            dtype = np.dtype(trt.nptype(self.engine.get_binding_dtype(i)))
            host = cuda.pagelocked_empty(shape, dtype)
            device = cuda.mem_alloc(host.nbytes)
            self.bindings.append(int(device))
            binding = {"name": name, "shape": shape, "host": host, "device": device}
            (inputs if self.engine.binding_is_input(i) else outputs).append(binding)
        self.input = _pick_binding(inputs, bundle.input_name, "input")
        self.output = _pick_binding(outputs, bundle.output_name, "output")
        self.outputs = outputs
        for binding, expected in (
            (self.input, bundle.input_shape),
            (self.output, bundle.output_shape),
        ):
            if binding["shape"] != expected:
                raise RunnerError(
                    "engine {} {} is {!r} but export.json says {!r}: the engine was built from "
                    "another model; rebuild it".format(
                        binding["name"], "shape", binding["shape"], expected
                    )
                )

    def infer(self, x):
        """float32 NHWC input -> the output binding's host array (overwritten by the next call)."""
        cuda = self.cuda
        np.copyto(self.input["host"], x)
        cuda.memcpy_htod_async(self.input["device"], self.input["host"], self.stream)
        if not self.context.execute_async_v2(
            bindings=self.bindings, stream_handle=self.stream.handle
        ):
            raise RunnerError("TensorRT execute_async_v2 failed")
        for binding in self.outputs:
            cuda.memcpy_dtoh_async(binding["host"], binding["device"], self.stream)
        self.stream.synchronize()
        return self.output["host"]

    def time_engine_only(self):
        """One execution with the input already on the GPU, timed by CUDA events (ms)."""
        self.start_event.record(self.stream)
        self.context.execute_async_v2(bindings=self.bindings, stream_handle=self.stream.handle)
        self.end_event.record(self.stream)
        self.end_event.synchronize()
        return self.start_event.time_till(self.end_event)


def _pick_binding(bindings, name, kind):
    for binding in bindings:
        if binding["name"] in (name, name + ":0"):
            return binding
    if len(bindings) == 1:
        return bindings[0]
    raise RunnerError(
        "engine has no {} named {!r} (it has {})".format(kind, name, [b["name"] for b in bindings])
    )


def open_engine(bundle, engine_path):
    """Check the sidecar against this TensorRT and the bundle, then deserialize."""
    trt, cuda = load_tensorrt(need_cuda=True)
    if not os.path.isfile(engine_path):
        raise RunnerError(
            f"engine not found: {engine_path} (build it: {PROG} build --bundle={bundle.root})"
        )
    sidecar = read_sidecar(engine_path)
    if sidecar is None:
        print(f"note: no {sidecar_path(engine_path)}; TensorRT version not checked")
    else:
        built = sidecar.get("tensorrt_version", "unknown")
        if built != "unknown" and not same_tensorrt_version(built, trt.__version__):
            raise RunnerError(
                f"engine {engine_path} was built by TensorRT {built} but this is TensorRT "
                f"{trt.__version__}: rebuild it ({PROG} build --bundle={bundle.root})"
            )
        if sidecar.get("onnx_sha256") and bundle.onnx_sha256:
            if sidecar["onnx_sha256"] != bundle.onnx_sha256:
                raise RunnerError(
                    f"engine {engine_path} was built from another {bundle.onnx_file} than "
                    "this bundle's: rebuild it"
                )
    with open(engine_path, "rb") as f:
        data = f.read()
    return TrtEngine(trt, cuda, data, bundle), sidecar or {}, trt, cuda


# ---- power ----------------------------------------------------------------------------------


Rail = collections.namedtuple("Rail", "name channel device power_path")


def discover_ina3221_rails(root=INA3221_ROOT):
    """Every INA3221 rail with a power reading: [Rail(name, channel, device folder, path)].

    Reads rail_name_N and keeps those with an in_powerN_input (mW): channel numbers differ per
    board (TX1: VDD_IN on 1-0040 channel 0; TX2: VDD_IN on 0-0041 channel 0), so none is
    hard-coded.
    """
    rails, seen = [], set()
    for pattern in INA3221_DEVICE_GLOBS:
        for device in sorted(glob.glob(os.path.join(root, pattern))):
            for name_file in sorted(glob.glob(os.path.join(device, "rail_name_*"))):
                channel = name_file.rsplit("_", 1)[1]
                power = os.path.join(device, f"in_power{channel}_input")
                if not channel.isdigit() or not os.path.isfile(power):
                    continue
                try:
                    with open(name_file) as f:
                        name = f.read().strip()
                except OSError:
                    continue
                if name and name not in seen:
                    seen.add(name)
                    rails.append(Rail(name, int(channel), device, power))
    return rails


def board_total_rails(names):
    """The rail names summed for the board total (VDD_IN + VDD_MUX when present), or []."""
    available = set(names)
    for group in BOARD_TOTAL_RAILS:
        if group[0] in available:
            return [name for name in group if name in available]
    return []


def read_rail_mw(rail):
    try:
        with open(rail.power_path) as f:
            return float(f.read().strip())
    except (OSError, ValueError):
        return None


def ina3221_reader(rails):
    """A function returning the board total in mW (None if a read fails)."""
    chosen = [r for r in rails if r.name in board_total_rails([x.name for x in rails])]

    def read():
        values = [read_rail_mw(r) for r in chosen]
        if not values or any(v is None for v in values):
            return None
        return sum(values)

    return read, [r.name for r in chosen]


# "VDD_IN 3056/3056" (L4T 32: current/average mW) and "VDD_IN 4927mW/4927mW" (newer L4T); the
# (?!\w) keeps "RAM 2344/7852MB" and "SWAP 0/3926MB" out.
_TEGRASTATS_RAIL = re.compile(r"\b([A-Za-z][A-Za-z0-9_]*) (\d+)(?:mW)?/(\d+)(?:mW)?(?!\w)")


def parse_tegrastats_line(line):
    """OrderedDict rail -> (current mW, average mW) from one tegrastats line."""
    rails = collections.OrderedDict()
    for name, current, average in _TEGRASTATS_RAIL.findall(line):
        if name in ("RAM", "SWAP", "IRAM", "lfb"):
            continue
        rails[name] = (float(current), float(average))
    return rails


def tegrastats_board_mw(line):
    """Board total (current mW) from one tegrastats line, or None."""
    rails = parse_tegrastats_line(line)
    names = board_total_rails(rails.keys())
    if not names:
        return None
    return sum(rails[name][0] for name in names)


class PowerSampler:
    """Calls read_mw() every interval on a background thread; stop() returns the samples."""

    def __init__(self, read_mw, interval_s):
        self.read_mw = read_mw
        self.interval_s = interval_s
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="power-sampler")
        self._thread.daemon = True

    def _loop(self):
        while not self._stop.is_set():
            value = self.read_mw()
            if value is not None:
                self.samples.append(value)
            self._stop.wait(self.interval_s)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()
        return list(self.samples)


class TegrastatsSampler:
    """Runs `tegrastats --interval MS` and parses its lines on a background thread."""

    def __init__(self, command, interval_ms):
        self.command = [command, "--interval", str(interval_ms)]
        self.samples = []
        self.process = None
        self._thread = None

    def start(self):
        self.process = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            universal_newlines=True,
        )
        self._thread = threading.Thread(target=self._loop, name="tegrastats-reader")
        self._thread.daemon = True
        self._thread.start()
        return self

    def _loop(self):
        for line in self.process.stdout:
            value = tegrastats_board_mw(line)
            if value is not None:
                self.samples.append(value)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._thread is not None:
            self._thread.join(timeout=5)
        return list(self.samples)


def choose_power_source(requested, rails, tegrastats):
    """(source or None, message): 'ina3221' needs rails with a board total, 'tegrastats' a path."""
    has_rails = bool(board_total_rails([r.name for r in rails]))
    if requested == "none":
        return None, "power: not measured (--power=none)"
    if requested in ("auto", "ina3221") and has_rails:
        return "ina3221", "power: INA3221 rails"
    if requested in ("auto", "tegrastats") and tegrastats:
        return "tegrastats", "power: tegrastats"
    if requested == "ina3221":
        return None, "power: not available (no INA3221 VDD_IN rail under the sysfs root)"
    if requested == "tegrastats":
        return None, "power: not available (tegrastats not found)"
    return None, "power: not available (no INA3221 rails, no tegrastats)"


def make_sampler(source, rails, tegrastats, interval_ms):
    if source == "ina3221":
        read, _ = ina3221_reader(rails)
        return PowerSampler(read, interval_ms / 1000.0)
    if source == "tegrastats":
        return TegrastatsSampler(tegrastats, interval_ms)
    return None


# ---- statistics and energy ------------------------------------------------------------------


def percentile(values, p):
    """The p-th percentile with linear interpolation between closest ranks.

    This is numpy's default method ("linear", Hyndman & Fan type 7): the rank is p/100 * (n - 1)
    over the sorted values, interpolated between its neighbours. None for no values.
    """
    xs = sorted(values)
    if not xs:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {p!r}")
    rank = (len(xs) - 1) * p / 100.0
    low = int(math.floor(rank))
    high = min(low + 1, len(xs) - 1)
    return xs[low] + (xs[high] - xs[low]) * (rank - low)


def latency_summary(times_ms):
    """mean, p50, p90, p99 (ms) and FPS = 1000 / mean."""
    if not times_ms:
        return {"mean": None, "p50": None, "p90": None, "p99": None, "fps": None}
    mean = sum(times_ms) / float(len(times_ms))
    return {
        "mean": mean,
        "p50": percentile(times_ms, 50),
        "p90": percentile(times_ms, 90),
        "p99": percentile(times_ms, 99),
        "fps": 1000.0 / mean if mean > 0 else None,
    }


def mean_power_w(samples_mw):
    if not samples_mw:
        return None
    return sum(samples_mw) / float(len(samples_mw)) / 1000.0


def energy_mj_per_frame(power_w, latency_ms):
    """W * ms = mJ per frame."""
    if power_w is None or latency_ms is None:
        return None
    return power_w * latency_ms


def energy_wh(n_images, latency_ms, power_w):
    """The seed paper's E = N * I * P / (60 * 60 * 1000) W*h (I in ms per image, P in W)."""
    if power_w is None or latency_ms is None:
        return None
    return n_images * latency_ms * power_w / 3.6e6


# ---- the result row and system facts --------------------------------------------------------


def make_result_row(**values):
    """An OrderedDict with exactly RESULT_FIELDS, in order; missing values are None."""
    unknown = sorted(set(values) - set(RESULT_FIELDS))
    if unknown:
        raise ValueError("not result fields: {}".format(", ".join(unknown)))
    row = collections.OrderedDict((key, values.get(key)) for key in RESULT_FIELDS)
    if row["schema_version"] is None:
        row["schema_version"] = SCHEMA_VERSION
    if row["runtime"] is None:
        row["runtime"] = "tensorrt"
    return row


def append_rows(path, rows):
    """Append JSON lines in one write (a crash cannot leave half a row)."""
    text = "".join(json.dumps(row) + "\n" for row in rows)
    try:
        with open(path, "a") as f:
            f.write(text)
    except OSError as error:
        raise RunnerError(f"cannot append to {path}: {error.strerror or error}") from None


def read_text(path, default=None):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return default


def device_from_model(text):
    """'NVIDIA Jetson TX2\\x00' (/proc/device-tree/model) -> 'jetson-tx2'."""
    if not text:
        return None
    name = text.replace("\x00", " ").strip().lower()
    name = re.sub(r"^nvidia\s+", "", name)
    name = re.sub(r"\s*developer kit\s*$", "", name)
    slug = re.sub(r"[^a-z0-9]+", "-", name).strip("-")
    return slug or None


def parse_l4t_release(text):
    """'# R32 (release), REVISION: 7.1, ...' (/etc/nv_tegra_release) -> '32.7.1'."""
    if not text:
        return None
    match = re.search(r"R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)", text)
    if not match:
        return None
    return f"{match.group(1)}.{match.group(2)}"


def describe_cpu(cpuinfo, machine=None, count=None):
    """x86 'model name', or ARM cores by part ('4x Cortex-A57 + 2x Denver2')."""
    machine = machine or platform.machine()
    cpuinfo = cpuinfo or ""
    names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    if names:
        return f"{names[0].strip()} ({len(names)} threads)"
    cores = collections.OrderedDict()
    implementer = None
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip().lower()
        if key == "CPU implementer":
            implementer = value
        elif key == "CPU part":
            part = ARM_CPU_PARTS.get((implementer, value), f"part {value}")
            cores[part] = cores.get(part, 0) + 1
    if cores:
        return " + ".join(f"{n}x {part}" for part, n in cores.items())
    return f"{machine} ({count or os.cpu_count()} cores)"


def run_text(command, timeout=10):
    """stdout+stderr of a command, or 'not available' when it is missing."""
    if shutil.which(command[0]) is None:
        return "not available"
    try:
        result = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            universal_newlines=True,  # noqa: UP021 (Python 3.6 has no text=)
            timeout=timeout,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"not available ({one_line(error)})"
    text = result.stdout.strip()
    if result.returncode != 0:
        text += f" (exit {result.returncode})"
    return text


def power_mode():
    return collections.OrderedDict(
        [
            ("nvpmodel", run_text(["nvpmodel", "-q"])),
            ("jetson_clocks", run_text(["jetson_clocks", "--show"])),
        ]
    )


def nvpmodel_name(text):
    match = re.search(r"NV Power Mode:\s*(\S+)", text or "")
    return match.group(1) if match else None


def collect_versions(trt=None, cuda=None):
    versions = collections.OrderedDict()
    versions["runner"] = __version__
    versions["python"] = platform.python_version()
    versions["numpy"] = getattr(np, "__version__", None)
    try:
        versions["opencv"] = import_cv2().__version__
    except RunnerError:
        versions["opencv"] = None
    versions["tensorrt"] = getattr(trt, "__version__", None)
    if cuda is not None:  # pycuda was imported by load_tensorrt()
        versions["pycuda"] = getattr(sys.modules.get("pycuda"), "VERSION_TEXT", None)
        try:
            versions["cuda_driver"] = ".".join(str(v) for v in cuda.get_version())
        except Exception:  # a version probe must never stop a benchmark
            versions["cuda_driver"] = None
    l4t = parse_l4t_release(read_text("/etc/nv_tegra_release"))
    versions["l4t"] = l4t
    jetpack = None
    if shutil.which("dpkg-query"):
        text = run_text(["dpkg-query", "-W", "-f=${Version}", "nvidia-jetpack"])
        if re.match(r"^\d+\.\d+", text) and "exit" not in text:
            jetpack = text.split("-")[0]
    versions["jetpack"] = jetpack or L4T_TO_JETPACK.get(l4t or "")
    return versions


def system_facts(cuda=None):
    model = read_text("/proc/device-tree/model")
    gpu = None
    if cuda is not None:
        try:
            gpu = cuda.Device(0).name()
        except Exception:  # a description must never stop a benchmark
            gpu = None
    return {
        "device": device_from_model(model) or device_from_model(gpu) or platform.machine(),
        "cpu": describe_cpu(read_text("/proc/cpuinfo")),
        "gpu": gpu,
    }


def peak_host_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---- build ----------------------------------------------------------------------------------


def find_trtexec(explicit=None):
    if explicit:
        return explicit if os.path.isfile(explicit) else None
    if os.path.isfile(TRTEXEC_DEFAULT):
        return TRTEXEC_DEFAULT
    return shutil.which("trtexec")


def trtexec_build_command(trtexec, onnx, engine, fp16, workspace_mb):
    command = [
        trtexec,
        "--onnx=" + onnx,
        "--saveEngine=" + engine,
        "--buildOnly",
        f"--workspace={workspace_mb}",  # MiB; TensorRT 8.4+ calls it --memPoolSize
    ]
    if fp16:
        command.append("--fp16")
    return command


def build_with_python_api(trt, bundle, fp16, workspace_mb):
    """(serialized engine, precision) through the TensorRT 8.2 builder API."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH))
    parser = trt.OnnxParser(network, logger)
    with open(bundle.onnx_path, "rb") as f:
        parsed = parser.parse(f.read())
    if not parsed:
        for i in range(parser.num_errors):
            print(f"onnx parser: {one_line(parser.get_error(i))}", file=sys.stderr)
        raise RunnerError(
            f"TensorRT's ONNX parser rejected {bundle.onnx_path} "
            f"({parser.num_errors} error(s) above)"
        )
    if network.num_inputs != 1:
        raise RunnerError(f"{bundle.onnx_file} has {network.num_inputs} inputs, expected 1")
    shape = tuple(network.get_input(0).shape)
    if shape != bundle.input_shape:
        raise BundleError(
            f"{bundle.onnx_file} takes {shape!r} but export.json says {bundle.input_shape!r}"
        )
    config = builder.create_builder_config()
    config.max_workspace_size = workspace_mb << 20
    precision = "fp32"
    if fp16:
        if builder.platform_has_fast_fp16:
            config.set_flag(trt.BuilderFlag.FP16)
            precision = "fp16"
        else:
            print("note: this GPU has no fast FP16; building FP32")
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RunnerError("TensorRT could not build an engine (see its log above)")
    return serialized, precision


def build_with_trtexec(trtexec, bundle, tmp_engine, fp16, workspace_mb):
    """Run trtexec --buildOnly; returns (TensorRT version or None, command)."""
    command = trtexec_build_command(trtexec, bundle.onnx_path, tmp_engine, fp16, workspace_mb)
    print("$ " + " ".join(command), flush=True)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True
    )
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line)
    code = process.wait()
    if code != 0 or not os.path.isfile(tmp_engine):
        raise RunnerError(f"trtexec failed with exit code {code} (its output is above)")
    return trtexec_version("".join(lines)), command


def command_build(args):
    bundle = load_bundle(args.bundle)
    engine_dir = os.path.dirname(args.engine)
    prepare_out_dir(engine_dir)
    fp16 = not args.fp32
    started = time.time()
    sidecar = collections.OrderedDict()
    tmp, tmp_sidecar = temp_path_for(args.engine), None
    try:
        if args.trtexec:
            trtexec = find_trtexec(args.trtexec_path)
            if trtexec is None:
                raise RunnerError(
                    "trtexec not found ({}, PATH{}); it ships with JetPack's TensorRT".format(
                        TRTEXEC_DEFAULT, ", " + args.trtexec_path if args.trtexec_path else ""
                    )
                )
            version, command = build_with_trtexec(trtexec, bundle, tmp, fp16, args.workspace_mb)
            if version is None:
                try:
                    version = load_tensorrt(need_cuda=False)[0].__version__
                except NoTensorRT:
                    version = "unknown"
            precision = "fp16" if fp16 else "fp32"
            builder = "trtexec"
        else:
            trt, _ = load_tensorrt(need_cuda=False)
            serialized, precision = build_with_python_api(trt, bundle, fp16, args.workspace_mb)
            with open(tmp, "wb") as f:
                f.write(serialized)
            version, command, builder = trt.__version__, None, "python"
        sidecar["tensorrt_version"] = version
        sidecar["precision"] = precision
        sidecar["workspace_mb"] = args.workspace_mb
        sidecar["builder"] = builder
        if command:
            sidecar["command"] = command
        sidecar["onnx"] = bundle.onnx_file
        sidecar["onnx_sha256"] = bundle.onnx_sha256 or sha256_of(bundle.onnx_path)
        sidecar["model"] = bundle.name
        sidecar["input_shape"] = list(bundle.input_shape)
        sidecar["created"] = utc_now()
        sidecar["build_seconds"] = round(time.time() - started, 1)
        sidecar["device"] = system_facts()["device"]
        sidecar["power_mode"] = power_mode()
        sidecar_text = (json.dumps(sidecar, indent=2) + "\n").encode("utf-8")
        tmp_sidecar = write_temp(sidecar_path(args.engine), sidecar_text)
        os.replace(tmp, args.engine)
        os.replace(tmp_sidecar, sidecar_path(args.engine))
    except BaseException:
        for path in (tmp, tmp_sidecar):
            if path is not None:
                remove_quietly(path)
        raise
    size_mb = os.path.getsize(args.engine) / 1e6
    print(
        "engine: {} ({}, TensorRT {}, {:.1f} MB, {:.0f} s)".format(
            args.engine, precision, version, size_mb, sidecar["build_seconds"]
        )
    )
    return 0


# ---- run ------------------------------------------------------------------------------------


class Segmenter:
    """frame (uint8 BGR, any size) -> class ids at the frame size, through the engine."""

    def __init__(self, engine, bundle):
        self.engine = engine
        self.bundle = bundle

    def __call__(self, frame):
        b = self.bundle
        logits = self.engine.infer(preprocess(frame, b.height, b.width, b.color))
        ids = argmax_ids(logits, b.output_layout)
        return resize_ids(ids, frame.shape[0], frame.shape[1])


def _draw_fps(image, fps):
    cv2 = import_cv2()
    if fps is not None:
        text = f"{fps:.1f} FPS"
        cv2.putText(image, text, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 4)
        cv2.putText(image, text, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2)
    return image


def output_stems(paths):
    """File stems for outputs; 'a.png' and 'a.jpg' in one folder become 'a' and 'a_jpg'."""
    stems, used = [], set()
    for path in paths:
        stem, ext = os.path.splitext(os.path.basename(path))
        if stem in used:
            stem = stem + "_" + ext.lstrip(".").lower()
        used.add(stem)
        stems.append(stem)
    return stems


def legend_text(classes):
    """One line per class: train id, name, R G B (what the class-id PNG values mean)."""
    lines = ["# train_id name R G B"]
    for c in classes:
        lines.append(
            "{} {} {} {} {}".format(c["train_id"], c["name"].replace(" ", "_"), *c["color"])
        )
    return "\n".join(lines) + "\n"


def run_images(paths, segment, palette, args):
    cv2 = import_cv2()
    written = 0
    for path, stem in zip(paths, output_stems(paths)):
        frame = cv2.imread(path, cv2.IMREAD_COLOR)
        if frame is None:
            print(f"skipped (unreadable): {path}", file=sys.stderr)
            continue
        ids = segment(frame)
        write_png(os.path.join(args.out, stem + "_ids.png"), ids)
        write_png(
            os.path.join(args.out, stem + "_overlay.png"), overlay(frame, ids, palette, args.alpha)
        )
        written += 1
    if written == 0:
        raise RunnerError(f"no readable image in {args.input}")
    print(f"wrote {written} class-id PNG(s) and overlay(s) to {args.out}")


def run_stream(capture, kind, segment, palette, args):
    """Video or camera: overlay video (video; camera with --record), FPS on screen."""
    cv2 = import_cv2()
    live = kind in ("camera", "csi", "gstreamer")
    show = want_display(args.display)
    if kind == "video":
        stem = os.path.splitext(os.path.basename(args.input))[0]
    else:
        stem = "camera"
    video_path = os.path.join(args.out, stem + "_overlay.mp4")
    record = (not live) or args.record
    fps_in = capture.get(cv2.CAP_PROP_FPS)
    if not 0 < fps_in <= 240:  # 0 or NaN from many cameras
        fps_in = 30.0
    writer, tmp_video, frames, fps, last = None, None, 0, None, time.time()
    finished = False
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            ids = segment(frame)
            image = overlay(frame, ids, palette, args.alpha)
            now = time.time()
            fps, last = fps_update(fps, now - last), now
            if live:
                _draw_fps(image, fps)
            if record:
                if writer is None:
                    tmp_video = os.path.join(args.out, f".{stem}.{os.getpid()}.mp4")
                    height, width = image.shape[:2]
                    fourcc = cv2.VideoWriter_fourcc(*"mp4v")
                    writer = cv2.VideoWriter(tmp_video, fourcc, fps_in, (width, height))
                    if not writer.isOpened():
                        raise RunnerError(f"OpenCV cannot write {video_path} (mp4v)")
                writer.write(image)
            if args.save_frame_ids:
                write_png(os.path.join(args.out, f"{stem}_{frames:06d}_ids.png"), ids)
            frames += 1
            if show:
                try:
                    cv2.imshow(PROG, image)
                    key = cv2.waitKey(1) & 0xFF
                except cv2.error:
                    print("note: this OpenCV cannot open a window; continuing without display")
                    show = False
                    key = -1
                if key in (27, ord("q")):
                    break
            elif live and frames % 100 == 0:
                print(f"{frames} frames, {fps or 0.0:.1f} FPS", flush=True)
            if args.max_frames and frames >= args.max_frames:
                break
        finished = True
    except KeyboardInterrupt:
        finished = live  # Ctrl-C is how a camera run ends; a cut-short video is discarded
        if not live:
            raise
    finally:
        capture.release()
        if writer is not None:
            writer.release()
            if finished and os.path.exists(tmp_video):
                os.replace(tmp_video, video_path)
            else:
                remove_quietly(tmp_video)
        if show:
            cv2.destroyAllWindows()
    if frames == 0:
        raise RunnerError(f"no frame could be read from {args.input}")
    video = f", overlay video {video_path}" if writer is not None else ""
    print(f"{frames} frame(s){video}")


def command_run(args):
    require_numpy()
    bundle = load_bundle(args.bundle)
    kind = classify_input(args.input)
    args.out = prepare_out_dir(os.path.abspath(args.out))
    capture = None
    if kind in ("image", "folder"):
        paths = [args.input] if kind == "image" else list_images(args.input)
        if not paths:
            raise RunnerError("no image ({}) in {}".format(", ".join(IMAGE_EXTENSIONS), args.input))
    else:
        capture = open_capture(kind, args.input, args)
    try:
        engine, _, _, _ = open_engine(bundle, args.engine)
    except BaseException:
        if capture is not None:
            capture.release()
        raise
    segment = Segmenter(engine, bundle)
    palette = palette_array(bundle.classes)
    atomic_write_bytes(os.path.join(args.out, "classes.txt"), legend_text(bundle.classes).encode())
    if capture is None:
        run_images(paths, segment, palette, args)
    else:
        run_stream(capture, kind, segment, palette, args)
    return 0


# ---- bench ----------------------------------------------------------------------------------


def bench_frame(bundle, path=None):
    cv2 = import_cv2()
    if path is None:
        for entry in bundle.references:
            if "image" in entry:
                path = entry["image"]
                break
    if path is None:
        state = np.random.RandomState(0)
        return state.randint(0, 256, (bundle.height, bundle.width, 3)).astype(np.uint8), "random"
    frame = cv2.imread(path, cv2.IMREAD_COLOR)
    if frame is None:
        raise RunnerError(f"cannot read the bench frame {path}")
    return frame, path


def timed_loop(step, iterations):
    """Run step() `iterations` times: its own ms when it returns one, else the host timer's."""
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        measured = step()
        elapsed = (time.perf_counter() - start) * 1000.0
        times.append(measured if measured is not None else elapsed)
    return times


def measure(step, warmup, iterations, sampler):
    for _ in range(warmup):
        step()
    if sampler is not None:
        sampler.start()
    try:
        times = timed_loop(step, iterations)
    finally:
        samples = sampler.stop() if sampler is not None else []
    return times, samples


def reference_results(engine, bundle):
    """[(argmax agreement, max |logit diff|)] for each of the bundle's references."""
    results = []
    for entry in bundle.references:
        x, ref_logits, ref_ids = load_reference(bundle, entry)
        logits = np.array(engine.infer(x), dtype=np.float32)
        results.append(compare_outputs(logits, ref_logits, ref_ids, bundle.output_layout))
    return results


def aggregate_agreement(results):
    """Mean agreement (every reference has the same pixel count) and the worst logit diff."""
    if not results:
        return None, None
    agreement = sum(a for a, _ in results) / float(len(results))
    return agreement, max(d for _, d in results)


TIMING_NOTES = (
    "percentiles: linear interpolation between closest ranks (numpy's default)",
    "end_to_end: uint8 BGR frame -> resize/RGB/float32 -> H2D -> engine -> D2H -> argmax -> ids "
    "at frame size, host timer; model: execute_async_v2 alone on the GPU-resident input, CUDA "
    "events",
    "energy_wh: E = N * I * P / 3.6e6 (N energy_images, I latency_ms_mean, P power_w_mean)",
)


def bench_rows(
    bundle,
    runs,
    precision=None,
    warmup=None,
    energy_images=PAPER_ENERGY_IMAGES,
    power_source=None,
    agreement=None,
    max_diff=None,
    facts=None,
    versions=None,
    notes=(),
):
    """One result row per (timed, times_ms, power samples in mW) run."""
    facts = facts or {}
    rows = []
    for timed, times, samples in runs:
        stats = latency_summary(times)
        watts = mean_power_w(samples)
        gflops = bundle.gflops
        rows.append(
            make_result_row(
                date=utc_now(),
                git_commit=bundle.export.get("git_commit"),
                device=facts.get("device"),
                cpu=facts.get("cpu"),
                gpu=facts.get("gpu"),
                precision=precision,
                model=bundle.name,
                encoder=bundle.encoder,
                decoder=bundle.decoder,
                num_classes=bundle.num_classes,
                height=bundle.height,
                width=bundle.width,
                batch_size=bundle.input_shape[0],
                timed=timed,
                warmup=warmup,
                iterations=len(times),
                latency_ms_mean=stats["mean"],
                latency_ms_p50=stats["p50"],
                latency_ms_p90=stats["p90"],
                latency_ms_p99=stats["p99"],
                fps=stats["fps"],
                gflops=gflops,
                gflops_per_s=(gflops * stats["fps"]) if gflops and stats["fps"] else None,
                peak_host_memory_mb=peak_host_memory_mb(),
                power_source=power_source if watts is not None else None,
                power_w_mean=watts,
                energy_mj_per_frame=energy_mj_per_frame(watts, stats["mean"]),
                energy_images=energy_images if watts is not None else None,
                energy_wh=energy_wh(energy_images, stats["mean"], watts),
                argmax_agreement=agreement,
                max_abs_logit_diff=max_diff,
                versions=versions,
                notes="; ".join(list(notes) + list(TIMING_NOTES)),
            )
        )
    return rows


def command_bench(args):
    require_numpy()
    bundle = load_bundle(args.bundle)
    prepare_out_dir(os.path.dirname(os.path.abspath(args.results)))
    engine, sidecar, trt, cuda = open_engine(bundle, args.engine)
    frame, frame_source = bench_frame(bundle, args.frame)
    segment = Segmenter(engine, bundle)

    rails = discover_ina3221_rails(args.sysfs_root)
    tegrastats = shutil.which("tegrastats")
    source, message = choose_power_source(args.power, rails, tegrastats)
    print(message)

    def end_to_end():
        segment(frame)

    runs = []
    for timed, step in (("end_to_end", end_to_end), ("model", engine.time_engine_only)):
        sampler = make_sampler(source, rails, tegrastats, args.power_interval_ms)
        times, samples = measure(step, args.warmup, args.iterations, sampler)
        runs.append((timed, times, samples))

    agreement, max_diff = aggregate_agreement(reference_results(engine, bundle))
    mode = sidecar.get("power_mode") or power_mode()
    notes = [
        f"frame {frame_source} ({frame.shape[1]}x{frame.shape[0]})",
        "nvpmodel: " + str(nvpmodel_name(mode.get("nvpmodel")) or mode.get("nvpmodel")),
    ]
    if args.notes:
        notes.append(args.notes)
    rows = bench_rows(
        bundle,
        runs,
        precision=sidecar.get("precision"),
        warmup=args.warmup,
        energy_images=args.energy_images,
        power_source=source,
        agreement=agreement,
        max_diff=max_diff,
        facts=system_facts(cuda),
        versions=collect_versions(trt, cuda),
        notes=notes,
    )
    header = ("timed", "mean ms", "p50", "p90", "p99", "FPS", "W", "mJ/frame")
    print("{:<11} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>9}".format(*header))
    for row in rows:
        watts = row["power_w_mean"]
        print(
            "{:<11} {:9.2f} {:9.2f} {:9.2f} {:9.2f} {:8.1f} {:>8} {:>9}".format(
                row["timed"],
                row["latency_ms_mean"],
                row["latency_ms_p50"],
                row["latency_ms_p90"],
                row["latency_ms_p99"],
                row["fps"],
                "-" if watts is None else f"{watts:.2f}",
                "-" if watts is None else f"{row['energy_mj_per_frame']:.1f}",
            )
        )
    if source is not None and all(r["power_w_mean"] is None for r in rows):
        print("power: not available (no sample was read)")
    for row in rows:
        if row["energy_wh"] is not None:
            print(
                f"energy ({row['timed']}) for {row['energy_images']} images: "
                f"{row['energy_wh']:.4g} W*h"
            )
    append_rows(args.results, rows)
    print(f"appended {len(rows)} row(s) to {args.results}")
    return 0


# ---- check ----------------------------------------------------------------------------------


def read_trtexec_output(path, name, shape):
    """float32 array of one tensor from `trtexec --exportOutput=path` (TensorRT 8.x format:
    a list of {"name", "dimensions": "1x360x640x19", "values": [...]})."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as error:
        raise RunnerError(f"cannot read trtexec output {path}: {one_line(error)}") from None
    entries = data if isinstance(data, list) else [data]
    chosen = [e for e in entries if isinstance(e, dict) and e.get("name") in (name, name + ":0")]
    if not chosen and len(entries) == 1 and isinstance(entries[0], dict):
        chosen = entries
    if not chosen or "values" not in chosen[0]:
        names = [e.get("name") for e in entries if isinstance(e, dict)]
        raise RunnerError(f"{path} has no output {name!r} with values (it has {names})")
    entry = chosen[0]
    dims = tuple(int(d) for d in re.findall(r"\d+", str(entry.get("dimensions", ""))))
    values = np.asarray(entry["values"], dtype=np.float32)
    if dims != tuple(shape) or values.size != int(np.prod(shape)):
        raise RunnerError(
            f"{path}: output {entry.get('name')!r} is {list(dims)} with {values.size} values, "
            f"expected {list(shape)}"
        )
    return values.reshape(shape)


def command_check(args):
    require_numpy()
    bundle = load_bundle(args.bundle)
    if not bundle.references:
        raise BundleError(f"bundle {bundle.root} has no reference inputs to check against")
    if args.trtexec_output:
        if args.reference >= len(bundle.references):
            raise RunnerError(
                f"--reference={args.reference}: the bundle has {len(bundle.references)}"
            )
        entry = bundle.references[args.reference]
        logits = read_trtexec_output(args.trtexec_output, bundle.output_name, bundle.output_shape)
        _, ref_logits, ref_ids = load_reference(bundle, entry)
        agreement, diff = compare_outputs(logits, ref_logits, ref_ids, bundle.output_layout)
        print(
            f"{os.path.basename(args.trtexec_output)} vs reference {args.reference}: argmax "
            f"agreement {100 * agreement:.4f}%, max |logit diff| {diff:.3g}"
        )
        return _agreement_verdict(agreement, args.min_agreement)
    engine, sidecar, _, _ = open_engine(bundle, args.engine)
    results = reference_results(engine, bundle)
    for i, (entry, (agreement, diff)) in enumerate(zip(bundle.references, results)):
        gap = preprocessing_gap(bundle, entry)
        print(
            f"reference {i}: argmax agreement {100 * agreement:.4f}%, "
            f"max |logit diff| {diff:.3g}"
            + ("" if gap is None else f", host preprocessing vs bundled input {gap:.3g}")
        )
    agreement, worst = aggregate_agreement(results)
    precision = sidecar.get("precision", "unknown precision")
    print(
        f"{os.path.basename(args.engine)} ({precision}): argmax agreement "
        f"{100 * agreement:.4f}%, max |logit diff| {worst:.3g} over "
        f"{len(bundle.references)} reference(s)"
    )
    return _agreement_verdict(agreement, args.min_agreement)


def _agreement_verdict(agreement, minimum):
    if agreement < minimum:
        raise RunnerError(
            f"argmax agreement {agreement:.4f} is below --min_agreement={minimum:.4f}"
        )
    return 0


COMMANDS = {
    "build": command_build,
    "run": command_run,
    "bench": command_bench,
    "check": command_check,
}


def main(argv=None):
    args = parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except RunnerError as error:
        print(f"{PROG}: {one_line(error)}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(
            f"{PROG}: unexpected {type(error).__name__}: {one_line(error)} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
