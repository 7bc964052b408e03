"""Renders one procedural street scene with Cityscapes label ids and instance ids.

The scene is built in world coordinates (metres; X right, Y up, Z forward) and projected through a
pinhole camera 1.3-1.7 m above a flat road, so sizes shrink with distance and the road, lane
markings, sidewalks and facades converge on a vanishing point. Objects are painted far to near.
Colours overlap between classes on purpose (grey cars on grey roads, green terrain next to green
trees, sky reflected in windows, coloured lighting, fog, shadows and noise), so a class can only be
told from shape, texture and context, as in real images.

The output is a pure function of the generator's state, and `tests/data/test_synthesize_scenes.py`
pins it: the random numbers must be drawn in the same order, including those drawn while objects
are painted, after the far-to-near sort.
"""

import cv2
import numpy as np

from tfseg.data.synthetic.canvas import Canvas
from tfseg.data.synthetic.facades import plan_facades
from tfseg.data.synthetic.road_users import draw_ego_vehicle, plan_people, plan_traffic
from tfseg.data.synthetic.street import Street, draw_ground, draw_sky, draw_skyline
from tfseg.data.synthetic.street_furniture import plan_street_furniture


def render_scene(rng, height, width):
    """Draws one street scene.

    Args:
        rng: a `numpy.random.Generator`; the scene is a pure function of its state.
        height, width: image size in pixels (any size from about 32x64 to 1024x2048 and more).

    Returns:
        `(image, label_ids, instance_ids)`: uint8 `[H, W, 3]` RGB, uint8 `[H, W]` official label
        ids, int32 `[H, W]` with `id * 1000 + k` for the k-th person, rider, car and bicycle and
        the label id elsewhere (the layout of Cityscapes' `*_instanceIds.png`).

    Example:
        >>> image, label_ids, instance_ids = render_scene(np.random.default_rng(0), 256, 512)
    """
    canvas = Canvas(rng, height, width)
    street = Street.sample(rng)
    draw_sky(canvas, rng, street)
    draw_skyline(canvas, rng, street)
    draw_ground(canvas, rng, street)
    objects = []  # (depth, draw) pairs
    for side in (-1, 1):
        objects += plan_facades(canvas, rng, street, side)
        objects += plan_street_furniture(canvas, rng, street, side)
        objects += plan_people(canvas, rng, street, side)
    objects += plan_traffic(canvas, rng, street)
    # Far to near, so nearer objects cover farther ones; the sort is stable, so objects at the
    # same depth (a facade and its hedge) are painted in the order they were planned.
    for _, draw in sorted(objects, key=lambda o: -o[0]):
        draw()
    if rng.random() < 0.35:
        draw_ego_vehicle(canvas, rng)
    image = _photograph(canvas, rng, haze=street.sky[1])
    return image, canvas.label, canvas.instance


def _photograph(canvas, rng, haze):
    """The camera's rendering of the painted canvas: haze, exposure, colour cast, gamma, vignette,
    lens blur and sensor noise. Returns uint8 `[H, W, 3]`."""
    h, w = canvas.height, canvas.width
    # Haze grows with distance (sky has depth 1e4, so it takes the haze colour).
    fog = (1 - np.exp(-np.minimum(canvas.depth, 300) * rng.uniform(0.0, 0.015))) * 0.8
    haze = np.asarray(haze, np.float32)
    image = canvas.image * (1 - fog[..., None]) + haze * fog[..., None]
    image = image * rng.uniform(0.55, 1.3) * rng.uniform(0.88, 1.12, 3).astype(np.float32)
    image = 255 * (np.clip(image, 0, 255) / 255) ** rng.uniform(0.8, 1.25)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    image = image * (1 - rng.uniform(0, 0.3) * r2 / 2)[..., None]
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 0.8) * max(w / 512, 1))
    image = image + rng.normal(0, rng.uniform(1.5, 6), image.shape).astype(np.float32)
    return np.clip(image, 0, 255).round().astype(np.uint8)
