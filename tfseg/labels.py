"""The label contract shared by data, losses and evaluation; imports nothing from tfseg.

Every pipeline yields train ids `0..N-1`, and `IGNORE_VALUE` for pixels that no loss and no
metric counts (Cityscapes' void classes, a custom set's `ignore_value`, augmentation padding).
"""

IGNORE_VALUE = 255
