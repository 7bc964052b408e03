"""A model whose prediction is known, test images of coloured blocks, and helpers."""

import glob
import os

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfseg.io import write_png

# Output colours, deliberately unlike the input colours so a test cannot confuse the two.
PALETTE = [(250, 170, 30), (70, 130, 180), (220, 20, 60)]
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
MODEL_SIZE = (32, 48)


def rgb_model(input_shape=MODEL_SIZE):
    """Logits = the pixel's RGB (a fixed identity 1x1 conv), so the class is its largest channel:
    red -> 0, green -> 1, blue -> 2."""
    inputs = keras.Input(shape=(*input_shape, 3))
    conv = keras.layers.Conv2D(3, 1, use_bias=False, name="logits")
    outputs = conv(inputs)
    conv.set_weights([np.eye(3, dtype=np.float32).reshape(1, 1, 3, 3)])
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def model():
    return rgb_model()


def blocks(height, width, seed=0):
    """An image of three regions (top-left red, top-right green, bottom blue) with a little
    noise, and its class map."""
    classes = np.full((height, width), 2, np.int64)
    classes[: height // 2, : width // 3] = 0
    classes[: height // 2, width // 3 :] = 1
    image = np.array([RED, GREEN, BLUE], np.uint8)[classes]
    noise = np.random.default_rng(seed).integers(0, 40, size=image.shape)
    image = np.where(image == 0, noise, image - noise).astype(np.uint8)
    return image, classes


def write_image(path, image):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if path.endswith(".png"):
        write_png(path, image)
    else:
        cv2.imwrite(path, image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    return path


def read_rgb(path):
    return cv2.imread(path, cv2.IMREAD_COLOR)[:, :, ::-1]


def expected_ids(image, model_size=MODEL_SIZE):
    """What `rgb_model` predicts for `image`: resize to the model, logits = RGB, bilinear back
    to the image's size, argmax."""
    small = tf.image.resize(image[None], model_size, method="bilinear")
    logits = tf.image.resize(small, image.shape[:2], method="bilinear")
    return tf.argmax(logits, axis=-1)[0].numpy()


def write_video(path, frames, fps=10.0):
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame[:, :, ::-1])
    writer.release()
    return path


def video_frames(path):
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame[:, :, ::-1])
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return frames, fps


def tree(folder):
    """Every file below `folder`, relative, sorted (hidden temporary files included)."""
    if not os.path.exists(folder):
        return []
    paths = glob.glob(os.path.join(folder, "**", "*"), recursive=True)
    paths += glob.glob(os.path.join(folder, "**", ".*"), recursive=True)
    return sorted(os.path.relpath(p, folder) for p in set(paths) if os.path.isfile(p))
