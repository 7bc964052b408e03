"""The standalone Jetson TensorRT runner (tfseg/deploy/jetson/segment_trt.py).

TensorRT is absent here, so this checks what can be checked without it: Python 3.6 syntax
(vermin, and a real python3.6 where one exists), the import allow-list, every pure part (bundle
validation, pre/post-processing, palette, INA3221 rails on fake sysfs trees, tegrastats lines,
energy and percentile maths, the result row), the one-line errors, and the commands end to end
against a fake `tensorrt`/`pycuda` that follows the TensorRT 8.2 binding API the runner uses.
The test marked `tensorrt` builds and checks a real bundle and skips without TensorRT.
"""

import ast
import copy
import glob
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import types

import cv2
import numpy as np
import pytest

import tfseg.deploy

RUNNER = os.path.join(os.path.dirname(tfseg.deploy.__file__), "jetson", "segment_trt.py")
H, W, C = 4, 6, 3
ONNX_BYTES = b"onnx: a stand-in, parsed only by the fake TensorRT"
CENTERS = (0.0, 128.0, 255.0)  # the fake model's class = nearest centre to the R channel
CLASSES = [
    {"name": "road", "train_id": 0, "color": [128, 64, 128]},
    {"name": "car", "train_id": 1, "color": [0, 0, 142]},
    {"name": "sky", "train_id": 2, "color": [70, 130, 180]},
]
# tegrastats on a TX2 (L4T 32) and a TX1; the Nano's rails are POM_*, newer L4T adds "mW".
TX2_LINE = (
    "RAM 2344/7852MB (lfb 1154x4MB) SWAP 0/3926MB (cached 0MB) CPU [1%@345,off,off,1%@345,"
    "0%@345,2%@345] EMC_FREQ 4%@1600 GR3D_FREQ 0%@624 APE 150 PLL@37.5C MCPU@37.5C PMIC@100C "
    "Tboard@32C GPU@35C BCPU@37.5C thermal@36.5C Tdiode@34.25C VDD_SYS_GPU 152/152 "
    "VDD_SYS_SOC 687/687 VDD_4V0_WIFI 0/0 VDD_IN 3056/3056 VDD_SYS_CPU 152/152 "
    "VDD_SYS_DDR 883/883"
)
TX1_LINE = (
    "RAM 1245/3964MB (lfb 433x4MB) SWAP 0/1982MB (cached 0MB) IRAM 0/252kB(lfb 252kB) "
    "CPU [3%@102,1%@102,0%@102,0%@102] EMC_FREQ 0%@1600 GR3D_FREQ 0%@76 APE 25 AO@42.5C "
    "CPU@37.5C GPU@39C PLL@37C Tdiode@42.75C PMIC@100C Tboard@42C thermal@38.5C "
    "VDD_IN 2532/2698 VDD_CPU 76/178 VDD_GPU 19/19"
)
NANO_LINE = (
    "RAM 534/3964MB (lfb 98x4MB) SWAP 5/1982MB (cached 1MB) IRAM 0/252kB(lfb 252kB) "
    "CPU [16%@204,9%@204,0%@204,0%@204] EMC_FREQ 0%@204 GR3D_FREQ 0%@76 APE 25 "
    "POM_5V_IN 1022/1022 POM_5V_GPU 0/0 POM_5V_CPU 204/204"
)
NEW_L4T_LINE = "RAM 2841/30536MB CPU [0%@729] VDD_GPU_SOC 3568mW/3701mW VDD_IN 4927mW/4927mW"
# The INA3221 channels as L4T 32 names them (energymon's JetsonPowerRails.md); mW readings.
TX1_SYSFS = {
    "1-0040": [("VDD_IN", 3120), ("VDD_GPU", 19), ("VDD_CPU", 116)],
    "1-0042": [("VDD_MUX", 880), ("VDD_5V_IO_SYS", 400), ("VDD_3V3_SYS", 300)],
}
TX2_SYSFS = {
    "0-0040": [("VDD_SYS_GPU", 152), ("VDD_SYS_SOC", 687), ("VDD_4V0_WIFI", 0)],
    "0-0041": [("VDD_IN", 3056), ("VDD_SYS_CPU", 152), ("VDD_SYS_DDR", 883)],
    "0-0042": [("VDD_MUX", 944), ("VDD_5V0_IO_SYS", 500), ("VDD_3V3_SYS", 200)],
}


def load_runner():
    spec = importlib.util.spec_from_file_location("segment_trt_under_test", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rt = load_runner()


# ---- fixtures: a hand-made bundle, fake sysfs trees -----------------------------------------


def fake_model(x):
    """[1, H, W, 3] float32 RGB -> [1, H, W, C] logits: class = nearest centre to R."""
    red = x[..., 0:1]
    return -np.abs(red - np.asarray(CENTERS, np.float32)) / 10.0


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_bundle(root, seed=0):
    os.makedirs(os.path.join(root, "reference"))
    rgb = np.random.RandomState(seed).randint(0, 256, (H, W, 3)).astype(np.uint8)
    cv2.imwrite(os.path.join(root, "reference", "image_0.png"), rgb[..., ::-1])
    x = rgb.astype(np.float32)[np.newaxis]
    x.tofile(os.path.join(root, "reference", "input_0.bin"))
    logits = fake_model(x).astype(np.float32)
    np.save(os.path.join(root, "reference", "logits_0.npy"), logits)
    np.save(os.path.join(root, "reference", "class_ids_0.npy"), logits[0].argmax(-1).astype("u1"))
    with open(os.path.join(root, "model.onnx"), "wb") as f:
        f.write(ONNX_BYTES)
    reference = {
        "image": "reference/image_0.png",
        "input": "reference/input_0.bin",
        "logits": "reference/logits_0.npy",
        "class_ids": "reference/class_ids_0.npy",
    }
    files = {}
    for name in ["model.onnx", *reference.values()]:
        path = os.path.join(root, name)
        files[name] = {"bytes": os.path.getsize(path), "sha256": sha256(path)}
    export = {
        "format": "jetson",
        "tfseg_version": "0.1.0",
        "model": {"name": "skipnet_shufflenet", "encoder": "shufflenet", "decoder": "skipnet"},
        "input": {
            "name": "image",
            "shape": [1, H, W, 3],
            "dtype": "float32",
            "layout": "NHWC",
            "color": "RGB",
            "range": [0, 255],
            "resize": False,
            "normalization": "inside the model",
        },
        "outputs": [
            {"name": "logits", "shape": [1, H, W, C], "dtype": "float32", "layout": "NHWC"}
        ],
        "classes": copy.deepcopy(CLASSES),
        "files": files,
        "reference": [reference],
        "onnx": {"file": "model.onnx", "opset": 13},
    }
    export["model"]["num_classes"] = C
    write_export(root, export)
    return export


def write_export(root, export):
    with open(os.path.join(root, "export.json"), "w") as f:
        json.dump(export, f)


@pytest.fixture
def bundle_dir(tmp_path):
    root = str(tmp_path / "bundle")
    make_bundle(root)
    return root


def make_sysfs(root, layout, device_glob="iio:device{}"):
    """INA3221 sysfs: root/<bus-addr>/iio:deviceN/{rail_name_C, in_powerC_input, ...}."""
    for n, (address, rails) in enumerate(sorted(layout.items())):
        device = os.path.join(root, address, device_glob.format(n))
        os.makedirs(device)
        for channel, (name, mw) in enumerate(rails):
            for stem, value in (
                ("rail_name_%d", name),
                ("in_power%d_input", mw),
                ("in_current%d_input", 1),
                ("polling_delay_%d", 0),
            ):
                with open(os.path.join(device, stem % channel), "w") as f:
                    f.write(f"{value}\n")
    return root


# ---- Python 3.6: vermin, the import allow-list, a real 3.6 interpreter ----------------------


def test_vermin_says_the_runner_needs_only_python_3_6(tmp_path):
    pytest.importorskip("vermin", reason="vermin not installed (pip install vermin)")
    command = [sys.executable, "-c", "import sys; from vermin import main; sys.exit(main())"]
    flags = ["--no-tips", "--target=3.6-", "--violations", "--eval-annotations"]
    result = subprocess.run([*command, *flags, RUNNER], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # The same check rejects what 3.6 lacks, so a pass means something.
    bad = tmp_path / "bad.py"
    bad.write_text("import dataclasses\nif (n := 1):\n    print(f'{n=}')\n")
    result = subprocess.run([*command, *flags, str(bad)], capture_output=True, text=True)
    assert result.returncode != 0 and "3.8" in result.stdout


def runner_imports():
    """[(module, enclosing function or None)] for every import in the runner."""
    with open(RUNNER) as f:
        tree = ast.parse(f.read())
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef) else function
            if isinstance(child, ast.Import):
                found.extend((alias.name, function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                assert child.level == 0, "relative import"
                found.append((child.module, function))
            visit(child, inner)

    visit(tree, None)
    return found


def test_runner_imports_only_stdlib_numpy_cv2_tensorrt_and_pycuda():
    imports = runner_imports()
    top = {name.split(".")[0] for name, _ in imports}
    assert top - sys.stdlib_module_names <= {"numpy", "cv2", "tensorrt", "pycuda"}
    assert not top & {"tfseg", "tensorflow", "keras", "__future__", "dataclasses"}
    # TensorRT and pycuda only behind load_tensorrt(); cv2 only behind import_cv2().
    for name, function in imports:
        if name.split(".")[0] in ("tensorrt", "pycuda"):
            assert function == "load_tensorrt", (name, function)
        if name == "cv2":
            assert function == "import_cv2", function


def test_tfseg_deploy_names_the_bundle_files_without_importing_tensorflow():
    paths = tfseg.deploy.jetson_bundle_files()
    assert [os.path.basename(p) for p in paths] == [
        "segment_trt.py",
        "README.md",
        "requirements.txt",
    ]
    assert all(os.path.isfile(p) for p in paths) and paths[0] == RUNNER
    code = "import sys, tfseg.deploy; tfseg.deploy.jetson_bundle_files(); print(sorted(m for m in "
    code += "('tensorflow', 'keras', 'tfseg.deploy.jetson.segment_trt') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


def find_python36():
    """A Python 3.6: $TFSEG_PYTHON36 (e.g. a venv with numpy), else pyenv's 3.6.x."""
    candidates = [os.environ.get("TFSEG_PYTHON36", "")]
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=10)
        candidates += sorted(
            glob.glob(os.path.join(root.stdout.strip(), "versions/3.6*/bin/python3.6"))
        )
    except (OSError, subprocess.SubprocessError):
        pass
    candidates += sorted(glob.glob("/root/.pyenv/versions/3.6*/bin/python3.6"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


PYTHON36 = find_python36()
needs_python36 = pytest.mark.skipif(
    PYTHON36 is None, reason="no python3.6 (pyenv 3.6.x or $TFSEG_PYTHON36)"
)

# Runs the runner's pure parts and prints them as JSON: the same script runs under python3.6
# and under this Python, and the answers must agree. Python 3.6 syntax only.
DRIVER = r"""
import importlib.util, json, os, sys
runner, bundle, bad_bundle, tx1, tx2, line = sys.argv[1:7]
spec = importlib.util.spec_from_file_location("segment_trt", runner)
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
out = {"python": list(sys.version_info[:2])}
a = m.parse_args(["bench", "--bundle", bundle, "--iterations", "7", "--power=tegrastats"])
out["args"] = [a.command, os.path.basename(a.engine), os.path.basename(a.results), a.iterations,
               a.warmup, a.power, a.energy_images]
out["percentiles"] = [m.percentile([5, 1, 4, 2, 3], p) for p in (0, 25, 50, 90, 99, 100)]
out["summary"] = m.latency_summary([10.0, 20.0, 30.0, 40.0])
out["energy"] = [m.energy_wh(1525, 459.6, 4.16), m.energy_mj_per_frame(4.16, 459.6)]
rails = {}
for name, root in (("tx1", tx1), ("tx2", tx2)):
    found = m.discover_ina3221_rails(root)
    read, total = m.ina3221_reader(found)
    rails[name] = [[r.name, r.channel, os.path.basename(os.path.dirname(r.device))] for r in found]
    rails[name + "_total"] = [read(), total]
out["rails"] = rails
out["tegrastats"] = [list(m.parse_tegrastats_line(line).items()), m.tegrastats_board_mw(line)]
out["row"] = list(m.make_result_row(model="x", timed="model").items())
b = m.load_bundle(bundle)
out["bundle"] = [b.name, list(b.input_shape), list(b.output_shape), b.num_classes, b.class_names]
try:
    m.load_bundle(bad_bundle)
except m.BundleError as error:
    out["bad_bundle"] = str(error)
out["l4t"] = m.parse_l4t_release("# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t186ref")
out["trtexec"] = [m.trtexec_version("&&&& RUNNING TensorRT.trtexec [TensorRT v8201] # trtexec"),
                  m.same_tensorrt_version("8.2.1.8", "8.2.1"),
                  m.device_from_model("NVIDIA Jetson TX2\x00")]
try:
    import cv2
except ImportError:
    cv2 = None
if m.np is not None and cv2 is not None:
    np = m.np
    entry = b.references[0]
    frame = cv2.imread(entry["image"])
    big = cv2.resize(frame, (13, 9), interpolation=cv2.INTER_NEAREST)
    x = m.preprocess(big, b.height, b.width, b.color)
    _, logits, ids = m.load_reference(b, entry)
    palette = m.palette_array(b.classes)
    out["numpy"] = {
        "versions": [np.__version__, cv2.__version__],
        "gap": m.preprocessing_gap(b, entry),
        "x": [list(x.shape), str(x.dtype), float(x.sum())],
        "ids": m.argmax_ids(logits).tolist(),
        "resized": m.resize_ids(ids, 9, 13).tolist(),
        "overlay": int(m.overlay(frame, ids, palette, 0.5).astype("int64").sum()),
        "compare": list(m.compare_outputs(logits + 0.01, logits, ids)),
    }
else:
    out["numpy"] = None
print(json.dumps(out, sort_keys=True))
"""


@pytest.fixture
def driver_inputs(tmp_path, bundle_dir):
    bad = str(tmp_path / "bad")
    export = make_bundle(bad)
    export["model"]["num_classes"] = 4
    write_export(bad, export)
    tx1 = make_sysfs(str(tmp_path / "tx1"), TX1_SYSFS)
    tx2 = make_sysfs(str(tmp_path / "tx2"), TX2_SYSFS)
    return [bundle_dir, bad, tx1, tx2, TX2_LINE]


def run_driver(python, inputs, tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    result = subprocess.run(
        [python, str(script), RUNNER, *inputs], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@needs_python36
def test_python36_compiles_the_runner(tmp_path):
    command = [PYTHON36, "-c", "import py_compile, sys; py_compile.compile(sys.argv[1], "]
    command[-1] += "cfile=sys.argv[2], doraise=True)"
    result = subprocess.run([*command, RUNNER, str(tmp_path / "r.pyc")], capture_output=True)
    assert result.returncode == 0, result.stderr


@needs_python36
def test_python36_runs_the_pure_parts_like_this_python(tmp_path, driver_inputs):
    old = run_driver(PYTHON36, driver_inputs, tmp_path)
    new = run_driver(sys.executable, driver_inputs, tmp_path)
    assert old.pop("python") == [3, 6]
    assert new.pop("python") == list(sys.version_info[:2])
    if old["numpy"] is None:  # pyenv's bare 3.6: only the stdlib parts ran there
        new["numpy"] = None
    else:  # numpy/OpenCV of that era (e.g. JetPack's numpy 1.13.3, OpenCV 4.1.1)
        old["numpy"].pop("versions"), new["numpy"].pop("versions")
    assert old == new
    # and the answers are right (3.11 checks these in detail below)
    assert new["args"] == ["bench", "model.engine", "results.jsonl", 7, 50, "tegrastats", 1525]
    assert new["rails"]["tx2_total"] == [3056 + 944, ["VDD_IN", "VDD_MUX"]]
    assert "4 classes" in new["bad_bundle"] or "num_classes is 4" in new["bad_bundle"]


@needs_python36
def test_python36_cli_help_and_missing_tensorrt(bundle_dir):
    result = subprocess.run([PYTHON36, RUNNER, "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "build" in result.stdout and "bench" in result.stdout
    result = subprocess.run(
        [PYTHON36, RUNNER, "build", "--bundle", bundle_dir], capture_output=True, text=True
    )
    assert result.returncode == 3, result.stderr
    assert result.stderr.count("\n") == 1 and "TensorRT Python bindings not found" in result.stderr


# ---- command line ---------------------------------------------------------------------------


def test_parse_args_defaults(tmp_path):
    args = rt.parse_args(["build", "--bundle", str(tmp_path)])
    assert args.engine == str(tmp_path / "model.engine")
    assert (args.fp32, args.workspace_mb, args.trtexec) == (False, 1024, False)
    args = rt.parse_args(["bench", "--bundle", str(tmp_path), "--engine", "e.plan"])
    assert args.engine == os.path.abspath("e.plan")
    assert args.results == str(tmp_path / "results.jsonl")
    assert (args.warmup, args.iterations, args.power, args.energy_images) == (50, 500, "auto", 1525)
    args = rt.parse_args(["run", "--bundle", "b", "--input", "csi", "--out", "o"])
    assert (args.alpha, args.display, args.csi_width, args.csi_height) == (0.5, "auto", 1280, 720)
    assert rt.parse_args(["check", "--bundle", "b"]).min_agreement == 0.99


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["build"],
        ["bench", "--bundle", "b", "--iterations", "0"],
        ["bench", "--bundle", "b", "--power", "nvml"],
        ["run", "--bundle", "b", "--input", "x", "--out", "o", "--alpha", "2"],
        ["check", "--bundle", "b", "--min_agreement", "x"],
    ],
)
def test_bad_command_lines_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        rt.parse_args(argv)
    assert exit_info.value.code == 2


# ---- the bundle -----------------------------------------------------------------------------


def test_a_good_bundle_loads(bundle_dir):
    bundle = rt.load_bundle(bundle_dir)
    assert (bundle.name, bundle.encoder, bundle.decoder) == (
        "skipnet_shufflenet",
        "shufflenet",
        "skipnet",
    )
    assert bundle.input_shape == (1, H, W, 3) and bundle.output_shape == (1, H, W, C)
    assert (bundle.height, bundle.width, bundle.num_classes) == (H, W, C)
    assert bundle.class_names == ["road", "car", "sky"]
    assert bundle.onnx_path == os.path.join(bundle_dir, "model.onnx")
    assert bundle.references[0]["input"] == os.path.join(bundle_dir, "reference", "input_0.bin")


def _edit_export(key_path, value):
    def edit(export, root):
        target = export
        for key in key_path[:-1]:
            target = target[key]
        target[key_path[-1]] = value

    return edit


def _rewrite_file(name, data):
    def edit(export, root):
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)

    return edit


def _remove_file(name):
    return lambda export, root: os.remove(os.path.join(root, name))


def _save_npy(name, array, update_files=True):
    def edit(export, root):
        path = os.path.join(root, name)
        np.save(path, array)
        if update_files:
            export["files"][name] = {"bytes": os.path.getsize(path), "sha256": sha256(path)}

    return edit


def _short_input(export, root):
    del export["files"]["reference/input_0.bin"]  # so that the size check against the shape acts
    _rewrite_file("reference/input_0.bin", b"\0" * 12)(export, root)


MISMATCHES = {
    "sha256": (_rewrite_file("model.onnx", ONNX_BYTES.upper()), "sha256 of model.onnx"),
    "size": (_rewrite_file("model.onnx", b"onnx"), "model.onnx has 4 bytes"),
    "missing file": (_remove_file("reference/logits_0.npy"), "reference/logits_0.npy is listed"),
    "classes": (_edit_export(["model", "num_classes"], 4), "num_classes is 4"),
    "output channels": (_edit_export(["outputs", 0, "shape"], [1, H, W, 5]), "has 5 classes"),
    "output size": (
        _edit_export(["outputs", 0, "shape"], [1, H + 1, W, C]),
        "differs from the input size",
    ),
    "uint8 input": (_edit_export(["input", "dtype"], "uint8"), "needs float32"),
    "format": (_edit_export(["format"], "tflite"), "expected 'jetson'"),
    "train ids": (_edit_export(["classes", 2, "train_id"], 7), "train_id 0..2"),
    "colour": (_edit_export(["classes", 0, "color"], [1, 2]), "RGB color"),
    "onnx file": (_edit_export(["onnx", "file"], "other.onnx"), "other.onnx is missing"),
    "input bytes": (_short_input, "input_0.bin has 12 bytes, expected 288"),
    "logits shape": (
        _save_npy("reference/logits_0.npy", np.zeros((1, H, W, C + 1), np.float32)),
        "logits_0.npy is <f4 [1, 4, 6, 4]",
    ),
    "class ids dtype": (
        _save_npy("reference/class_ids_0.npy", np.zeros((H, W), np.int64)),
        "expected uint8",
    ),
}


@pytest.mark.parametrize("case", sorted(MISMATCHES))
def test_a_bundle_that_does_not_match_export_json_is_one_clear_error(tmp_path, case):
    root = str(tmp_path / "bundle")
    export = make_bundle(root)
    edit, expected = MISMATCHES[case]
    edit(export, root)
    write_export(root, export)
    with pytest.raises(rt.BundleError) as error:
        rt.load_bundle(root)
    message = str(error.value)
    assert expected in message and "\n" not in message


def test_not_a_bundle(tmp_path):
    with pytest.raises(rt.BundleError, match="not found"):
        rt.load_bundle(str(tmp_path / "nothing"))
    (tmp_path / "export.json").write_text("{not json")
    with pytest.raises(rt.BundleError, match="not valid JSON"):
        rt.load_bundle(str(tmp_path))


def test_npy_header_is_read_without_numpy(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 3, 4), np.float32))
    assert rt.read_npy_header(str(tmp_path / "a.npy")) == ("<f4", (2, 3, 4))
    (tmp_path / "b.npy").write_bytes(b"\x93NUMPY\x01\x00\xff")
    with pytest.raises(rt.BundleError, match="damaged"):
        rt.read_npy_header(str(tmp_path / "b.npy"))


# ---- pre- and post-processing ---------------------------------------------------------------


def test_preprocess_resizes_bilinear_swaps_to_rgb_and_casts():
    frame = np.random.RandomState(1).randint(0, 256, (9, 14, 3)).astype(np.uint8)
    x = rt.preprocess(frame, H, W, "RGB")
    assert x.shape == (1, H, W, 3) and x.dtype == np.float32 and x.flags["C_CONTIGUOUS"]
    expected = cv2.resize(frame, (W, H), interpolation=cv2.INTER_LINEAR)[..., ::-1]
    np.testing.assert_array_equal(x[0], expected.astype(np.float32))
    same = rt.preprocess(frame, 9, 14, "RGB")  # no resize at the input size
    np.testing.assert_array_equal(same[0], frame[..., ::-1].astype(np.float32))
    np.testing.assert_array_equal(rt.preprocess(frame, 9, 14, "BGR")[0], frame.astype(np.float32))
    gray = frame[..., 0]
    assert rt.preprocess(gray, H, W).shape == (1, H, W, 3)
    bgra = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
    np.testing.assert_array_equal(rt.preprocess(bgra, H, W), x)


def test_host_preprocessing_reproduces_the_bundled_input(bundle_dir):
    bundle = rt.load_bundle(bundle_dir)
    assert rt.preprocessing_gap(bundle, bundle.references[0]) == 0.0


def test_argmax_and_nearest_resize_keep_labels():
    logits = np.zeros((1, 2, 3, 4), np.float32)
    logits[0, 0, 0, 3] = logits[0, 1, 2, 1] = 1.0
    ids = rt.argmax_ids(logits)
    assert ids.dtype == np.uint8 and ids.tolist() == [[3, 0, 0], [0, 0, 1]]
    nchw = np.transpose(logits, (0, 3, 1, 2))
    assert rt.argmax_ids(nchw, "NCHW").tolist() == ids.tolist()
    big = rt.resize_ids(ids, 7, 11)
    assert big.shape == (7, 11) and big.dtype == np.uint8 and set(big.ravel()) == {0, 1, 3}
    assert rt.resize_ids(ids, 2, 3) is ids


def test_palette_colours_and_overlay():
    palette = rt.palette_array(CLASSES)
    assert palette.shape == (256, 3) and palette[1].tolist() == [0, 0, 142]
    assert palette[255].tolist() == [0, 0, 0]  # ignore label: black
    ids = np.array([[0, 1], [2, 255]], np.uint8)
    rgb = rt.colorize(ids, palette)
    assert rgb[0, 1].tolist() == [0, 0, 142] and rgb[1, 1].tolist() == [0, 0, 0]
    frame = np.full((2, 2, 3), 100, np.uint8)
    np.testing.assert_array_equal(rt.overlay(frame, ids, palette, 0.0), frame)
    np.testing.assert_array_equal(rt.overlay(frame, ids, palette, 1.0), rgb[..., ::-1])
    half = rt.overlay(frame, ids, palette, 0.5)
    assert half[0, 1].tolist() == [121, 50, 50]  # BGR of (0, 0, 142) half over 100


def test_compare_outputs():
    logits = fake_model(np.random.RandomState(2).uniform(0, 255, (1, H, W, 3)).astype(np.float32))
    assert rt.compare_outputs(logits, logits) == (1.0, 0.0)
    flipped = logits.copy()
    flipped[0, 0, 0] = -logits[0, 0, 0]  # one pixel's argmax moves
    agreement, diff = rt.compare_outputs(flipped, logits)
    assert agreement == pytest.approx(1 - 1 / (H * W)) and diff > 0
    with pytest.raises(rt.RunnerError, match="differs"):
        rt.compare_outputs(logits[:, :2], logits)


def test_trtexec_export_output_is_read_and_checked(tmp_path):
    logits = fake_model(np.random.RandomState(3).uniform(0, 255, (1, H, W, 3)).astype(np.float32))
    path = tmp_path / "out.json"
    dims = "x".join(str(d) for d in logits.shape)
    path.write_text(
        json.dumps([{"name": "logits", "dimensions": dims, "values": logits.ravel().tolist()}])
    )
    np.testing.assert_array_equal(rt.read_trtexec_output(str(path), "logits", logits.shape), logits)
    with pytest.raises(rt.RunnerError, match="expected"):
        rt.read_trtexec_output(str(path), "logits", (1, H, W, C + 1))


# ---- input sources and outputs --------------------------------------------------------------


def test_inputs_are_classified(tmp_path):
    (tmp_path / "a.JPG").write_bytes(b"")
    (tmp_path / "clip.mp4").write_bytes(b"")
    assert rt.classify_input("csi") == "csi"
    assert rt.classify_input("/dev/video1") == rt.classify_input("0") == "camera"
    assert rt.classify_input("v4l2src ! appsink") == "gstreamer"
    assert rt.classify_input(str(tmp_path)) == "folder"
    assert rt.classify_input(str(tmp_path / "a.JPG")) == "image"
    assert rt.classify_input(str(tmp_path / "clip.mp4")) == "video"
    with pytest.raises(rt.RunnerError, match="input not found"):
        rt.classify_input(str(tmp_path / "missing.png"))
    assert rt.list_images(str(tmp_path)) == [str(tmp_path / "a.JPG")]


def test_csi_pipeline_and_display():
    pipeline = rt.csi_pipeline(1, 1920, 1080, 30, 2)
    assert pipeline.startswith("nvarguscamerasrc sensor-id=1 ! ")
    assert "width=(int)1920, height=(int)1080" in pipeline and "flip-method=2" in pipeline
    assert pipeline.endswith("appsink drop=true max-buffers=1")
    assert rt.want_display("auto", {"DISPLAY": ":0"}) and not rt.want_display("auto", {})
    assert rt.want_display("yes", {}) and not rt.want_display("no", {"DISPLAY": ":0"})
    assert rt.fps_update(None, 0.1) == pytest.approx(10.0)
    assert rt.fps_update(10.0, 0.05) == pytest.approx(11.0)


def test_output_names_and_legend():
    assert rt.output_stems(["d/a.png", "d/a.jpg", "d/b.png"]) == ["a", "a_jpg", "b"]
    legend = rt.legend_text(CLASSES).splitlines()
    assert legend[0].startswith("#") and legend[2] == "1 car 0 0 142"


def test_an_unwritable_output_folder_is_one_clear_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(rt.RunnerError, match="not writable"):
        rt.prepare_out_dir(str(tmp_path / "file" / "out"))
    assert rt.prepare_out_dir(str(tmp_path / "new" / "out")) == str(tmp_path / "new" / "out")


def test_atomic_writes_leave_no_temporary_files(tmp_path):
    rt.atomic_write_bytes(str(tmp_path / "a.bin"), b"abc")
    assert (tmp_path / "a.bin").read_bytes() == b"abc"
    assert os.listdir(tmp_path) == ["a.bin"]
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(tmp_path / "a.bin").st_mode & 0o777 == 0o666 & ~umask


# ---- power: INA3221 rails, tegrastats -------------------------------------------------------


def test_tx1_rails_are_found_by_name(tmp_path):
    rails = rt.discover_ina3221_rails(make_sysfs(str(tmp_path), TX1_SYSFS))
    names = [r.name for r in rails]
    assert names == ["VDD_IN", "VDD_GPU", "VDD_CPU", "VDD_MUX", "VDD_5V_IO_SYS", "VDD_3V3_SYS"]
    read, total = rt.ina3221_reader(rails)
    assert total == ["VDD_IN", "VDD_MUX"] and read() == 3120 + 880


def test_tx2_rails_are_found_whatever_their_channel(tmp_path):
    rails = rt.discover_ina3221_rails(make_sysfs(str(tmp_path), TX2_SYSFS))
    by_name = {r.name: r for r in rails}
    assert by_name["VDD_IN"].channel == 0 and by_name["VDD_IN"].device.endswith(
        "0-0041/iio:device1"
    )
    assert by_name["VDD_SYS_GPU"].device.endswith("0-0040/iio:device0")
    read, total = rt.ina3221_reader(rails)
    assert read() == 3056 + 944
    # a module on its own (no carrier VDD_MUX), a rail without a reading, the L4T 28 layout
    layout = {"0-0041": [("VDD_SYS_CPU", 152), ("VDD_IN", 2000)]}
    root = make_sysfs(str(tmp_path / "module"), layout, device_glob="iio_device")
    os.remove(os.path.join(root, "0-0041", "iio_device", "in_power0_input"))
    rails = rt.discover_ina3221_rails(root)
    assert [(r.name, r.channel) for r in rails] == [("VDD_IN", 1)]
    assert rt.ina3221_reader(rails)[0]() == 2000


def test_no_rails_means_power_not_available(tmp_path):
    assert rt.discover_ina3221_rails(str(tmp_path / "none")) == []
    assert rt.ina3221_reader([])[0]() is None
    assert rt.choose_power_source("auto", [], None) == (
        None,
        "power: not available (no INA3221 rails, no tegrastats)",
    )
    source, message = rt.choose_power_source("ina3221", [], "/usr/bin/tegrastats")
    assert source is None and message.startswith("power: not available")
    assert rt.choose_power_source("auto", [], "/usr/bin/tegrastats")[0] == "tegrastats"
    assert rt.choose_power_source("none", [], "/usr/bin/tegrastats")[0] is None
    rails = rt.discover_ina3221_rails(make_sysfs(str(tmp_path / "tx2"), TX2_SYSFS))
    assert rt.choose_power_source("auto", rails, "/usr/bin/tegrastats")[0] == "ina3221"
    assert rt.choose_power_source("tegrastats", rails, "/usr/bin/tegrastats")[0] == "tegrastats"


def test_tegrastats_lines():
    rails = rt.parse_tegrastats_line(TX2_LINE)
    assert list(rails) == [
        "VDD_SYS_GPU", "VDD_SYS_SOC", "VDD_4V0_WIFI", "VDD_IN", "VDD_SYS_CPU", "VDD_SYS_DDR",
    ]  # fmt: skip
    assert rails["VDD_IN"] == (3056.0, 3056.0)
    assert rt.tegrastats_board_mw(TX2_LINE) == 3056.0
    assert rt.parse_tegrastats_line(TX1_LINE)["VDD_IN"] == (2532.0, 2698.0)
    assert rt.tegrastats_board_mw(TX1_LINE + " VDD_MUX 1000/1000") == 3532.0
    assert rt.tegrastats_board_mw(NANO_LINE) == 1022.0
    assert rt.parse_tegrastats_line(NEW_L4T_LINE) == {
        "VDD_GPU_SOC": (3568.0, 3701.0),
        "VDD_IN": (4927.0, 4927.0),
    }
    assert rt.tegrastats_board_mw("RAM 2344/7852MB SWAP 0/3926MB") is None


def test_power_sampler_reads_on_a_background_thread():
    values = iter([1000.0, None, 3000.0] + [2000.0] * 1000)
    sampler = rt.PowerSampler(lambda: next(values), 0.001).start()
    while len(sampler.samples) < 5:
        pass
    samples = sampler.stop()
    assert samples[:2] == [1000.0, 3000.0] and None not in samples
    assert rt.mean_power_w([1000.0, 3000.0]) == 2.0 and rt.mean_power_w([]) is None


def test_tegrastats_sampler_parses_a_running_command(tmp_path):
    fake = tmp_path / "tegrastats"
    fake.write_text(f"#!/bin/sh\nwhile true; do echo '{TX2_LINE}'; sleep 0.01; done\n")
    fake.chmod(0o755)
    sampler = rt.TegrastatsSampler(str(fake), 10).start()
    while len(sampler.samples) < 3:
        pass
    samples = sampler.stop()
    assert set(samples) == {3056.0} and sampler.process.poll() is not None


# ---- energy, percentiles, the result row ----------------------------------------------------


def test_energy_follows_the_seed_paper():
    # Table 13: Jetson TX1, 4.16 W and 0.810 W*h for 1525 images, so I = 459.6 ms per image.
    assert rt.energy_wh(1525, 459.6, 4.16) == pytest.approx(0.810, abs=5e-4)
    assert rt.energy_wh(1525, 1000.0, 3.6) == pytest.approx(1525 / 1000)
    assert rt.energy_mj_per_frame(4.0, 25.0) == 100.0  # 4 W for 25 ms = 100 mJ
    assert rt.energy_wh(1525, 10.0, None) is None and rt.energy_mj_per_frame(None, 1) is None


def test_percentiles_are_numpys_linear_interpolation():
    data = list(np.random.RandomState(4).lognormal(3, 0.5, 501))
    for p in (0, 1, 50, 90, 99, 99.9, 100):
        assert rt.percentile(data, p) == pytest.approx(float(np.percentile(data, p)), rel=1e-12)
    assert rt.percentile([1, 2, 3, 4], 50) == 2.5 and rt.percentile([7], 99) == 7
    assert rt.percentile([], 50) is None
    with pytest.raises(ValueError):
        rt.percentile([1], 101)
    summary = rt.latency_summary([10.0, 20.0, 30.0, 40.0])
    assert summary == {"mean": 25.0, "p50": 25.0, "p90": 37.0, "p99": 39.7, "fps": 40.0}


RESULT_FIELDS = (
    "schema_version", "date", "git_commit", "device", "cpu", "gpu", "runtime", "precision",
    "model", "encoder", "decoder", "num_classes", "height", "width", "batch_size", "timed",
    "warmup", "iterations", "latency_ms_mean", "latency_ms_p50", "latency_ms_p90",
    "latency_ms_p99", "fps", "gflops", "gflops_per_s", "peak_host_memory_mb",
    "peak_gpu_memory_mb", "power_source", "power_w_mean", "energy_mj_per_frame", "energy_images",
    "energy_wh", "argmax_agreement", "max_abs_logit_diff", "threads", "versions", "notes",
)  # fmt: skip


def test_the_result_row_has_exactly_the_result_fields():
    assert rt.RESULT_FIELDS == RESULT_FIELDS
    row = rt.make_result_row(model="m", fps=10.0)
    assert tuple(row) == RESULT_FIELDS
    assert (row["schema_version"], row["runtime"], row["model"], row["gpu"]) == (
        1,
        "tensorrt",
        "m",
        None,
    )
    with pytest.raises(ValueError, match="not result fields: speed"):
        rt.make_result_row(speed=1)


def test_bench_rows(bundle_dir):
    bundle = rt.load_bundle(bundle_dir)
    runs = [("end_to_end", [10.0, 20.0, 30.0], [4000.0, 4000.0]), ("model", [5.0, 5.0], [])]
    rows = rt.bench_rows(
        bundle, runs, precision="fp16", warmup=3, power_source="ina3221", agreement=1.0,
        max_diff=0.0, facts={"device": "jetson-tx2"}, versions={"python": "3.6.9"}, notes=["n"],
    )  # fmt: skip
    assert [tuple(r) for r in rows] == [RESULT_FIELDS, RESULT_FIELDS]
    e2e, model = rows
    assert (e2e["timed"], e2e["iterations"], e2e["latency_ms_mean"], e2e["fps"]) == (
        "end_to_end", 3, 20.0, 50.0
    )  # fmt: skip
    assert (e2e["power_source"], e2e["power_w_mean"], e2e["energy_mj_per_frame"]) == (
        "ina3221",
        4.0,
        80.0,
    )
    assert e2e["energy_images"] == 1525
    assert e2e["energy_wh"] == pytest.approx(1525 * 20.0 * 4.0 / 3.6e6)
    assert (e2e["device"], e2e["num_classes"], e2e["height"], e2e["batch_size"]) == (
        "jetson-tx2",
        C,
        H,
        1,
    )
    assert model["power_source"] is model["power_w_mean"] is model["energy_wh"] is None
    assert model["notes"].startswith("n; percentiles: linear interpolation")
    json.dumps(rows)


def test_system_facts_parsers():
    assert rt.device_from_model("NVIDIA Jetson TX2\x00") == "jetson-tx2"
    assert rt.device_from_model("NVIDIA Jetson TX1 Developer Kit") == "jetson-tx1"
    assert rt.device_from_model("") is None
    release = "# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t186ref, EABI: aarch64"
    assert rt.parse_l4t_release(release) == "32.7.1" and rt.L4T_TO_JETPACK["32.7.1"] == "4.6.1"
    tx2 = "".join(
        f"processor\t: {i}\nCPU implementer\t: {impl}\nCPU part\t: {part}\n\n"
        for i, (impl, part) in enumerate(
            [("0x41", "0xd07"), ("0x4e", "0x003"), ("0x4e", "0x003")] + [("0x41", "0xd07")] * 3
        )
    )
    assert rt.describe_cpu(tx2) == "4x Cortex-A57 + 2x Denver2"
    assert (
        rt.describe_cpu("model name\t: AMD EPYC\nmodel name\t: AMD EPYC\n")
        == "AMD EPYC (2 threads)"
    )
    assert rt.nvpmodel_name("NVPM VERB: Current mode: NV Power Mode: MAXN\n0") == "MAXN"
    assert rt.trtexec_version("[TensorRT v8201] # trtexec") == "8.2.1"
    assert rt.trtexec_version("[TensorRT v100300] # trtexec") == "10.3.0"
    assert rt.same_tensorrt_version("8.2.1.8", "8.2.1") and not rt.same_tensorrt_version(
        "8.2.1", "8.0.1"
    )
    assert rt.run_text(["surely-not-a-command-here"]) == "not available"
    command = rt.trtexec_build_command("trtexec", "m.onnx", "m.engine", True, 512)
    assert command == ["trtexec", "--onnx=m.onnx", "--saveEngine=m.engine", "--buildOnly",
                       "--workspace=512", "--fp16"]  # fmt: skip


# ---- without TensorRT: one line, exit 3 -----------------------------------------------------


def run_cli(*args):
    env = dict(os.environ, OPENCV_LOG_LEVEL="ERROR")
    return subprocess.run(
        [sys.executable, RUNNER, *args], capture_output=True, text=True, env=env, timeout=60
    )


def tensorrt_importable():
    return importlib.util.find_spec("tensorrt") is not None


@pytest.mark.skipif(tensorrt_importable(), reason="TensorRT is installed here")
@pytest.mark.parametrize("command", ["build", "bench", "check", "run"])
def test_without_tensorrt_each_command_exits_3_with_one_line(bundle_dir, tmp_path, command):
    extra = ["--input", bundle_dir + "/reference", "--out", str(tmp_path / "out")]
    before = sorted(os.listdir(bundle_dir))
    result = run_cli(command, "--bundle", bundle_dir, *(extra if command == "run" else []))
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("segment_trt: TensorRT Python bindings not found: this runs ")
    assert "JetPack 4.6 (sudo apt install python3-libnvinfer)" in result.stderr
    assert sorted(os.listdir(bundle_dir)) == before  # nothing half-written


def test_trtexec_build_without_trtexec_is_one_line(bundle_dir):
    result = run_cli("build", "--bundle", bundle_dir, "--trtexec", "--trtexec_path", "/no/trtexec")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "trtexec not found" in result.stderr
    assert not [n for n in os.listdir(bundle_dir) if n.startswith(".")]


def test_cli_errors_before_tensorrt_are_one_line(bundle_dir, tmp_path):
    (tmp_path / "file").write_text("")
    cases = [
        (["run", "--bundle", bundle_dir, "--input", "/dev/video9", "--out", str(tmp_path / "o")],
         "cannot open camera /dev/video9"),
        (["run", "--bundle", bundle_dir, "--input", bundle_dir, "--out", str(tmp_path / "o")],
         "no image"),
        (["run", "--bundle", bundle_dir, "--input", "nope.png", "--out", str(tmp_path / "o")],
         "input not found: nope.png"),
        (["run", "--bundle", bundle_dir, "--input", bundle_dir + "/reference",
          "--out", str(tmp_path / "file" / "o")], "is not writable"),
        (["bench", "--bundle", str(tmp_path / "none")], "bundle folder not found"),
    ]  # fmt: skip
    for argv, expected in cases:
        result = run_cli(*argv)
        assert result.returncode == 1, (argv, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and expected in lines[0] and "Traceback" not in result.stderr


def test_check_against_a_trtexec_export_needs_no_cuda(bundle_dir, tmp_path):
    bundle = rt.load_bundle(bundle_dir)
    _, logits, _ = rt.load_reference(bundle, bundle.references[0])
    out = tmp_path / "out.json"
    entry = {"name": "logits", "dimensions": f"1x{H}x{W}x{C}"}
    out.write_text(json.dumps([dict(entry, values=logits.ravel().tolist())]))
    result = run_cli("check", "--bundle", bundle_dir, "--trtexec_output", str(out))
    assert result.returncode == 0, result.stderr
    assert "argmax agreement 100.0000%, max |logit diff| 0" in result.stdout
    out.write_text(json.dumps([dict(entry, values=(-logits).ravel().tolist())]))
    result = run_cli("check", "--bundle", bundle_dir, "--trtexec_output", str(out))
    assert result.returncode == 1 and "below --min_agreement=0.9900" in result.stderr


# ---- the commands end to end on a fake TensorRT 8.2 / pycuda --------------------------------


class DevicePointer:
    def __init__(self, address):
        self.address = address

    def __int__(self):
        return self.address


class FakeCuda(types.ModuleType):
    """The slice of pycuda.driver the runner uses; device memory is numpy bytes."""

    def __init__(self):
        super().__init__("pycuda.driver")
        self.memory = {}

    def mem_alloc(self, nbytes):
        pointer = DevicePointer(len(self.memory) + 1)
        self.memory[int(pointer)] = np.zeros(nbytes, np.uint8)
        return pointer

    def pagelocked_empty(self, shape, dtype):
        return np.empty(shape, dtype)

    def memcpy_htod_async(self, device, host, stream=None):
        self.memory[int(device)][:] = np.ascontiguousarray(host).view(np.uint8).ravel()

    def memcpy_dtoh_async(self, host, device, stream=None):
        host.view(np.uint8).reshape(-1)[:] = self.memory[int(device)]

    def Stream(self):
        return types.SimpleNamespace(handle=0, synchronize=lambda: None)

    def Event(self):
        return types.SimpleNamespace(
            record=lambda stream=None: None, synchronize=lambda: None, time_till=lambda e: 0.5
        )

    def Device(self, index):
        return types.SimpleNamespace(name=lambda: "Fake Tegra X2")

    def get_version(self):
        return (10, 2, 0)


class FakeEngine:
    def __init__(self, cuda, scramble=False):
        self.cuda, self.scramble = cuda, scramble
        self.num_bindings = 2
        self._bindings = [("image", (1, H, W, 3), True), ("logits", (1, H, W, C), False)]

    def get_binding_name(self, i):
        return self._bindings[i][0]

    def get_binding_shape(self, i):
        return self._bindings[i][1]

    def get_binding_dtype(self, i):
        return "float32"

    def binding_is_input(self, i):
        return self._bindings[i][2]

    def create_execution_context(self):
        engine = self

        class Context:
            def execute_async_v2(self, bindings, stream_handle):
                memory = engine.cuda.memory
                x = memory[bindings[0]].view(np.float32).reshape(1, H, W, 3)
                logits = fake_model(x).astype(np.float32)
                if engine.scramble:
                    logits = logits[..., ::-1].copy()
                memory[bindings[1]][:] = logits.view(np.uint8).ravel()
                return True

        return Context()


def fake_tensorrt(cuda, version="8.2.1.8", scramble=False):
    trt = types.ModuleType("tensorrt")
    trt.__version__ = version
    trt.Logger = type("Logger", (), {"WARNING": 2, "__init__": lambda self, level=0: None})
    trt.nptype = lambda dtype: np.float32
    trt.NetworkDefinitionCreationFlag = types.SimpleNamespace(EXPLICIT_BATCH=0)
    trt.BuilderFlag = types.SimpleNamespace(FP16="FP16")

    class Runtime:
        def __init__(self, logger):
            pass

        def deserialize_cuda_engine(self, data):
            return FakeEngine(cuda, scramble) if bytes(data) == b"fake engine" else None

    class Network:
        num_inputs = 1

        def get_input(self, i):
            return types.SimpleNamespace(shape=(1, H, W, 3))

    class Parser:
        num_errors = 0

        def __init__(self, network, logger):
            pass

        def parse(self, data):
            if data.startswith(b"onnx"):
                return True
            self.num_errors = 1
            return False

        def get_error(self, i):
            return "In node 0: unsupported\nop"

    class Config:
        def __init__(self):
            self.flags, self.max_workspace_size = [], None

        def set_flag(self, flag):
            self.flags.append(flag)

    class Builder:
        platform_has_fast_fp16 = True

        def __init__(self, logger):
            pass

        def create_network(self, flags):
            return Network()

        def create_builder_config(self):
            trt.last_config = Config()
            return trt.last_config

        def build_serialized_network(self, network, config):
            return b"fake engine"

    trt.Runtime, trt.Builder, trt.OnnxParser = Runtime, Builder, Parser
    return trt


@pytest.fixture
def fake_gpu(monkeypatch):
    cuda = FakeCuda()
    pycuda = types.ModuleType("pycuda")
    pycuda.driver, pycuda.VERSION_TEXT = cuda, "2022.1"
    monkeypatch.setitem(sys.modules, "pycuda", pycuda)
    monkeypatch.setitem(sys.modules, "pycuda.driver", cuda)
    monkeypatch.setitem(sys.modules, "pycuda.autoinit", types.ModuleType("pycuda.autoinit"))
    monkeypatch.setitem(sys.modules, "tensorrt", fake_tensorrt(cuda))

    def use(**options):
        monkeypatch.setitem(sys.modules, "tensorrt", fake_tensorrt(cuda, **options))

    return use


def test_fake_gpu_build_then_check(bundle_dir, fake_gpu, capsys):
    assert rt.main(["build", "--bundle", bundle_dir, "--workspace_mb", "64"]) == 0
    engine = os.path.join(bundle_dir, "model.engine")
    assert open(engine, "rb").read() == b"fake engine"
    sidecar = json.load(open(engine + ".json"))
    assert (sidecar["tensorrt_version"], sidecar["precision"], sidecar["workspace_mb"]) == (
        "8.2.1.8", "fp16", 64
    )  # fmt: skip
    assert sys.modules["tensorrt"].last_config.max_workspace_size == 64 << 20
    assert set(sidecar["power_mode"]) == {"nvpmodel", "jetson_clocks"}
    assert sidecar["power_mode"]["nvpmodel"] == "not available"
    assert not [n for n in os.listdir(bundle_dir) if n.startswith(".")]
    assert rt.main(["build", "--bundle", bundle_dir, "--fp32"]) == 0
    assert json.load(open(engine + ".json"))["precision"] == "fp32"
    assert sys.modules["tensorrt"].last_config.flags == []

    assert rt.main(["check", "--bundle", bundle_dir]) == 0
    out = capsys.readouterr().out
    assert "reference 0: argmax agreement 100.0000%, max |logit diff| 0" in out
    assert "host preprocessing vs bundled input 0" in out

    fake_gpu(scramble=True)
    assert rt.main(["check", "--bundle", bundle_dir]) == 1
    assert "below --min_agreement" in capsys.readouterr().err


def test_fake_gpu_onnx_parser_errors_are_printed(bundle_dir, fake_gpu, capsys):
    export = json.load(open(os.path.join(bundle_dir, "export.json")))
    with open(os.path.join(bundle_dir, "model.onnx"), "wb") as f:
        f.write(b"garbage")
    del export["files"]["model.onnx"]
    write_export(bundle_dir, export)
    assert rt.main(["build", "--bundle", bundle_dir]) == 1
    err = capsys.readouterr().err
    assert "onnx parser: In node 0: unsupported op" in err
    assert err.splitlines()[-1].startswith("segment_trt: TensorRT's ONNX parser rejected")
    assert not os.path.exists(os.path.join(bundle_dir, "model.engine"))
    assert not [n for n in os.listdir(bundle_dir) if n.startswith(".")]


def test_fake_gpu_engine_from_another_tensorrt_is_refused(bundle_dir, fake_gpu, capsys):
    assert rt.main(["build", "--bundle", bundle_dir]) == 0
    fake_gpu(version="8.0.1.6")
    assert rt.main(["check", "--bundle", bundle_dir]) == 1
    err = capsys.readouterr().err
    assert "built by TensorRT 8.2.1.8 but this is TensorRT 8.0.1.6: rebuild it" in err
    assert err.count("\n") == 1
    os.remove(os.path.join(bundle_dir, "model.engine.json"))  # no sidecar: TensorRT decides
    with open(os.path.join(bundle_dir, "model.engine"), "wb") as f:
        f.write(b"an engine of another TensorRT")
    assert rt.main(["check", "--bundle", bundle_dir]) == 1
    assert "could not deserialize the engine" in capsys.readouterr().err


def test_fake_gpu_run_images_folder_and_video(bundle_dir, fake_gpu, tmp_path, capsys):
    assert rt.main(["build", "--bundle", bundle_dir]) == 0
    frames = tmp_path / "frames"
    frames.mkdir()
    rng = np.random.RandomState(5)
    for name in ("a.png", "b.jpg"):
        cv2.imwrite(str(frames / name), rng.randint(0, 256, (9, 14, 3)).astype(np.uint8))
    out = tmp_path / "out"
    assert rt.main(["run", "--bundle", bundle_dir, "--input", str(frames), "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == [
        "a_ids.png", "a_overlay.png", "b_ids.png", "b_overlay.png", "classes.txt",
    ]  # fmt: skip
    ids = cv2.imread(str(out / "a_ids.png"), cv2.IMREAD_UNCHANGED)
    assert ids.shape == (9, 14) and ids.dtype == np.uint8 and ids.max() < C
    frame = cv2.imread(str(frames / "a.png"))
    expected = rt.resize_ids(rt.argmax_ids(fake_model(rt.preprocess(frame, H, W))), 9, 14)
    np.testing.assert_array_equal(ids, expected)
    assert cv2.imread(str(out / "a_overlay.png")).shape == (9, 14, 3)

    video = str(tmp_path / "clip.mp4")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"mp4v"), 10, (16, 8))
    for i in range(4):
        writer.write(np.full((8, 16, 3), 60 * i, np.uint8))
    writer.release()
    vout = tmp_path / "vout"
    argv = ["run", "--bundle", bundle_dir, "--input", video, "--out", str(vout)]
    assert rt.main([*argv, "--display", "no", "--save_frame_ids"]) == 0
    assert sorted(os.listdir(vout)) == [
        "classes.txt", "clip_000000_ids.png", "clip_000001_ids.png", "clip_000002_ids.png",
        "clip_000003_ids.png", "clip_overlay.mp4",
    ]  # fmt: skip
    capture = cv2.VideoCapture(str(vout / "clip_overlay.mp4"))
    assert capture.read()[1].shape == (8, 16, 3)
    capture.release()
    assert "4 frame(s), overlay video" in capsys.readouterr().out


def test_fake_gpu_bench_appends_rows_with_power(bundle_dir, fake_gpu, tmp_path, capsys):
    assert rt.main(["build", "--bundle", bundle_dir]) == 0
    sysfs = make_sysfs(str(tmp_path / "sysfs"), TX2_SYSFS)
    results = tmp_path / "r" / "results.jsonl"
    argv = ["bench", "--bundle", bundle_dir, "--warmup", "2", "--iterations", "20"]
    argv += ["--power_interval_ms", "1", "--sysfs_root", sysfs, "--results", str(results)]
    assert rt.main(argv) == 0
    out = capsys.readouterr().out
    assert "power: INA3221 rails" in out and "W*h" in out
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [tuple(r) for r in rows] == [RESULT_FIELDS, RESULT_FIELDS]
    e2e, model = rows
    assert (e2e["timed"], model["timed"]) == ("end_to_end", "model")
    assert model["latency_ms_p50"] == 0.5 and model["fps"] == 2000.0  # the fake CUDA events
    assert e2e["latency_ms_mean"] > 0 and e2e["iterations"] == 20 and e2e["warmup"] == 2
    assert e2e["power_source"] == "ina3221" and e2e["power_w_mean"] == pytest.approx(4.0)
    assert e2e["energy_mj_per_frame"] == pytest.approx(4.0 * e2e["latency_ms_mean"])
    assert e2e["energy_wh"] == pytest.approx(1525 * e2e["latency_ms_mean"] * 4.0 / 3.6e6)
    assert (e2e["argmax_agreement"], e2e["max_abs_logit_diff"]) == (1.0, 0.0)
    assert (e2e["precision"], e2e["gpu"], e2e["runtime"]) == ("fp16", "Fake Tegra X2", "tensorrt")
    assert e2e["versions"]["tensorrt"] == "8.2.1.8" and e2e["versions"]["pycuda"] == "2022.1"

    # no sensor: "power: not available", the timing goes on, power fields are null
    argv[-3:] = [str(tmp_path / "no-sysfs"), "--results", str(results)]
    assert rt.main([*argv, "--power", "ina3221"]) == 0
    assert "power: not available" in capsys.readouterr().out
    last = json.loads(results.read_text().splitlines()[-1])
    assert last["power_w_mean"] is None and last["energy_wh"] is None and last["fps"] > 0


# ---- on a machine with TensorRT: a real bundle ----------------------------------------------


@pytest.mark.tensorrt
def test_tensorrt_builds_and_checks_a_real_bundle(tmp_path):
    pytest.importorskip("tensorrt", reason="TensorRT Python bindings not installed")
    pytest.importorskip("pycuda.driver", reason="pycuda not installed")
    bundle = os.environ.get("TFSEG_JETSON_BUNDLE")
    if not bundle:
        pytest.skip("set TFSEG_JETSON_BUNDLE to a bundle exported by tfseg")
    engine = str(tmp_path / "model.engine")
    result = run_cli("build", "--bundle", bundle, "--engine", engine)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_cli("check", "--bundle", bundle, "--engine", engine)
    assert result.returncode == 0, result.stdout + result.stderr
