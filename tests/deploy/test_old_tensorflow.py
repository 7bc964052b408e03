"""Opt-in: tfseg's deployment artifacts in the old TensorFlow releases of Jetson TX1/TX2 users.

JetPack 4.6 (the last for TX1/TX2) has NVIDIA's TensorFlow 2.7.0 and 1.15.5 wheels. Their op
registries come from the same sources as PyPI's x86 builds, so `tensorflow-cpu==2.7.0` on Python
3.9 and `tensorflow==1.15.5` on Python 3.7 stand in for them here, each in a venv made once from
pyenv's interpreters and cached under ~/.cache/tfseg/old-tf/<name>/.

This process (TF 2.17) builds four tiny models (64x128, 5 classes, random weights, BatchNorm
statistics drawn like a trained model's), exports each with tfseg's frozen-graph exporter, plain
and `tf1_compatible` (each with its 8-bit-weights `model_q8.pb`), and one SavedModel. One
consumer script per old TensorFlow (TensorFlow and numpy only, as on the board) imports every
GraphDef, runs it in a default-config Session (Grappler on) and writes the logits; the tests
compare them with the Keras model's, and assert the documented failures (docs/deployment.md):

* TF 2.7 runs every frozen graph, plain or stripped, float or 8-bit;
* TF 1.15 refuses the plain graphs (attributes it does not know) and runs the stripped ones,
  except ShuffleNet's grouped convolution, which its CPU kernel does not implement;
* TF 2.7 cannot load the TF 2.17 SavedModel (`DisableCopyOnRead`).

Run with `TFSEG_OLD_TF_CHECKS=1 python -m pytest -p no:xdist tests/deploy/test_old_tensorflow.py`
(add `-rP` to see the measured differences). The first run downloads the two TensorFlow
wheels and their dependencies from PyPI (the venvs take 1.6 GB; about a minute here).
"""

import contextlib
import dataclasses
import fcntl
import glob
import json
import os
import shutil
import subprocess
import textwrap
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfseg
from tfseg.export.exporter import export_model
from tfseg.graph import FrozenGraph, run_frozen_graph

ENABLE = "TFSEG_OLD_TF_CHECKS"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get(ENABLE) != "1",
        reason=f"opt-in: set {ENABLE}=1 to run tfseg's exports in TF 2.7 and TF 1.15 (venvs "
        "made once from PyPI, 1.6 GB, cached in ~/.cache/tfseg/old-tf)",
    ),
]

H, W = 64, 128
NUM_CLASSES = 5
NUM_IMAGES = 3
# name -> (encoder, decoder): the paper's Jetson models (SkipNet with MobileNet's depthwise and
# ShuffleNet's grouped convolutions), a transposed-convolution decoder (UNet's LinkNet blocks on
# ResNet18) and dilated convolutions (Dilation).
MODELS = {
    "skipnet_mobilenet": ("mobilenet", "skipnet"),
    "skipnet_shufflenet": ("shufflenet", "skipnet"),
    "unet_resnet18": ("resnet18", "unet"),
    "dilation_mobilenet": ("mobilenet", "dilation"),
}
# The exported GraphDefs: (export folder, file). "tf1" is `tfseg export --tf1_compatible`.
GRAPHS = {
    "float": ("plain", "model.pb"),
    "q8": ("plain", "model_q8.pb"),
    "tf1_float": ("tf1", "model.pb"),
    "tf1_q8": ("tf1", "model_q8.pb"),
}
# Float graphs must follow Keras to float32 rounding (BatchNorm folding reorders the maths;
# measured <= 1.7e-6 of the largest |logit|).
FLOAT_TOLERANCE = 1e-5
# 8-bit weights: as tests/graph/test_transforms.py (max diff within 4 % of the largest |logit|)
# and tests/export/test_export_cli.py (argmax agreement > 0.9 on an untrained model); measured
# 1.3-3.2 % and 0.915-0.998 on these models, the same in TF 2.17, TF 2.7 and TF 1.15.
Q8_TOLERANCE, Q8_AGREEMENT = 0.04, 0.9
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "tfseg", "old-tf")


@dataclasses.dataclass(frozen=True)
class OldTensorFlow:
    """One old TensorFlow release, as a pip-installable stand-in for NVIDIA's Jetson wheel."""

    name: str  # the venv's folder under CACHE
    python: str  # pyenv's interpreter version prefix
    version: str  # what `tf.__version__` must say
    requirements: tuple


OLD_TENSORFLOWS = {
    # numpy 2 fails TF 2.7's import (its bfloat16 binding); NVIDIA's wheel sits on numpy 1.19
    # (Python 3.6), so stay with TF 2.7's contemporaries. protobuf >= 4 refuses TF 2.7's and
    # TF 1.15's generated _pb2 modules ("Descriptors cannot be created directly").
    "tf2.7": OldTensorFlow(
        "tf2.7.0-py3.9", "3.9", "2.7.0", ("tensorflow-cpu==2.7.0", "numpy<1.22", "protobuf<3.21")
    ),
    # tensorflow 1.15.5 pins numpy<1.19 and h5py<2.11 itself.
    "tf1.15": OldTensorFlow(
        "tf1.15.5-py3.7", "3.7", "1.15.5", ("tensorflow==1.15.5", "protobuf<3.21")
    ),
}

# Runs in the old TensorFlow: Python 3.7 syntax, TensorFlow and numpy only (what a Jetson user
# has). Reads a JSON list of jobs, writes {job id: {"ok": true} or {"error": "Type: message"}}.
CONSUMER = textwrap.dedent('''
    """Runs tfseg's exported graphs as a TensorFlow 1.15 / 2.7 user would, without tfseg."""
    import json
    import sys

    import numpy as np
    import tensorflow as tf

    # What a TF 1.x user writes (tf.GraphDef, tf.Session), and its TF 2.x spelling.
    tf1 = tf if tf.__version__.startswith("1.") else tf.compat.v1


    def run_graph(job):
        # The frozen-graph snippet of docs/deployment.md, one [1, H, W, 3] image at a time.
        graph_def = tf1.GraphDef.FromString(open(job["path"], "rb").read())
        graph = tf.Graph()
        with graph.as_default():
            tf.graph_util.import_graph_def(graph_def, name="")
        session = tf1.Session(graph=graph)  # default config: Grappler on, as users run it
        images = np.load(job["images"])
        logits = [session.run("logits:0", {"image:0": image[None]}) for image in images]
        np.save(job["out"], np.concatenate(logits))


    def load_saved_model(job):
        tf.saved_model.load(job["path"])


    def main(jobs_path, results_path):
        results = {"tensorflow": tf.__version__, "numpy": np.__version__}
        for job in json.load(open(jobs_path)):
            try:
                {"graph": run_graph, "saved_model": load_saved_model}[job["kind"]](job)
                results[job["id"]] = {"ok": True}
            except Exception as error:  # the failure is the result, for the test to judge
                message = "{}: {}".format(type(error).__name__, error)
                results[job["id"]] = {"error": message[:2000]}
        with open(results_path, "w") as f:
            json.dump(results, f, indent=1)


    main(*sys.argv[1:])
    ''')


# ---- the old TensorFlow venvs -------------------------------------------------------------------


class VenvUnavailable(Exception):
    """An old TensorFlow venv cannot be made here (no interpreter, pip offline): skip."""


def pyenv_roots():
    """Where pyenv keeps its interpreters: `pyenv root`, then the usual places."""
    roots = [os.environ.get("PYENV_ROOT", "")]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True)
        roots.append(done.stdout.strip())
    roots += [os.path.expanduser("~/.pyenv"), "/root/.pyenv"]
    return [root for root in dict.fromkeys(roots) if root and os.path.isdir(root)]


def pyenv_python(version_prefix):
    """The newest pyenv interpreter `<version_prefix>.*`, or None."""
    found = [
        path
        for root in pyenv_roots()
        for path in glob.glob(
            os.path.join(root, "versions", f"{version_prefix}.*", "bin", "python")
        )
    ]

    def version(path):  # .../versions/3.9.18/bin/python -> (3, 9, 18)
        return tuple(int(p) for p in path.split(os.sep)[-3].split(".") if p.isdigit())

    return max(found, key=version) if found else None


def venv_tensorflow(venv):
    """`tf.__version__` in `venv`, or None where it does not import."""
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        return None
    done = subprocess.run(
        [python, "-c", "import numpy, tensorflow as tf; print(tf.__version__)"],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    return done.stdout.strip() if done.returncode == 0 else None


@contextlib.contextmanager
def file_lock(path):
    """Serializes venv builds between processes (pytest-xdist workers, parallel runs)."""
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def old_tensorflow_python(spec):
    """The Python of `spec`'s venv, made (or remade, when it no longer imports) on first use.

    Raises:
        VenvUnavailable: no pyenv interpreter for `spec.python`, or pip failed (offline?).
    """
    venv = os.path.join(CACHE, spec.name)
    python = os.path.join(venv, "bin", "python")
    os.makedirs(CACHE, exist_ok=True)
    with file_lock(venv + ".lock"):
        if venv_tensorflow(venv) == spec.version:
            return python
        base = pyenv_python(spec.python)
        if base is None:
            raise VenvUnavailable(
                f"no Python {spec.python}.* under pyenv ({pyenv_roots() or 'no pyenv root'}); "
                f"pyenv install {spec.python} to run the {spec.name} checks"
            )
        shutil.rmtree(venv, ignore_errors=True)  # a half-made or broken venv: start again
        start = time.perf_counter()
        for step in (
            [base, "-m", "venv", venv],
            [python, "-m", "pip", "install", "-q", *spec.requirements],
        ):
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                lines = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
                raise VenvUnavailable(
                    f"could not make the {spec.name} venv (offline?): {' '.join(step[-3:])}: "
                    + " | ".join(lines[-3:] or done.stderr.strip().splitlines()[-3:])
                )
        got = venv_tensorflow(venv)
        assert got == spec.version, f"{spec.name}: the new venv imports TensorFlow {got}"
        print(f"made {venv} in {time.perf_counter() - start:.0f} s")
        return python


# ---- the exports (TF 2.17, this process) --------------------------------------------------------


@dataclasses.dataclass
class Exported:
    """One model's exports, its test images and the Keras model's logits on them."""

    name: str
    folder: str
    images: str  # .npy of float32 [N, H, W, 3] pixels 0..255
    keras_logits: np.ndarray
    tf217_logits: dict  # graph -> logits of the same GraphDef run by TF 2.17

    def graph(self, graph):
        variant, file_name = GRAPHS[graph]
        return os.path.join(self.folder, variant, file_name)


def identity(encoder, decoder):
    """The model identity `export_model` records in export.json (as a model dir's config)."""
    return {
        "encoder": encoder,
        "decoder": decoder,
        "decoder_options": {},
        "class_names": [f"class_{i}" for i in range(NUM_CLASSES)],
        "height": H,
        "width": W,
    }


def smooth_images(rng, count):
    """Blobs rather than per-pixel noise, so the logits have regions and class boundaries."""
    low = rng.uniform(0, 255, (count, H // 8, W // 8, 3)).astype(np.float32)
    return np.clip(tf.image.resize(low, (H, W), method="bicubic").numpy(), 0, 255)


def center_class_scores(model, images):
    """Subtracts each class's mean logit on `images` from the classifier's bias.

    With random weights, the randomized BatchNorm offsets give each class a constant logit
    that outweighs the spatial variation: one class wins everywhere, and argmax agreement
    would check nothing. Each decoder ends with a biased classifier (a transposed convolution)
    followed by a crop, so its bias shifts every pixel's logits by the same amount.
    """
    classifier = [layer for layer in model.layers if getattr(layer, "bias", None) is not None][-1]
    mean = keras.ops.convert_to_numpy(model(images, training=False)).mean(axis=(0, 1, 2))
    classifier.bias.assign(classifier.bias.numpy() - mean)


@pytest.fixture(scope="session")
def exports(tmp_path_factory, randomize_batch_norms):
    """`name -> Exported` for every model of MODELS, made once per session (~2 min here)."""
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("old-tf-exports")
    made = {}
    for name, (encoder, decoder) in MODELS.items():
        keras.utils.set_random_seed(0)
        model = tfseg.build_model(encoder, decoder, num_classes=NUM_CLASSES, input_shape=(H, W))
        randomize_batch_norms(model, rng)
        images = smooth_images(rng, NUM_IMAGES)
        center_class_scores(model, images)
        folder = str(root / name)
        for variant, options in (("plain", {}), ("tf1", {"tf1_compatible": True})):
            out = os.path.join(folder, variant)
            export_model(
                model, identity(encoder, decoder), "frozen_graph", out, input_size=(H, W),
                options=options,
            )  # fmt: skip
        np.save(os.path.join(folder, "images.npy"), images)
        exported = Exported(
            name, folder, os.path.join(folder, "images.npy"),
            keras.ops.convert_to_numpy(model(images, training=False)), {},
        )  # fmt: skip
        for graph in GRAPHS:
            graph_def = tf.compat.v1.GraphDef.FromString(open(exported.graph(graph), "rb").read())
            frozen = FrozenGraph(graph_def, "image:0", "logits:0")
            exported.tf217_logits[graph] = np.concatenate(
                [run_frozen_graph(frozen, image[None]) for image in images]
            )
        made[name] = exported
    return made


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory):
    """The TF 2.17 SavedModel export of a tiny SkipNet-MobileNet (its weights do not matter)."""
    model = tfseg.build_model("mobilenet", "skipnet", num_classes=NUM_CLASSES, input_shape=(H, W))
    out = str(tmp_path_factory.mktemp("old-tf-saved-model") / "saved_model")
    export_model(model, identity("mobilenet", "skipnet"), "saved_model", out, input_size=(H, W))
    return out


# ---- one consumer run per old TensorFlow --------------------------------------------------------


def consume(python, jobs, work_dir):
    """Runs CONSUMER on `jobs` in the old TensorFlow; returns its results dict."""
    script = os.path.join(work_dir, "consumer.py")
    with open(script, "w") as f:
        f.write(CONSUMER)
    jobs_path, results_path = (os.path.join(work_dir, n) for n in ("jobs.json", "results.json"))
    with open(jobs_path, "w") as f:
        json.dump(jobs, f, indent=1)
    # CPU only, also where a GPU exists: the ShuffleNet check is about TF 1.15's CPU kernel.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [python, script, jobs_path, results_path], capture_output=True, text=True, env=env,
        timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.load(open(results_path))


@dataclasses.dataclass
class OldRun:
    """What one old TensorFlow made of every export."""

    tf_name: str
    results: dict  # job id -> {"ok": True} or {"error": ...}; "tensorflow", "numpy": versions
    work_dir: str
    exports: dict

    def error(self, job_id):
        return self.results[job_id].get("error", "")

    def logits(self, name, graph):
        """The logits of model `name`'s `graph` (fails with the old TensorFlow's error)."""
        result = self.results[f"{name}/{graph}"]
        assert result.get("ok"), f"{self.tf_name} could not run {name}/{graph}: {result['error']}"
        return np.load(os.path.join(self.work_dir, f"{name}-{graph}.npy"))


def run_every_export(python, tf_name, exports, saved_model, work_dir):
    """One consumer run of every exported graph (and, on TF 2.7, the SavedModel)."""
    jobs = [
        {"id": f"{name}/{graph}", "kind": "graph", "path": exported.graph(graph),
         "images": exported.images, "out": os.path.join(work_dir, f"{name}-{graph}.npy")}
        for name, exported in exports.items()
        for graph in GRAPHS
    ]  # fmt: skip
    if tf_name == "tf2.7":  # TF 1.15's tf.saved_model.load is the TF 1 loader (a Session's)
        jobs.append({"id": "saved_model", "kind": "saved_model", "path": saved_model})
    return OldRun(tf_name, consume(python, jobs, work_dir), work_dir, exports)


@pytest.fixture(scope="session")
def old_runs(request, tmp_path_factory):
    """`tf_name -> OldRun`, each old TensorFlow's run made on first use.

    Skips the tests of an old TensorFlow whose venv cannot be made (tried once per session),
    before the exports are made: offline, the opt-in run skips in seconds.
    """
    runs = {}

    def get(tf_name):
        if tf_name not in runs:
            try:
                python = old_tensorflow_python(OLD_TENSORFLOWS[tf_name])
                exports = request.getfixturevalue("exports")
                saved_model = request.getfixturevalue("saved_model")
                work_dir = str(tmp_path_factory.mktemp(f"consumer-{tf_name}"))
                runs[tf_name] = run_every_export(python, tf_name, exports, saved_model, work_dir)
            except VenvUnavailable as problem:
                runs[tf_name] = problem
        if isinstance(runs[tf_name], VenvUnavailable):
            pytest.skip(str(runs[tf_name]))
        return runs[tf_name]

    return get


def compare(logits, reference):
    """(max |diff| relative to the reference's largest |logit|, argmax agreement)."""
    scale = float(np.abs(reference).max())
    assert scale > 1e-3, "degenerate reference logits"
    agreement = float((logits.argmax(-1) == reference.argmax(-1)).mean())
    return float(np.abs(logits - reference).max()) / scale, agreement


def check_against_keras(run, name, graph):
    """Asserts the float tolerance, or the 8-bit one, against the Keras model."""
    exported, logits = run.exports[name], run.logits(name, graph)
    assert logits.shape == exported.keras_logits.shape
    diff, agreement = compare(logits, exported.keras_logits)
    same_graph_diff, _ = compare(logits, exported.tf217_logits[graph])
    print(
        f"{run.tf_name} {name} {graph}: max |diff| / max |logit| = {diff:.2e} vs Keras, "
        f"{same_graph_diff:.2e} vs TF 2.17 running the same file; argmax agreement {agreement:.4f}"
    )
    # The old TensorFlow computes what TF 2.17 computes from the same file.
    assert same_graph_diff <= FLOAT_TOLERANCE
    if graph.endswith("q8"):
        assert diff <= Q8_TOLERANCE and agreement >= Q8_AGREEMENT
    else:
        assert diff <= FLOAT_TOLERANCE and agreement >= 0.9999


# ---- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("name", MODELS)
def test_tf27_runs_every_frozen_graph_like_keras(old_runs, name, graph):
    # docs/deployment.md: "TF 2.7 imports it as is"; the stripped graph (what the Jetson bundle
    # ships for TF-TRT) and the 8-bit weights run too.
    check_against_keras(old_runs("tf2.7"), name, graph)


@pytest.mark.parametrize("graph", ["float", "q8"])
@pytest.mark.parametrize("name", MODELS)
def test_tf115_refuses_graphs_without_tf1_compatible(old_runs, name, graph):
    # Attributes added after TF 1.15 are unknown to its op registry (measured on these graphs:
    # explicit_paddings on DepthwiseConv2dNative and MaxPool, not on Conv2D, which TF 1.15
    # knows with it; narrow_range, axis and dtype on Dequantize). --tf1_compatible strips them:
    # they hold their defaults.
    error = old_runs("tf1.15").error(f"{name}/{graph}")
    print(f"tf1.15 {name} {graph}: {error[:200]}")
    assert "NodeDef mentions attr" in error and "not in Op<" in error, error


@pytest.mark.parametrize("graph", ["tf1_float", "tf1_q8"])
@pytest.mark.parametrize("name", [n for n in MODELS if n != "skipnet_shufflenet"])
def test_tf115_runs_tf1_compatible_graphs_like_keras(old_runs, name, graph):
    check_against_keras(old_runs("tf1.15"), name, graph)


@pytest.mark.parametrize("graph", ["tf1_float", "tf1_q8"])
def test_tf115_cpu_cannot_run_shufflenets_grouped_convolution(old_runs, graph):
    # The graph imports, but TF 1.15's CPU Conv2D kernel has no groups (cuDNN's has: NVIDIA's
    # GPU build should run it, not verified here).
    error = old_runs("tf1.15").error(f"skipnet_shufflenet/{graph}")
    print(f"tf1.15 skipnet_shufflenet {graph}: {error[:200]}")
    assert error.startswith("UnimplementedError") and "grouped convolutions" in error, error


def test_tf27_cannot_load_a_tf217_saved_model(old_runs):
    # Every restore function of a TF >= 2.16 SavedModel holds DisableCopyOnRead, an op TF 2.7
    # does not have: Jetson users of TF 2.7 take the frozen graph (or ONNX) instead.
    error = old_runs("tf2.7").error("saved_model")
    print(f"tf2.7 saved_model: {error[:200]}")
    assert "Op type not registered 'DisableCopyOnRead'" in error, error or "it loaded"


def test_the_venvs_hold_the_intended_releases(old_runs):
    for tf_name, spec in OLD_TENSORFLOWS.items():
        results = old_runs(tf_name).results
        print(f"{tf_name}: TensorFlow {results['tensorflow']}, numpy {results['numpy']}")
        assert results["tensorflow"] == spec.version


def test_the_models_have_margins(exports):
    # With near-constant argmax maps, agreement would say nothing about the logits
    # (center_class_scores). Last: it makes the exports even where no old TF can run.
    for exported in exports.values():
        counts = np.bincount(exported.keras_logits.argmax(-1).ravel(), minlength=NUM_CLASSES)
        print(f"{exported.name}: pixels per class {counts.tolist()}")
        assert np.sum(counts > 0.01 * counts.sum()) >= 3, exported.name
