"""Initial weights of a new run: ImageNet encoder weights, or another run's model."""

import os

from tfseg.errors import DataError
from tfseg.model_dir import ModelDir, load_keras_model
from tfseg.pretrained import load_pretrained, resolve_pretrained


def initialize_weights(model, config):
    """Loads `--init_from` (a model dir) or `--pretrained` into a freshly built model.

    Returns:
        Lines describing what was loaded, for the log.
    """
    if config.init_from:
        return [copy_matching_weights(model, config.init_from)]
    path = resolve_pretrained(config.encoder, config.pretrained)
    if path is None:
        return ["encoder initialized randomly (--pretrained=none)"]
    report = load_pretrained(model, config.encoder, path)
    lines = [str(report)]
    total = report.loaded + len(report.skipped)
    if report.loaded < total / 2:
        # Not refused (a partial load can be intended), but it must not pass unnoticed.
        lines.append(
            f"warning: only {report.loaded} of the encoder's {total} tensors came from {path}; "
            "is it the weights of another network? Most of the encoder starts random"
        )
    return lines


def copy_matching_weights(model, source_dir):
    """Copies every weight of `source_dir`'s best model whose layer name and shape match.

    This is how the paper's Table 2 runs start: fine-tuning on the fine labels from the model
    pre-trained on the coarse ones.
    """
    source = ModelDir(source_dir)
    if not os.path.exists(source.best_model):
        raise DataError(f"--init_from={source_dir}: {source.best_model} does not exist")
    other = load_keras_model(source.best_model)
    by_name = {layer.name: layer for layer in other.layers}
    copied = total = 0
    for layer in model.layers:
        total += len(layer.weights)
        twin = by_name.get(layer.name)
        if twin is None or not layer.weights:
            continue
        pairs = list(zip(layer.weights, twin.weights))
        if len(layer.weights) == len(twin.weights) and all(a.shape == b.shape for a, b in pairs):
            for target, value in pairs:
                target.assign(value)
            copied += len(pairs)
    if copied == 0:
        raise DataError(f"--init_from={source_dir}: no layer of its model matches this model")
    return f"initialized {copied} of {total} weight tensors from {source.best_model}"
