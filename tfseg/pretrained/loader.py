"""`load_pretrained`: ImageNet weights from a local file into an encoder, by name and shape.

It returns a `LoadReport`: what it loaded into the model, and what it left alone and why.
"""

import dataclasses
import math
import os
import re

import numpy as np

from tfseg.errors import ConfigError, DataError
from tfseg.pretrained.encoder_layers import encoder_layers, pretrained_spec
from tfseg.pretrained.weight_files import read_weight_file

# Weight names other writers use for tfseg's (Keras 3's) variable names.
WEIGHT_ALIASES = {"depthwise_kernel": "kernel", "W": "kernel", "b": "bias"}
# Skipped tensors that str(LoadReport) lists; the rest are counted.
MAX_LISTED = 12


def load_pretrained(model, encoder, path, *, strict=False):
    """Loads pretrained encoder weights from a local file into `model`, by layer name and shape.

    Every weighted encoder layer of `model` is looked up by name in the file; its tensors are
    matched by weight name (kernel, bias, gamma, beta, moving_mean, moving_variance: BatchNorm
    statistics are loaded too) or, where the file's names are not Keras ones, by position. Shapes
    must agree, except that keras.applications' VGG16 classifier layers fc1 (25088 x 4096) and
    fc2 are reshaped into tfseg's convolutions fc6 (7x7x512x4096, in Keras' flatten order) and fc7.
    A BatchNormalization whose convolution could not be loaded is left alone too. Nothing is
    assigned unless the whole load succeeds. Nothing is ever unpickled or downloaded.

    Args:
        model: a model from `tfseg.build_model` (any decoder, any input size).
        encoder: the model's encoder: `vgg16`, `resnet18`, `mobilenet` or `shufflenet`.
        path: a legacy Keras `.h5` (e.g. keras.applications'), a Keras 3 `.weights.h5` or
            `.keras` that records layer names, or an `.npz` keyed `<layer>/<weight>` (the
            converters under `tfseg.pretrained` write these).
        strict: if True, a tensor whose shape differs from the model's is an error; by default it
            is skipped and reported (e.g. ShuffleNet's non-standard stride-2 units).

    Returns:
        A `LoadReport`: the number of tensors loaded, the skipped ones with the reason, the
        file's unused layers.

    Raises:
        ConfigError: unknown encoder, or the model has no layer of that encoder.
        DataError (naming the file): missing, unreadable or pickle-based file; a file none of
            whose tensors fits the encoder (a wrong file); with `strict`, any shape mismatch.

    Example:
        >>> model = tfseg.build_model("mobilenet", "skipnet", input_shape=(360, 640))
        >>> path = "pretrained/mobilenet_1_0_224_tf_no_top.h5"
        >>> report = load_pretrained(model, "mobilenet", path)
        >>> report.loaded
        135
    """
    targets = encoder_layers(model, encoder)
    if not targets:
        raise ConfigError(f"model {model.name!r} has no layer of a {encoder} encoder")
    path = os.fspath(path)
    aliases = pretrained_spec(encoder).layer_aliases
    with read_weight_file(path) as weights:
        by_target, unused = {}, []
        for file_layer, entries in weights.layers.items():
            target = aliases.get(file_layer, file_layer)
            if target in targets and target not in by_target:
                by_target[target] = (file_layer, entries)
            elif entries:
                unused.append(file_layer)
        plan = _plan(targets, by_target, aliases)

    mismatches = [item for item in plan.skipped if item[1].startswith("shape mismatch")]
    if strict and mismatches:
        listed = "; ".join(f"{tensor}: {reason}" for tensor, reason in mismatches)
        raise DataError(
            f"{path}: {len(mismatches)} tensor(s) do not fit the {encoder} encoder: {listed}"
        )
    if not plan.assignments:
        found = ", ".join(list(weights.layers)[:6]) or "none"
        hint = ""
        if weights.format == "keras3-weights-h5" and not by_target:
            hint = (
                " Keras 3 files saved without layer names key layers by class (layers/conv2d_3); "
                "convert such a file to tfseg names first (see pretrained/README.md)."
            )
        raise DataError(
            f"{path}: no tensor fits the {encoder} encoder ({len(by_target)} of its "
            f"{len(targets)} layer names found, none with matching shapes); is this the "
            f"{encoder} weights file? Its first layers: {found}.{hint}"
        )
    for variable, value in plan.assignments:
        variable.assign(value)
    return LoadReport(
        encoder=encoder,
        source=path,
        format=weights.format,
        loaded=len(plan.assignments),
        skipped=tuple(plan.skipped),
        unused=tuple(unused),
    )


@dataclasses.dataclass(frozen=True)
class LoadReport:
    """The outcome of loading pretrained weights into an encoder.

    Attributes:
        encoder: the encoder name (`vgg16`, `resnet18`, `mobilenet`, `shufflenet`).
        source: the weights file that was read.
        format: the file's format (`keras-h5`, `keras3-weights-h5`, `npz`).
        loaded: number of encoder tensors (kernels, biases, BN gammas, betas and moving
            statistics) given values from the file.
        skipped: `(tensor, reason)` pairs for encoder tensors left at their initial values,
            e.g. `("conv_dil_6/kernel", "missing in file")`, or for ShuffleNet's
            `stage3_unit1_dw/kernel` "shape mismatch: model (3, 3, 60, 1), file (3, 3, 120, 1)".
        unused: names of layers in the file that the model does not have (classifier heads,
            layers an output stride of 8 replaces).

    Example:
        >>> print(load_pretrained(model, "mobilenet", "pretrained/mobilenet.h5"))
        mobilenet: loaded 135 tensors from pretrained/mobilenet.h5 (keras-h5); skipped none
    """

    encoder: str
    source: str
    format: str
    loaded: int
    skipped: tuple = ()
    unused: tuple = ()

    def __str__(self):
        head = f"{self.encoder}: loaded {self.loaded} tensors from {self.source} ({self.format})"
        if not self.skipped:
            return f"{head}; skipped none"
        lines = [f"{head}; skipped {len(self.skipped)}:"]
        lines += [f"  {tensor}: {reason}" for tensor, reason in self.skipped[:MAX_LISTED]]
        if len(self.skipped) > MAX_LISTED:
            lines.append(f"  ... and {len(self.skipped) - MAX_LISTED} more (LoadReport.skipped)")
        return "\n".join(lines)


class _Plan:
    def __init__(self):
        self.assignments = []  # (variable, numpy value)
        self.skipped = []  # (tensor path, reason)


def _plan(targets, by_target, aliases):
    plan = _Plan()
    complete = set()  # layers whose every tensor will be loaded
    reshapable = set(aliases.values())
    for name, layer in targets.items():
        variables = list(layer.weights)
        if name not in by_target:
            plan.skipped += [(v.path, "missing in file") for v in variables]
            continue
        file_layer, entries = by_target[name]
        values, problems = [], []
        for variable, entry in _match(variables, entries, file_layer):
            if entry is None:
                problems.append((variable.path, "missing in file"))
                continue
            value = entry.read()
            if name in reshapable:
                value = _dense_to_conv(value, tuple(variable.shape))
            if tuple(value.shape) != tuple(variable.shape):
                reason = f"shape mismatch: model {tuple(variable.shape)}, file {value.shape}"
                problems.append((variable.path, reason))
                continue
            values.append((variable, np.asarray(value, dtype=variable.dtype)))
        # A layer loads whole or not at all; a BatchNorm only with its convolution.
        base = name[: -len("_bn")] if name.endswith("_bn") else None
        if any(reason.startswith("shape mismatch") for _, reason in problems):
            reason = "not loaded: another tensor of its layer does not fit"
        elif base in targets and base not in complete:
            reason = f"its convolution {base} is not loaded"
        else:
            plan.skipped += problems
            plan.assignments += values
            if not problems:
                complete.add(name)
            continue
        plan.skipped += problems + [(v.path, reason) for v, _ in values]
    return plan


def _match(variables, entries, file_layer):
    """Pairs each variable with a file entry, by weight name or else by position."""
    names = [_canonical(entry.name, file_layer) for entry in entries]
    by_name = dict(zip(names, entries))
    wanted = [v.name for v in variables]
    if all(w in by_name for w in wanted):
        return [(v, by_name[w]) for v, w in zip(variables, wanted)]
    if len(entries) == len(variables):
        return list(zip(variables, entries))
    return [(v, by_name.get(w)) for v, w in zip(variables, wanted)]


def _canonical(weight_name, layer_name):
    """`conv1/kernel:0`, `block1_conv1_W_1:0` (Keras 1) -> `kernel`; `vars/0` stays unmatched."""
    name = re.sub(r":\d+$", "", weight_name.split("/")[-1])
    if name.startswith(f"{layer_name}_"):
        name = re.sub(r"_\d+$", "", name[len(layer_name) + 1 :])
    return WEIGHT_ALIASES.get(name, name)


def _dense_to_conv(value, conv_shape):
    """A Dense kernel `[h*w*c, n]` as a conv kernel `[h, w, c, n]` (Keras flattens row-major)."""
    fits = value.ndim == 2 and len(conv_shape) == 4 and value.shape[1] == conv_shape[3]
    if fits and value.shape[0] == math.prod(conv_shape[:3]):
        return value.reshape(conv_shape)
    return value
