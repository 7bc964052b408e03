"""Road users: pedestrians, cyclists (a rider on a bicycle), parked bicycles, cars, and the bonnet
of the recording car.

These are Cityscapes' "things": each gets its own instance id, numbered in the order they are
painted (far to near), when it is painted.
"""

import functools

import numpy as np

from tfseg.data.synthetic.canvas import DEFAULT_TEXTURE, LABEL_ID, jitter_color, random_color

_SKIN = ((240, 200, 170), (210, 160, 120), (160, 110, 80), (100, 70, 50))


def plan_people(canvas, rng, street, side):
    """Pedestrians on the sidewalk of `side`, maybe one crossing the road, cyclists riding near
    the kerb, maybe a parked bicycle.

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
    for _ in range(rng.poisson(2.5)):
        x = side * (edge + rng.uniform(0.3, street.sidewalk(side) - 0.3))
        z = rng.uniform(1.1 * canvas.z_near, 50)
        objects.append(_plan_person(canvas, rng, x, z, LABEL_ID["person"]))
    if rng.random() < 0.2:  # someone crossing the road (asked once per side)
        z = rng.uniform(1.5 * canvas.z_near, 30)
        x = rng.uniform(-street.road, street.road) + street.road_center
        objects.append(_plan_person(canvas, rng, x, z, LABEL_ID["person"]))
    for _ in range(rng.poisson(0.8)):  # cyclists near the kerb
        x = side * (street.road - rng.uniform(0.6, 1.2)) + street.road_center
        z = rng.uniform(1.2 * canvas.z_near, 45)
        objects.append(_plan_cyclist(canvas, rng, x, z))
    if rng.random() < 0.25:  # a parked bicycle on the sidewalk, seen from the side
        x = side * (edge + rng.uniform(0.3, 1.0))
        z = rng.uniform(1.2 * canvas.z_near, 30)
        objects.append((z, functools.partial(draw_bicycle, canvas, rng, x, z, side_view=True)))
    return objects


def _plan_person(canvas, rng, x, z, label_id, seated=False):
    """A person facing or turned away from the camera at (x, 0, z), standing or, with `seated`,
    sitting on a saddle. `label_id` is 'person' or 'rider'.

    Returns:
        A `(depth, draw)` pair.
    """
    tall = rng.uniform(1.5, 1.95)
    shirt = random_color(rng)
    trousers = random_color(rng) * rng.uniform(0.3, 0.8)
    skin = jitter_color(rng, _SKIN[rng.integers(len(_SKIN))], 10)
    if rng.random() < 0.8:
        hair = jitter_color(rng, (40, 30, 20), 25)
    else:
        hair = jitter_color(rng, (200, 170, 110), 20)
    stride, width = rng.uniform(0, 0.25), rng.uniform(0.34, 0.5)

    def draw():
        k = canvas.new_instance(label_id)
        base = 0.45 if seated else 0.0  # a rider sits on a saddle 0.45 m up
        hip = base + (0.3 if seated else 0.47) * tall
        if seated:  # legs hanging down either side of the bicycle
            canvas.box_2d(x, z, -0.2, -0.08, 0.25, hip, trousers, label_id, k)
            canvas.box_2d(x, z, 0.08, 0.2, 0.25, hip, trousers, label_id, k)
        else:  # legs apart, the feet `stride` further out than the hips
            outer, inner = x - 0.15, x - 0.02
            left_leg = [
                (outer, hip, z),
                (inner, hip, z),
                (inner - stride, 0, z),
                (outer - stride, 0, z),
            ]
            canvas.quad(left_leg, trousers, label_id, k)
            inner, outer = x + 0.02, x + 0.15
            right_leg = [
                (inner, hip, z),
                (outer, hip, z),
                (outer + stride, 0, z),
                (inner + stride, 0, z),
            ]
            canvas.quad(right_leg, trousers, label_id, k)
        shoulder = hip + 0.33 * tall
        torso = (-width / 2, width / 2, hip - 0.05, shoulder)
        canvas.box_2d(x, z, *torso, shirt, label_id, k, texture=(0.06, 0.04, 0.0))
        for left, right in ((-width / 2 - 0.09, -width / 2), (width / 2, width / 2 + 0.09)):  # arms
            canvas.box_2d(x, z, left, right, hip - 0.1, shoulder - 0.02, shirt * 0.9, label_id, k)
        cx, cy = canvas.project(x, shoulder + 0.13, z)
        r = 0.11 * canvas.focal / max(z, 0.3)
        canvas.ellipse(cx, cy, r * 0.85, r, skin, label_id, k, depth=z)
        canvas.ellipse(cx, cy - r * 0.4, r * 0.9, r * 0.6, hair, label_id, k, depth=z)

    return (z, draw)


def _plan_cyclist(canvas, rng, x, z):
    """A rider on a bicycle seen from behind at (x, 0, z).

    Returns:
        A `(depth, draw)` pair; the bicycle is painted first, so the rider covers it.
    """
    _, draw_rider = _plan_person(canvas, rng, x, z, LABEL_ID["rider"], seated=True)

    def draw():
        draw_bicycle(canvas, rng, x, z, side_view=False)
        draw_rider()

    return (z, draw)


def draw_bicycle(canvas, rng, x, z, side_view):
    """Paints a bicycle at (x, 0, z); its colours are drawn now.

    Args:
        canvas: the `Canvas`.
        rng: a `numpy.random.Generator`.
        x, z: metres; the centre of the bicycle on the ground.
        side_view: seen from the side (two wheels and a frame), else from behind (one narrow
            wheel, a handlebar).
    """
    k = canvas.new_instance(LABEL_ID["bicycle"])
    frame = random_color(rng) * 0.8
    tyre = jitter_color(rng, (30, 30, 30), 10)
    scale = canvas.focal / max(z, 0.3)  # pixels per metre at this depth
    if not side_view:
        canvas.box_2d(x, z, -0.03, 0.03, 0, 0.68, tyre, LABEL_ID["bicycle"], k)
        canvas.box_2d(x, z, -0.04, 0.04, 0.3, 0.95, frame, LABEL_ID["bicycle"], k)
        canvas.box_2d(x, z, -0.3, 0.3, 0.95, 1.0, frame, LABEL_ID["bicycle"], k)
        return
    for dx in (-0.55, 0.55):
        cx, cy = canvas.project(x + dx, 0.34, z)
        r_tyre, r_inner = 0.34 * scale, 0.27 * scale
        canvas.ellipse(cx, cy, r_tyre, r_tyre, tyre, LABEL_ID["bicycle"], k, depth=z)
        # The inside of the wheel takes the colour at the hub, flat (no texture). That pixel is
        # read after the tyre was painted, so it is usually the tyre's own colour there.
        inside = canvas.color_at(cx, cy)
        canvas.ellipse(
            cx, cy, r_inner, r_inner, inside, LABEL_ID["bicycle"], k, depth=z, texture=(0, 0, 0)
        )
    canvas.quad(
        [(x - 0.55, 0.32, z), (x + 0.05, 0.75, z), (x + 0.55, 0.36, z), (x + 0.05, 0.7, z)],
        frame,
        LABEL_ID["bicycle"],
        k,
    )


def plan_traffic(canvas, rng, street):
    """Cars in the lanes and parked along the kerbs, without two in one place.

    Cars in the right half of the road drive away and show their backs; in the left half they are
    oncoming and show their fronts. Parked cars show their backs.

    Args:
        canvas: the `Canvas`.
        rng: a `numpy.random.Generator`.
        street: the `Street`.

    Returns:
        A list of `(depth, draw)` pairs.
    """
    objects, taken = [], []
    lane = rng.uniform(2.8, 3.6)  # drawn independently of the painted lane markings
    lanes = [
        k * lane + lane / 2 for k in range(-3, 3) if abs(k * lane + lane / 2) < street.road - 1.0
    ]
    parked = [s * (street.road - 1.1) for s in (-1, 1) if rng.random() < 0.5]
    for _ in range(rng.poisson(4)):
        if not lanes and not parked:
            break
        is_parked = bool(parked) and rng.random() < 0.4
        d = parked[rng.integers(len(parked))] if is_parked else lanes[rng.integers(len(lanes))]
        length = rng.uniform(3.8, 5.2)
        z = rng.uniform(1.0 * canvas.z_near, 80)
        if any(abs(d - d2) < 1.5 and abs(z - z2) < length + 1.5 for d2, z2 in taken):
            continue  # too close to a car already placed: dropped, not moved
        taken.append((d, z))
        x = d + street.road_center
        objects.append(_plan_car(canvas, rng, street, x, z, length, from_behind=d > 0 or is_parked))
    return objects


def _plan_car(canvas, rng, street, x, z, length, from_behind):
    """A car whose near end is centred on (x, 0, z), `length` metres long, pointing along Z.

    Returns:
        A `(depth, draw)` pair. `from_behind` gives it red tail lamps, else white headlamps.
    """
    width, height = rng.uniform(1.65, 2.0), rng.uniform(1.35, 1.9)
    body = random_color(rng)
    glass = jitter_color(rng, street.sky[1], 30) * rng.uniform(0.25, 0.6)  # reflects the sky
    tyre = jitter_color(rng, (25, 25, 25), 8)
    lamp = jitter_color(rng, (200, 30, 30) if from_behind else (235, 230, 200), 15)

    def draw():
        k = canvas.new_instance(LABEL_ID["car"])

        def face(corners, color):  # a world-space polygon of this car
            canvas.quad(corners, color, LABEL_ID["car"], k)

        def panel(left, right, bottom, top, color, texture=DEFAULT_TEXTURE):  # on the near end
            canvas.box_2d(x, z, left, right, bottom, top, color, LABEL_ID["car"], k, texture)

        left, right = x - width / 2, x + width / 2
        # The side face turned to the camera (none when the car is straight ahead), the roof when
        # the camera is higher, then the near end, which covers them.
        side_x = left if left > 0 else (right if right < 0 else None)
        if side_x is not None:
            face(
                [
                    (side_x, 0.15, z),
                    (side_x, 0.15, z + length),
                    (side_x, height * 0.75, z + length),
                    (side_x, height * 0.75, z),
                ],
                body * 0.8,
            )
            face(  # side windows
                [
                    (side_x, height * 0.75, z + 0.6),
                    (side_x, height * 0.75, z + length - 0.8),
                    (side_x, height, z + length - 1.2),
                    (side_x, height, z + 1.0),
                ],
                glass * 0.9,
            )
            angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
            for wheel in (z + 0.8, z + length - 0.8):
                face(
                    [(side_x, 0.33 + 0.33 * np.sin(a), wheel + 0.33 * np.cos(a)) for a in angles],
                    tyre,
                )
        if height < canvas.camera_height:
            face(
                [
                    (left + 0.1, height, z + 0.8),
                    (right - 0.1, height, z + 0.8),
                    (right - 0.1, height, z + length - 1.2),
                    (left + 0.1, height, z + length - 1.2),
                ],
                body * 1.1,
            )
        panel(-width / 2, width / 2, 0.15, height * 0.72, body)
        face(  # rear or front window, sloping back to the roof
            [
                (left + 0.15, height * 0.72, z + 0.3),
                (right - 0.15, height * 0.72, z + 0.3),
                (right - 0.25, height, z + 0.9),
                (left + 0.25, height, z + 0.9),
            ],
            glass,
        )
        panel(-width / 2, -width / 2 + 0.3, 0, 0.35, tyre)
        panel(width / 2 - 0.3, width / 2, 0, 0.35, tyre)
        for s in (-1, 1):  # lamps at the outer corners
            panel(
                s * width / 2 - (0.25 if s > 0 else 0),
                s * width / 2 + (0.25 if s < 0 else 0),
                height * 0.5,
                height * 0.6,
                lamp,
                texture=(0.02, 0, 0),
            )
        plate = jitter_color(rng, (225, 225, 220), 10)  # drawn when painted
        panel(-0.26, 0.26, 0.3, 0.42, plate, texture=(0.02, 0, 0))

    return (z, draw)


def draw_ego_vehicle(canvas, rng):
    """Paints the bonnet of the recording car across the bottom: 'ego vehicle', not evaluated.

    Args:
        canvas: the `Canvas`.
        rng: a `numpy.random.Generator`.
    """
    h, w = canvas.height, canvas.width
    top = h * (1 - rng.uniform(0.05, 0.14))
    canvas.ellipse(
        w / 2,
        h + (h - top) * 1.5,
        w * 0.75,
        (h - top) * 2.5,
        random_color(rng) * 0.5,
        LABEL_ID["ego vehicle"],
        depth=0.5,
        texture=(0.02, 0.05, 0.1),
    )
