"""Street furniture along the kerbs: trees, poles with traffic signs or traffic lights, bins."""

import functools

import numpy as np

from tfseg.data.synthetic.canvas import LABEL_ID, jitter_color, random_color

# Leaf colours (summer to autumn) of trees, hedges and distant tree lines.
FOLIAGE = ((60, 100, 40), (85, 125, 50), (45, 80, 45), (150, 140, 50), (170, 100, 40))
_SIGN_COLORS = ((200, 30, 30), (240, 240, 240), (30, 70, 170), (240, 200, 20))
_LIGHT_HOUSINGS = ((25, 25, 25), (40, 60, 40), (200, 170, 30))
_LAMP_GLOW = ((255, 50, 40), (255, 190, 40), (60, 255, 140))  # red, amber, green; top to bottom


def plan_street_furniture(canvas, rng, street, side):
    """Poles (with signs or traffic lights), trees and bins along the kerb on `side`, to ~90 m.

    Args:
        canvas: the `Canvas`.
        rng: a `numpy.random.Generator`.
        street: the `Street`.
        side: -1 (left) or 1 (right).

    Returns:
        A list of `(depth, draw)` pairs.
    """
    objects = []
    edge = street.kerb(side)
    z = rng.uniform(0.8, 3) * canvas.z_near
    while z < 90:
        kind = rng.random()
        x = side * (edge + rng.uniform(0.3, 0.9))  # drawn for every kind, though trees ignore it
        if kind < 0.55:
            objects.append(_plan_pole(canvas, rng, x, z, side))
        elif kind < 0.8:
            objects.append(plan_tree(canvas, rng, side * (edge + rng.uniform(0.5, 1.5)), z))
        else:  # a bin or bollard: 'static', which Cityscapes does not evaluate
            w, h = rng.uniform(0.3, 0.7), rng.uniform(0.6, 1.2)
            color = random_color(rng) * 0.6
            draw = functools.partial(
                canvas.box_2d, x, z, -w / 2, w / 2, 0, h, color, LABEL_ID["static"]
            )
            objects.append((z, draw))
        z += rng.uniform(8, 30)
    return objects


def plan_tree(canvas, rng, x, z):
    """A tree standing at (x, 0, z): a trunk and a crown of overlapping leafy blobs.

    Args:
        canvas: the `Canvas`.
        rng: a `numpy.random.Generator`; painting the crown draws from it again.
        x, z: where the trunk meets the ground, metres.

    Returns:
        A `(depth, draw)` pair.
    """
    trunk_h, radius = rng.uniform(1.5, 4), rng.uniform(1.2, 3.5)
    foliage = jitter_color(rng, FOLIAGE[rng.integers(len(FOLIAGE))], 20)
    bark = jitter_color(rng, (90, 75, 60), 20)
    blobs = [  # (dx, dy, radius) of each blob, metres from the crown's centre
        (
            rng.uniform(-0.6, 0.6) * radius,
            rng.uniform(-0.5, 0.5) * radius,
            rng.uniform(0.5, 0.9) * radius,
        )
        for _ in range(rng.integers(4, 9))
    ]

    def draw():
        canvas.box_2d(
            x,
            z,
            -0.15,
            0.15,
            0,
            trunk_h + radius * 0.5,
            bark,
            LABEL_ID["vegetation"],
            texture=(0.15, 0.1, 0.0),
        )
        scale = canvas.focal / max(z, 0.3)  # pixels per metre at this depth
        cx, cy = canvas.project(x, trunk_h + radius, z)
        for dx, dy, r in blobs:
            # Each blob's squash and shade are drawn as it is painted.
            ry = r * scale * rng.uniform(0.8, 1.1)
            color = foliage * rng.uniform(0.8, 1.15)
            canvas.ellipse(
                cx + dx * scale,
                cy - dy * scale,
                r * scale,
                ry,
                color,
                LABEL_ID["vegetation"],
                depth=z,
                texture=(0.45, 0.2, 0.05),
            )

    return (z, draw)


def _plan_pole(canvas, rng, x, z, side):
    """A pole at (x, 0, z) carrying a sign, a traffic light, a light on an arm over the road, or
    nothing.

    The sign's shape and colours and the light's colours are drawn whatever the pole carries.

    Returns:
        A `(depth, draw)` pair.
    """
    height, width = rng.uniform(3.5, 9), rng.uniform(0.1, 0.25)
    metal = jitter_color(rng, (rng.uniform(60, 170),) * 3, 10)
    attachment = rng.random()  # < 0.45 sign, < 0.75 traffic light, else an arm if tall enough
    arm = rng.uniform(2, 4) if (attachment > 0.75 and height > 5) else 0.0
    sign_shape = rng.integers(4)
    sign_colors = [jitter_color(rng, c, 15) for c in _SIGN_COLORS]
    housing = jitter_color(rng, _LIGHT_HOUSINGS[rng.integers(3)], 10)
    lamp = rng.integers(3)  # which lamp is lit

    def draw():
        canvas.box_2d(
            x,
            z,
            -width / 2,
            width / 2,
            0,
            height,
            metal,
            LABEL_ID["pole"],
            texture=(0.05, 0.05, 0.0),
        )
        if arm:  # reaches over the road, a traffic light hangs at its end
            left, right = (-side * arm, 0) if side > 0 else (0, arm)
            canvas.box_2d(x, z, left, right, height - 0.35, height - 0.2, metal, LABEL_ID["pole"])
            _draw_traffic_light(canvas, rng, x - side * arm, z, height - 0.25, housing, lamp)
        elif attachment < 0.45:
            top = height - rng.uniform(0.2, 1.0)
            _draw_sign(canvas, rng, x, z, top, sign_shape, sign_colors)
        elif attachment < 0.75:
            _draw_traffic_light(canvas, rng, x, z, height, housing, lamp)

    return (z, draw)


def _draw_sign(canvas, rng, x, z, top, shape, colors):
    """A traffic sign: round, triangular, rectangular or diamond (`shape` 0..3), a rim and a fill
    of two different colours out of `colors`, its top edge `top` metres up at (x, z)."""
    size = rng.uniform(0.5, 0.9)
    cx, cy = canvas.project(x, top - size / 2, z)
    r = size / 2 * canvas.focal / max(z, 0.3)
    rim, fill = colors[shape], colors[(shape + 1 + rng.integers(3)) % 4]
    if shape == 0:
        canvas.ellipse(cx, cy, r, r, rim, LABEL_ID["traffic sign"], depth=z)
        canvas.ellipse(cx, cy, r * 0.75, r * 0.75, fill, LABEL_ID["traffic sign"], depth=z)
        return
    corners = {
        1: [(0, -1), (0.9, 0.6), (-0.9, 0.6)],
        2: [(-1, -0.7), (1, -0.7), (1, 0.7), (-1, 0.7)],
        3: [(0, -1), (1, 0), (0, 1), (-1, 0)],
    }[shape]
    points = np.array([(cx + u * r, cy + v * r) for u, v in corners])
    canvas.polygon(points, rim, LABEL_ID["traffic sign"], depth=z)
    inner = [cx, cy] + (points - [cx, cy]) * 0.7
    canvas.polygon(inner, fill, LABEL_ID["traffic sign"], depth=z)


def _draw_traffic_light(canvas, rng, x, z, top, housing, lamp):
    """A traffic light housing hanging from `top` metres at (x, z), three lamps, one of them lit."""
    w, h = rng.uniform(0.3, 0.45), rng.uniform(0.8, 1.1)
    canvas.box_2d(x, z, -w / 2, w / 2, top - h, top, housing, LABEL_ID["traffic light"])
    r = w * 0.3 * canvas.focal / max(z, 0.3)
    for i in range(3):
        cx, cy = canvas.project(x, top - h * (i + 0.5) / 3, z)
        color = _LAMP_GLOW[i] if i == lamp else (40, 40, 40)
        canvas.ellipse(
            cx, cy, r, r, color, LABEL_ID["traffic light"], depth=z, texture=(0.02, 0.0, 0.0)
        )
