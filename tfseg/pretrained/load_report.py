"""`LoadReport`: what `load_pretrained` loaded into a model, and what it left alone."""

import dataclasses

# Skipped tensors that str() lists; the rest are counted.
MAX_LISTED = 12


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
