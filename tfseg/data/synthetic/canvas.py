"""The canvas a scene is painted on, the camera that looks at it, and the colour helpers.

World coordinates are metres: X right, Y up, Z forward, with a flat road at Y = 0. The camera is a
pinhole at (0, `camera_height`, 0) looking along Z, so a world point (X, Y, Z) lands on pixel
(`center + focal * X / Z`, `horizon + focal * (camera_height - Y) / Z`): sizes shrink with distance
and everything converges on the vanishing point (`center`, `horizon`).

Every fill goes through `Canvas.paint`, which writes colour, label id, instance id and depth at
once, so the image and its labels cannot disagree.
"""

import cv2
import numpy as np
from cityscapesscripts.helpers.labels import name2label

# Official Cityscapes label ids of what the generator draws.
LABEL_ID = {
    name: name2label[name].id
    for name in (
        "ego vehicle",
        "static",
        "road",
        "sidewalk",
        "building",
        "pole",
        "traffic light",
        "traffic sign",
        "vegetation",
        "terrain",
        "sky",
        "person",
        "rider",
        "car",
        "bicycle",
    )
}
# Brightness variation of a fill: the amplitudes of the fine, medium and coarse noise fields.
DEFAULT_TEXTURE = (0.05, 0.05, 0.05)


class Canvas:
    """The arrays a scene is painted into, and the camera that projects the world onto them.

    Attributes:
        height, width: image size in pixels.
        image: float32 `[H, W, 3]` RGB, nominally 0..255 (clipped only by the camera effects).
        label: uint8 `[H, W]` label ids.
        instance: int32 `[H, W]` instance ids (`label_id * 1000 + k` for objects, else label id).
        depth: float32 `[H, W]` distance in metres of what was painted last (1e4 where nothing was).
        horizon, center: the row and column of the vanishing point.
        focal: focal length in pixels.
        camera_height: metres above the road.
        z_near: the distance at which the road meets the bottom image row; nothing nearer is seen
            on the ground, so drawers place objects beyond it.
        noise: three float32 `[H, W]` fields (fine, ~6 px, ~24 px) that texture the fills.
    """

    def __init__(self, rng, height, width):
        """Draws the camera and the noise fields from `rng` (in this order).

        Args:
            rng: a `numpy.random.Generator`.
            height, width: image size in pixels.
        """
        self.height, self.width = height, width
        self.image = np.zeros((height, width, 3), np.float32)
        self.label = np.zeros((height, width), np.uint8)
        self.instance = np.zeros((height, width), np.int32)
        self.depth = np.full((height, width), 1e4, np.float32)
        self.horizon = height * rng.uniform(0.36, 0.5)
        self.center = width * rng.uniform(0.4, 0.6)
        self.focal = width * rng.uniform(0.55, 0.8)
        self.camera_height = rng.uniform(1.3, 1.7)
        self.z_near = self.focal * self.camera_height / (height - self.horizon)
        self.noise = [_noise_field(rng, height, width, scale) for scale in (1, 6, 24)]
        self._instance_counts = {}

    def project(self, x, y, z):
        """World point(s) -> pixel coordinates `(column, row)` as floats.

        Args:
            x, y, z: metres, scalars or arrays of one shape. Depths below 0.3 m are treated as 0.3.

        Returns:
            `(columns, rows)`, like the inputs.
        """
        z = np.maximum(z, 0.3)
        return (
            self.center + self.focal * np.asarray(x) / z,
            self.horizon + self.focal * (self.camera_height - np.asarray(y)) / z,
        )

    def new_instance(self, label_id):
        """The next instance id of `label_id`: `label_id * 1000 + k` for the k-th one (from 0)."""
        k = self._instance_counts.get(label_id, 0)
        self._instance_counts[label_id] = k + 1
        return label_id * 1000 + k

    def paint(
        self, y0, x0, mask, color, label_id, instance_id=None, depth=0.0, texture=DEFAULT_TEXTURE
    ):
        """Paints the pixels of `mask` with a textured colour, a label, an instance and a depth.

        Args:
            y0, x0: the image pixel of `mask`'s top-left element; `mask` must fit in the image.
            mask: bool `[h, w]`.
            color: RGB `[3]`, or one colour per pixel `[h, w, 3]`.
            label_id: the label id to write.
            instance_id: the instance id to write; default `label_id` (stuff, not an object).
            depth: metres, written to `depth`.
            texture: amplitudes of the fine, medium and coarse noise fields.
        """
        if not mask.any():
            return
        h, w = mask.shape
        window = (slice(y0, y0 + h), slice(x0, x0 + w))
        color = np.asarray(color, np.float32)
        shade = 1.0 + sum(a * n[window] for a, n in zip(texture, self.noise))
        pixels = color * shade[..., None]
        self.image[window][mask] = pixels[mask]
        self.label[window][mask] = label_id
        self.instance[window][mask] = label_id if instance_id is None else instance_id
        self.depth[window][mask] = depth

    def polygon(
        self, points, color, label_id, instance_id=None, depth=0.0, texture=DEFAULT_TEXTURE
    ):
        """Fills a polygon given in pixels, clipped to the image.

        Args:
            points: `[N, 2]` (column, row) corners.
            color, label_id, instance_id, depth, texture: as for `paint`.
        """
        points = np.asarray(points, np.float64)
        x0, y0 = np.floor(points.min(0)).astype(int)
        x1, y1 = np.ceil(points.max(0)).astype(int) + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, self.width), min(y1, self.height)
        if x1 <= x0 or y1 <= y0:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        # fillPoly takes int32 corners with 4 fractional bits (shift=4); the clip keeps corners of
        # polygons far outside the image (objects next to the camera) within int32.
        local = np.clip((points - [x0, y0]) * 16, -(2**26), 2**26).round().astype(np.int32)
        cv2.fillPoly(mask, [local], 1, lineType=cv2.LINE_8, shift=4)
        self.paint(y0, x0, mask.astype(bool), color, label_id, instance_id, depth, texture)

    def ellipse(
        self, cx, cy, rx, ry, color, label_id, instance_id=None, depth=0.0, texture=DEFAULT_TEXTURE
    ):
        """Fills an axis-aligned ellipse given in pixels, as a 24-sided polygon.

        Args:
            cx, cy: centre (column, row).
            rx, ry: radii in pixels.
            color, label_id, instance_id, depth, texture: as for `paint`.
        """
        angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        corners = np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], 1)
        self.polygon(corners, color, label_id, instance_id, depth, texture)

    def quad(self, corners, color, label_id, instance_id=None, texture=DEFAULT_TEXTURE):
        """Fills a flat polygon given in world coordinates, at the depth of its nearest corner.

        Args:
            corners: `[N, 3]` (x, y, z) corners in metres.
            color, label_id, instance_id, texture: as for `paint`.
        """
        corners = np.asarray(corners, np.float64)
        xs, ys = self.project(corners[:, 0], corners[:, 1], corners[:, 2])
        depth = float(corners[:, 2].min())
        self.polygon(np.stack([xs, ys], 1), color, label_id, instance_id, depth, texture)

    def box_2d(
        self,
        x,
        z,
        left,
        right,
        bottom,
        top,
        color,
        label_id,
        instance_id=None,
        texture=DEFAULT_TEXTURE,
    ):
        """Fills a rectangle that faces the camera at depth `z`.

        Args:
            x, z: the reference point (x, 0, z) on the ground, metres.
            left, right, bottom, top: the rectangle's edges relative to it, metres.
            color, label_id, instance_id, texture: as for `paint`.
        """
        self.quad(
            [
                (x + left, bottom, z),
                (x + right, bottom, z),
                (x + right, top, z),
                (x + left, top, z),
            ],
            color,
            label_id,
            instance_id,
            texture,
        )

    def color_at(self, x, y):
        """The colour painted so far at pixel (x, y), the nearest pixel if (x, y) is outside."""
        xi, yi = int(np.clip(x, 0, self.width - 1)), int(np.clip(y, 0, self.height - 1))
        return self.image[yi, xi].copy()


def jitter_color(rng, base, spread=20):
    """A colour near `base`.

    Args:
        rng: a `numpy.random.Generator`.
        base: RGB, 0..255.
        spread: each channel moves by up to this much.

    Returns:
        float64 `[3]`, clipped to 0..255.
    """
    return np.clip(np.asarray(base, np.float32) + rng.uniform(-spread, spread, 3), 0, 255)


def random_color(rng):
    """Any colour, from near-black and grey through saturated hues (clothes, cars).

    Args:
        rng: a `numpy.random.Generator`.

    Returns:
        float `[3]` RGB, 0..255 (slightly beyond for greys).
    """
    if rng.random() < 0.4:
        return np.full(3, rng.uniform(20, 230), np.float32) + rng.uniform(-8, 8, 3)
    hsv = np.uint8([[[rng.integers(0, 180), rng.integers(60, 255), rng.integers(60, 255)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def _noise_field(rng, height, width, scale):
    """Gaussian noise with features about `scale` pixels wide, float32 `[height, width]`."""
    small = rng.standard_normal((max(height // scale, 2), max(width // scale, 2))).astype(
        np.float32
    )
    if scale == 1:
        return cv2.GaussianBlur(small, (0, 0), 0.7) * 1.8
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
