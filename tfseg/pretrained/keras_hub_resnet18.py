"""The layer graph of keras-hub's ResNet-18 backbone, rebuilt to read its `.weights.h5` by name."""

import keras

STAGE_FILTERS = [64, 128, 256, 512]


def keras_hub_resnet18():
    """Builds a Keras model with the layers, names and connections of keras-hub's ResNet-18.

    A Keras 3 `.weights.h5` file (such as the `model.weights.h5` of keras-hub's
    `resnet_18_imagenet` preset) stores layers under keys made from their class names in the
    order of `model.layers` (`layers/conv2d_7/vars/0`), which depends only on the graph, not on
    the layer names. Rebuilding keras-hub's `ResNetBackbone(block_type="basic_block",
    stackwise_num_blocks=[2, 2, 2, 2], input_conv_filters=[64], input_conv_kernel_sizes=[7])`
    graph here gives the same order, and so the layer name of every key, without depending on
    keras-hub. The input is taken as already normalized (the preset's preprocessing layers hold no
    weights).

    Returns:
        A `keras.Model` named like keras-hub's layers: `conv1_conv`, `conv1_bn`,
        `stack{0..3}_block{0,1}_{0,1,2}_{conv,bn}`.

    Example:
        >>> model = keras_hub_resnet18()
        >>> model.get_layer("stack1_block0_0_conv").kernel.shape
        (1, 1, 64, 128)
    """
    image = keras.Input((None, None, 3), name="image")
    x = keras.layers.ZeroPadding2D(3, name="conv1_pad")(image)
    x = keras.layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _batch_norm("conv1_bn")(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(x)
    x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stack, filters in enumerate(STAGE_FILTERS):
        for block in range(2):
            stride = 2 if stack > 0 and block == 0 else 1
            shortcut = stack > 0 and block == 0
            x = _basic_block(x, filters, stride, shortcut, f"stack{stack}_block{block}")
    return keras.Model(image, x, name="res_net_backbone")


def _batch_norm(name):
    return keras.layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=name)


def _basic_block(x, filters, stride, conv_shortcut, name):
    shortcut = x
    if conv_shortcut:
        shortcut = keras.layers.Conv2D(
            filters, 1, strides=stride, use_bias=False, name=f"{name}_0_conv"
        )(x)
        shortcut = _batch_norm(f"{name}_0_bn")(shortcut)
    if stride > 1:
        x = keras.layers.ZeroPadding2D(1, name=f"{name}_1_pad")(x)
    x = keras.layers.Conv2D(
        filters, 3, strides=stride, padding="valid" if stride > 1 else "same",
        use_bias=False, name=f"{name}_1_conv",
    )(x)  # fmt: skip
    x = _batch_norm(f"{name}_1_bn")(x)
    x = keras.layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x)
    x = _batch_norm(f"{name}_2_bn")(x)
    x = keras.layers.Add(name=f"{name}_add")([shortcut, x])
    return keras.layers.Activation("relu", name=f"{name}_out")(x)
