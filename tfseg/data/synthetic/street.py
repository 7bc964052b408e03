"""The street: its layout and light, the sky, the skyline, and the ground with its markings.

The road runs along Z. Across it (X, from its centre outwards on each side) come the road, an
optional grass verge, the sidewalk, and then the building line. `side` is -1 for the left of the
street and +1 for the right.
"""

import dataclasses

import numpy as np

from tfseg.data.synthetic.canvas import LABEL_ID, jitter_color
from tfseg.data.synthetic.street_furniture import FOLIAGE

SKIES = (  # (top, horizon) colours: clear, overcast, dusk, hazy
    ((55, 105, 185), (165, 195, 230)),
    ((135, 140, 150), (195, 198, 205)),
    ((70, 80, 140), (235, 165, 110)),
    ((150, 175, 205), (215, 220, 225)),
)
PAVEMENTS = ((165, 165, 160), (190, 180, 160), (150, 100, 90), (125, 125, 130))
GRASS = ((95, 135, 60), (135, 150, 75), (150, 130, 85), (80, 110, 55))


@dataclasses.dataclass(frozen=True)
class Street:
    """The layout of the street and the light on it.

    Attributes:
        road: half the road's width, metres.
        road_center: X of the road's centre line (the camera is not always in the middle).
        verges: widths of the grass between road and sidewalk, (left, right); 0 for none.
        sidewalks: widths of the sidewalks, (left, right).
        sky: (top, horizon) RGB colours; the horizon colour is also the haze and what windows
            reflect.
        sun: brightness factors of the left and right facades.
    """

    road: float
    road_center: float
    verges: tuple
    sidewalks: tuple
    sky: tuple
    sun: np.ndarray

    @classmethod
    def sample(cls, rng):
        """Draws a street from `rng`.

        Args:
            rng: a `numpy.random.Generator`.

        Returns:
            A `Street`.
        """
        road = rng.uniform(3.5, 8.0)
        road_center = rng.uniform(-0.35, 0.35) * road
        verges = tuple(rng.uniform(0.8, 2.5) if rng.random() < 0.3 else 0.0 for _ in range(2))
        sidewalks = tuple(rng.uniform(1.5, 4.5) for _ in range(2))
        sky = SKIES[rng.integers(len(SKIES))]
        sun = rng.uniform(0.6, 1.0, size=2)
        return cls(road, road_center, verges, sidewalks, sky, sun)

    def kerb(self, side):
        """Distance from the road centre to the sidewalk's inner edge on `side` (-1 or 1)."""
        return self.road + self.verges[(side + 1) // 2]

    def sidewalk(self, side):
        """Width of the sidewalk on `side` (-1 or 1)."""
        return self.sidewalks[(side + 1) // 2]


def draw_sky(canvas, rng, street):
    """Fills the whole canvas with a sky gradient and clouds; everything else paints over it.

    Args:
        canvas: the `Canvas`.
        rng: a `numpy.random.Generator`.
        street: the `Street` (its sky colours).
    """
    top, bottom = (np.asarray(c, np.float32) for c in street.sky)
    rows = np.arange(canvas.height, dtype=np.float32)
    t = np.clip(rows / max(canvas.horizon, 1), 0, 1)[:, None, None]  # 0 at the top, 1 below
    gradient = top * (1 - t) + bottom * t
    clouds = np.clip(canvas.noise[2] * rng.uniform(0.2, 0.8), 0, 1)[..., None]
    canvas.image[:] = gradient * (1 - clouds) + np.float32(235) * clouds
    canvas.label[:] = LABEL_ID["sky"]
    canvas.instance[:] = LABEL_ID["sky"]


def draw_skyline(canvas, rng, street):
    """Paints distant buildings and tree lines along the horizon, with gaps of open sky.

    Args:
        canvas: the `Canvas`.
        rng: a `numpy.random.Generator`.
        street: the `Street` (distant buildings take the horizon's colour).
    """
    z = rng.uniform(150, 300)
    x = -canvas.center * z / canvas.focal
    end = (canvas.width - canvas.center) * z / canvas.focal
    x -= rng.uniform(0, 30)
    while x < end:
        width = rng.uniform(8, 40)
        if rng.random() < 0.3:  # open sky
            x += width
            continue
        # The blocks reach 1 m below the road, so that they meet the ground without a gap.
        if rng.random() < 0.3:
            top = rng.uniform(5, 15)
            color = jitter_color(rng, FOLIAGE[2], 15)
            canvas.box_2d(
                x, z, 0, width, -1, top, color, LABEL_ID["vegetation"], texture=(0.25, 0.15, 0.05)
            )
        else:
            top = rng.uniform(8, 35)
            color = jitter_color(rng, street.sky[1], 40) * 0.8  # the horizon's colour, darker
            canvas.box_2d(
                x, z, 0, width, -1, top, color, LABEL_ID["building"], texture=(0.04, 0.06, 0.03)
            )
        x += width


def draw_ground(canvas, rng, street):
    """Paints everything below the horizon: terrain, sidewalks, the road with markings, shadows.

    Each ground pixel is classified by where its ray meets the road plane: the depth `z` of its row
    and its distance `d` from the road's centre line.

    Args:
        canvas: the `Canvas`.
        rng: a `numpy.random.Generator`.
        street: the `Street`.
    """
    row0 = int(np.ceil(canvas.horizon + 0.5))
    if row0 >= canvas.height:
        return
    rows = np.arange(row0, canvas.height, dtype=np.float32)[:, None] + 0.5
    columns = np.arange(canvas.width, dtype=np.float32)[None, :] + 0.5
    z = canvas.focal * canvas.camera_height / (rows - canvas.horizon)
    x = (columns - canvas.center) * z / canvas.focal
    d = x - street.road_center
    z = np.broadcast_to(z, d.shape)
    window = (slice(row0, canvas.height), slice(0, canvas.width))
    fine, mid, coarse = (n[window] for n in canvas.noise)

    label = np.full(d.shape, LABEL_ID["terrain"], np.uint8)
    image = np.empty(d.shape + (3,), np.float32)
    grass = jitter_color(rng, GRASS[rng.integers(len(GRASS))], 15)
    image[:] = grass * (1 + 0.25 * fine + 0.15 * mid)[..., None]
    for side in (-1, 1):
        inner = street.kerb(side)
        walk = (side * d >= inner) & (side * d < inner + street.sidewalk(side))
        pavement = jitter_color(rng, PAVEMENTS[rng.integers(len(PAVEMENTS))], 12)
        tile = rng.uniform(0.3, 0.8)
        seams = (np.mod(d, tile) < 0.04) | (np.mod(z, tile) < 0.04)
        texture = (1 + 0.08 * fine + 0.08 * mid - 0.25 * seams)[..., None]
        curb = (side * d - inner) < 0.2  # the kerb stones are brighter
        image[walk] = (pavement * texture + 25 * curb[..., None])[walk]
        label[walk] = LABEL_ID["sidewalk"]
    road = np.abs(d) < street.road
    asphalt = np.full(3, rng.uniform(55, 125), np.float32) + rng.uniform(-6, 6, 3)
    patches = (coarse > rng.uniform(0.8, 2.0)).astype(np.float32) * rng.uniform(-0.2, 0.15)
    image[road] = (asphalt * (1 + 0.12 * fine + 0.08 * mid + patches)[..., None])[road]
    label[road] = LABEL_ID["road"]
    _draw_markings(canvas, rng, street, image, d, z, road, fine)

    # Shadows of the buildings on one side, with a wavy edge: dark road, bright road, both.
    sign = rng.choice([-1, 1])
    edge = street.road * rng.uniform(-0.5, 1.2) + 2 * np.sin(
        z / rng.uniform(5, 20) + rng.uniform(0, 6)
    )
    if rng.random() < 0.6:
        image[sign * d > edge] *= rng.uniform(0.45, 0.8)
    canvas.image[window] = image
    canvas.label[window] = label
    canvas.instance[window] = label
    canvas.depth[window] = z


def _draw_markings(canvas, rng, street, image, d, z, road, fine):
    """Paints lane lines, edge lines and sometimes a zebra crossing into the ground `image`.

    The lane width here is drawn on its own, independently of the lanes the cars drive in.
    """
    paint = np.float32(rng.uniform(200, 245)) + rng.uniform(-5, 5, 3)
    wear = fine < rng.uniform(0.3, 2.5)  # worn paint shows the asphalt
    lane = rng.uniform(2.8, 3.6)
    marks = np.zeros(d.shape, bool)
    dash, period = rng.uniform(2, 4), rng.uniform(6, 12)
    dashed = np.mod(z + rng.uniform(0, period), period) < dash
    for k in range(-3, 4):
        position = k * lane
        if abs(position) < street.road - lane / 2:
            marks |= (np.abs(d - position) < 0.07) & (dashed if k else True)  # solid centre line
    marks |= np.abs(np.abs(d) - (street.road - 0.35)) < 0.07  # edge lines
    if rng.random() < 0.35:  # a zebra crossing
        start = rng.uniform(canvas.z_near * 1.5, 30)
        marks |= (z > start) & (z < start + 3.5) & (np.mod(d, 1.0) < 0.5)
    marks &= road & wear
    image[marks] = paint
