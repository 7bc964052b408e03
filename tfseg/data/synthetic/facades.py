"""The buildings along the street: facades with windows, gaps with trees, hedges, and sometimes
a building across the far end.

A facade is a plane X = const, from the building line (`Street.kerb(side) + Street.sidewalk(side)`)
to up to 1.5 m behind it.
"""

import functools

import numpy as np

from tfseg.data.synthetic.canvas import LABEL_ID, jitter_color
from tfseg.data.synthetic.street_furniture import FOLIAGE, plan_tree

FACADES = (
    (150, 150, 150),
    (200, 190, 170),
    (175, 90, 70),
    (225, 220, 210),
    (120, 115, 110),
    (190, 170, 120),
    (110, 130, 150),
    (160, 120, 100),
)


def plan_facades(canvas, rng, street, side):
    """The row of buildings on `side`, with gaps (trees or sky) and hedges, to about 120 m.

    Args:
        canvas: the `Canvas`.
        rng: a `numpy.random.Generator`.
        street: the `Street`.
        side: -1 (left) or 1 (right).

    Returns:
        A list of `(depth, draw)` pairs.
    """
    objects = []
    base = street.kerb(side) + street.sidewalk(side)
    z = rng.uniform(0.3, 1.5) * canvas.z_near
    while z < 120:
        length = rng.uniform(6, 25)
        if rng.random() < 0.25:  # a gap between buildings: trees, or open sky
            if rng.random() < 0.7:
                objects.append(
                    plan_tree(canvas, rng, side * (base + rng.uniform(0.5, 3)), z + length / 2)
                )
            z += length * 0.6
            continue
        setback = base + rng.uniform(0, 1.5)
        top = rng.uniform(5, 28)
        objects.append(_plan_facade(canvas, rng, street, side * setback, z, length, top))
        if rng.random() < 0.2:  # a hedge in front
            x = side * (setback - 0.4)
            height = rng.uniform(0.7, 1.5)
            objects.append((z, functools.partial(_draw_hedge, canvas, rng, x, z, length, height)))
        z += length
    # The random number is drawn on both sides, but only the right side may close the street.
    if rng.random() < 0.4 and side == 1:  # the street ends at a building across it
        z_end = rng.uniform(60, 140)
        objects.append((z_end, functools.partial(_draw_building_across, canvas, rng, z_end)))
    return objects


def _plan_facade(canvas, rng, street, x, z, length, top):
    """A facade in the plane X = `x` from depth `z` to `z + length`, `top` metres high.

    Returns:
        A `(depth, draw)` pair; `draw` paints the wall and its windows pixel by pixel.
    """
    wall = jitter_color(rng, FACADES[rng.integers(len(FACADES))], 25) * street.sun[int(x > 0)]
    glass = jitter_color(rng, street.sky[1], 30) * rng.uniform(0.3, 0.9)  # reflects the sky
    floor, bay = rng.uniform(2.8, 3.8), rng.uniform(1.8, 3.5)  # window grid: storey height, pitch
    sill, lintel = rng.uniform(0.6, 1.0), rng.uniform(2.0, 2.6)  # window bottom and top per storey
    frame = rng.uniform(0.25, 0.6)

    def draw():
        xs, ys = canvas.project(
            np.array([x, x, x, x]),
            np.array([0, 0, top, top]),
            np.array([z, z + length, z + length, z]),
        )
        x0, x1 = int(max(np.floor(xs.min()), 0)), int(min(np.ceil(xs.max()) + 1, canvas.width))
        y0, y1 = int(max(np.floor(ys.min()), 0)), int(min(np.ceil(ys.max()) + 1, canvas.height))
        if x1 <= x0 or y1 <= y0:
            return
        # Cast a ray through every pixel of the bounding box onto the facade plane.
        px = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
        py = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
        with np.errstate(divide="ignore", invalid="ignore"):
            pz = canvas.focal * x / (px - canvas.center)  # depth of the facade at each column
        py_world = canvas.camera_height - (py - canvas.horizon) * pz / canvas.focal
        inside = (pz >= z) & (pz <= z + length) & (py_world >= 0) & (py_world <= top)
        along = pz - z
        windows = (
            (np.mod(py_world, floor) > sill)
            & (np.mod(py_world, floor) < lintel)
            & (np.mod(along, bay) > frame)
            & (np.mod(along, bay) < bay - frame)
            & (along > frame)
            & (along < length - frame)
            & (py_world < top - 0.8)
        )
        # Each window gets its own brightness (lights on, curtains, reflections) from a hash of
        # its storey and bay.
        cell = np.floor(py_world / floor) * 31 + np.floor(along / bay) * 17 + x
        lit = 0.6 + 0.8 * np.mod(np.sin(np.nan_to_num(cell)) * 43758.5, 1.0)
        colors = np.where(windows[..., None], glass * lit[..., None], wall)
        canvas.paint(
            y0, x0, inside, colors, LABEL_ID["building"], depth=z, texture=(0.06, 0.08, 0.04)
        )

    return (z, draw)


def _draw_hedge(canvas, rng, x, z, length, height):
    """A hedge along a facade; its colour is drawn when it is painted."""
    canvas.quad(
        [(x, 0, z), (x, 0, z + length), (x, height, z + length), (x, height, z)],
        jitter_color(rng, FOLIAGE[rng.integers(len(FOLIAGE))], 15),
        LABEL_ID["vegetation"],
        texture=(0.35, 0.15, 0.05),
    )


def _draw_building_across(canvas, rng, z):
    """A building across the end of the street at depth `z`; its height and colour are drawn when
    it is painted."""
    top = rng.uniform(8, 30)
    color = jitter_color(rng, FACADES[rng.integers(len(FACADES))], 20)
    canvas.box_2d(0, z, -200, 200, -1, top, color, LABEL_ID["building"], texture=(0.05, 0.1, 0.05))
