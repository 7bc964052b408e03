"""Renders one procedural street scene with Cityscapes label ids and instance ids.

The scene is built in world coordinates (metres; X right, Y up, Z forward) and projected through a
pinhole camera 1.3-1.7 m above a flat road, so sizes shrink with distance and the road, lane
markings, sidewalks and facades converge on a vanishing point. Objects are painted far to near.
Colours overlap between classes on purpose (grey cars on grey roads, green terrain next to green
trees, sky reflected in windows, coloured lighting, fog, shadows and noise), so a class can only be
told from shape, texture and context, as in real images.
"""

import cv2
import numpy as np
from cityscapesscripts.helpers.labels import name2label

# Official Cityscapes label ids of what the generator draws.
ID = {
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
_SKIES = (  # (top, horizon) colours: clear, overcast, dusk, hazy
    ((55, 105, 185), (165, 195, 230)),
    ((135, 140, 150), (195, 198, 205)),
    ((70, 80, 140), (235, 165, 110)),
    ((150, 175, 205), (215, 220, 225)),
)
_FACADES = (
    (150, 150, 150),
    (200, 190, 170),
    (175, 90, 70),
    (225, 220, 210),
    (120, 115, 110),
    (190, 170, 120),
    (110, 130, 150),
    (160, 120, 100),
)
_PAVEMENTS = ((165, 165, 160), (190, 180, 160), (150, 100, 90), (125, 125, 130))
_GRASS = ((95, 135, 60), (135, 150, 75), (150, 130, 85), (80, 110, 55))
_FOLIAGE = ((60, 100, 40), (85, 125, 50), (45, 80, 45), (150, 140, 50), (170, 100, 40))
_SKIN = ((240, 200, 170), (210, 160, 120), (160, 110, 80), (100, 70, 50))


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
    scene = _Scene(rng, height, width)
    scene.draw()
    return scene.finish()


class _Scene:
    def __init__(self, rng, height, width):
        self.rng, self.h, self.w = rng, height, width
        self.image = np.zeros((height, width, 3), np.float32)
        self.label = np.zeros((height, width), np.uint8)
        self.instance = np.zeros((height, width), np.int32)
        self.depth = np.full((height, width), 1e4, np.float32)
        self.counts = {}
        # Camera: horizon row, vanishing column, focal length in pixels, height above the road.
        self.horizon = height * rng.uniform(0.36, 0.5)
        self.center = width * rng.uniform(0.4, 0.6)
        self.focal = width * rng.uniform(0.55, 0.8)
        self.cam_h = rng.uniform(1.3, 1.7)
        self.z_near = self.focal * self.cam_h / (height - self.horizon)
        self.noise = [self._noise(scale) for scale in (1, 6, 24)]
        # The street: road half-width, lateral offset of the camera, verge and sidewalk widths.
        self.road = rng.uniform(3.5, 8.0)
        self.offset = rng.uniform(-0.35, 0.35) * self.road
        self.verge = [rng.uniform(0.8, 2.5) if rng.random() < 0.3 else 0.0 for _ in range(2)]
        self.walk = [rng.uniform(1.5, 4.5) for _ in range(2)]
        self.sky = _SKIES[rng.integers(len(_SKIES))]
        self.sun = rng.uniform(0.6, 1.0, size=2)  # light on the left / right facades

    # -- drawing primitives ---------------------------------------------------------------------

    def _noise(self, scale):
        small = self.rng.standard_normal((max(self.h // scale, 2), max(self.w // scale, 2))).astype(
            np.float32
        )
        if scale == 1:
            return cv2.GaussianBlur(small, (0, 0), 0.7) * 1.8
        return cv2.resize(small, (self.w, self.h), interpolation=cv2.INTER_CUBIC)

    def project(self, x, y, z):
        """World point(s) -> pixel coordinates (float)."""
        z = np.maximum(z, 0.3)
        return (
            self.center + self.focal * np.asarray(x) / z,
            self.horizon + self.focal * (self.cam_h - np.asarray(y)) / z,
        )

    def _new_instance(self, label_id):
        k = self.counts.get(label_id, 0)
        self.counts[label_id] = k + 1
        return label_id * 1000 + k

    def paint(
        self, y0, x0, mask, color, label_id, instance_id=None, depth=0.0, texture=(0.05, 0.05, 0.05)
    ):
        """Paints `mask` (a bool array whose top-left pixel is (y0, x0)) with a textured colour."""
        if not mask.any():
            return
        h, w = mask.shape
        window = (slice(y0, y0 + h), slice(x0, x0 + w))
        color = np.asarray(color, np.float32)
        shade = 1.0 + sum(a * n[window] for a, n in zip(texture, self.noise))
        pixels = color * shade[..., None]  # color is [3] or one colour per pixel [h, w, 3]
        self.image[window][mask] = pixels[mask]
        self.label[window][mask] = label_id
        self.instance[window][mask] = label_id if instance_id is None else instance_id
        self.depth[window][mask] = depth

    def polygon(
        self, points, color, label_id, instance_id=None, depth=0.0, texture=(0.05, 0.05, 0.05)
    ):
        """Fills a pixel-space polygon (N x 2 array of x, y)."""
        points = np.asarray(points, np.float64)
        x0, y0 = np.floor(points.min(0)).astype(int)
        x1, y1 = np.ceil(points.max(0)).astype(int) + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, self.w), min(y1, self.h)
        if x1 <= x0 or y1 <= y0:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        local = np.clip((points - [x0, y0]) * 16, -(2**26), 2**26).round().astype(np.int32)
        cv2.fillPoly(mask, [local], 1, lineType=cv2.LINE_8, shift=4)
        self.paint(y0, x0, mask.astype(bool), color, label_id, instance_id, depth, texture)

    def ellipse(
        self,
        cx,
        cy,
        rx,
        ry,
        color,
        label_id,
        instance_id=None,
        depth=0.0,
        texture=(0.05, 0.05, 0.05),
    ):
        angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        self.polygon(
            np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], 1),
            color,
            label_id,
            instance_id,
            depth,
            texture,
        )

    def quad(self, corners, color, label_id, instance_id=None, texture=(0.05, 0.05, 0.05)):
        """Fills a world-space polygon given as (x, y, z) corners."""
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
        texture=(0.05, 0.05, 0.05),
    ):
        """A rectangle facing the camera at depth z, in metres relative to the point (x, 0, z)."""
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

    def color(self, base, spread=20):
        return np.clip(np.asarray(base, np.float32) + self.rng.uniform(-spread, spread, 3), 0, 255)

    def random_color(self):
        """Any colour, from near-black and grey through saturated hues (clothes, cars)."""
        if self.rng.random() < 0.4:
            return np.full(3, self.rng.uniform(20, 230), np.float32) + self.rng.uniform(-8, 8, 3)
        hsv = np.uint8(
            [[[self.rng.integers(0, 180), self.rng.integers(60, 255), self.rng.integers(60, 255)]]]
        )
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)

    # -- the scene ------------------------------------------------------------------------------

    def draw(self):
        self._sky()
        self._skyline()
        self._ground()
        objects = []  # (depth, draw function); painted far to near
        for side in (-1, 1):
            objects += self._facades(side)
            objects += self._street_furniture(side)
            objects += self._people(side)
        objects += self._traffic()
        for _, draw in sorted(objects, key=lambda o: -o[0]):
            draw()
        if self.rng.random() < 0.35:
            self._ego_vehicle()

    def _sky(self):
        top, bottom = (np.asarray(c, np.float32) for c in self.sky)
        t = np.clip(np.arange(self.h, dtype=np.float32) / max(self.horizon, 1), 0, 1)[:, None, None]
        gradient = top * (1 - t) + bottom * t
        clouds = np.clip(self.noise[2] * self.rng.uniform(0.2, 0.8), 0, 1)[..., None]
        self.image[:] = gradient * (1 - clouds) + np.float32(235) * clouds
        self.label[:] = ID["sky"]
        self.instance[:] = ID["sky"]

    def _skyline(self):
        """Distant buildings and tree lines along the horizon."""
        z = self.rng.uniform(150, 300)
        x, end = -self.center * z / self.focal, (self.w - self.center) * z / self.focal
        x -= self.rng.uniform(0, 30)
        while x < end:
            width = self.rng.uniform(8, 40)
            if self.rng.random() < 0.3:  # open sky
                x += width
                continue
            if self.rng.random() < 0.3:
                top = self.rng.uniform(5, 15)
                self.box_2d(
                    x,
                    z,
                    0,
                    width,
                    -1,
                    top,
                    self.color(_FOLIAGE[2], 15),
                    ID["vegetation"],
                    texture=(0.25, 0.15, 0.05),
                )
            else:
                top = self.rng.uniform(8, 35)
                self.box_2d(
                    x,
                    z,
                    0,
                    width,
                    -1,
                    top,
                    self.color(self.sky[1], 40) * 0.8,
                    ID["building"],
                    texture=(0.04, 0.06, 0.03),
                )
            x += width

    def _ground(self):
        rng = self.rng
        row0 = int(np.ceil(self.horizon + 0.5))
        if row0 >= self.h:
            return
        rows = np.arange(row0, self.h, dtype=np.float32)[:, None] + 0.5
        z = self.focal * self.cam_h / (rows - self.horizon)
        x = (np.arange(self.w, dtype=np.float32)[None, :] + 0.5 - self.center) * z / self.focal
        d = x - self.offset
        z = np.broadcast_to(z, d.shape)
        window = (slice(row0, self.h), slice(0, self.w))
        fine, mid, coarse = (n[window] for n in self.noise)

        label = np.full(d.shape, ID["terrain"], np.uint8)
        image = np.empty(d.shape + (3,), np.float32)
        grass = self.color(_GRASS[rng.integers(len(_GRASS))], 15)
        image[:] = grass * (1 + 0.25 * fine + 0.15 * mid)[..., None]
        for side, sign in ((0, -1), (1, 1)):
            inner = self.road + self.verge[side]
            walk = (sign * d >= inner) & (sign * d < inner + self.walk[side])
            pavement = self.color(_PAVEMENTS[rng.integers(len(_PAVEMENTS))], 12)
            tile = rng.uniform(0.3, 0.8)
            seams = (np.mod(d, tile) < 0.04) | (np.mod(z, tile) < 0.04)
            texture = (1 + 0.08 * fine + 0.08 * mid - 0.25 * seams)[..., None]
            curb = (sign * d - inner) < 0.2
            image[walk] = (pavement * texture + 25 * curb[..., None])[walk]
            label[walk] = ID["sidewalk"]
        road = np.abs(d) < self.road
        asphalt = np.full(3, rng.uniform(55, 125), np.float32) + rng.uniform(-6, 6, 3)
        patches = (coarse > rng.uniform(0.8, 2.0)).astype(np.float32) * rng.uniform(-0.2, 0.15)
        image[road] = (asphalt * (1 + 0.12 * fine + 0.08 * mid + patches)[..., None])[road]
        label[road] = ID["road"]
        self._markings(image, d, z, road, fine)

        # Shadows of the buildings on one side, with a wavy edge: dark road, bright road, both.
        sign = rng.choice([-1, 1])
        edge = self.road * rng.uniform(-0.5, 1.2) + 2 * np.sin(
            z / rng.uniform(5, 20) + rng.uniform(0, 6)
        )
        if rng.random() < 0.6:
            image[sign * d > edge] *= rng.uniform(0.45, 0.8)
        self.image[window] = image
        self.label[window] = label
        self.instance[window] = label
        self.depth[window] = z

    def _markings(self, image, d, z, road, fine):
        rng = self.rng
        paint = np.float32(rng.uniform(200, 245)) + rng.uniform(-5, 5, 3)
        wear = fine < rng.uniform(0.3, 2.5)  # worn paint shows the asphalt
        lane = rng.uniform(2.8, 3.6)
        marks = np.zeros(d.shape, bool)
        dash, period = rng.uniform(2, 4), rng.uniform(6, 12)
        dashed = np.mod(z + rng.uniform(0, period), period) < dash
        for k in range(-3, 4):
            position = k * lane
            if abs(position) < self.road - lane / 2:
                marks |= (np.abs(d - position) < 0.07) & (dashed if k else True)
        marks |= np.abs(np.abs(d) - (self.road - 0.35)) < 0.07  # edge lines
        if rng.random() < 0.35:  # a zebra crossing
            start = rng.uniform(self.z_near * 1.5, 30)
            marks |= (z > start) & (z < start + 3.5) & (np.mod(d, 1.0) < 0.5)
        marks &= road & wear
        image[marks] = paint

    def _facades(self, side):
        rng, objects = self.rng, []
        base = self.road + self.verge[(side + 1) // 2] + self.walk[(side + 1) // 2]
        z = rng.uniform(0.3, 1.5) * self.z_near
        while z < 120:
            length = rng.uniform(6, 25)
            if rng.random() < 0.25:  # a gap between buildings: trees, or open sky
                if rng.random() < 0.7:
                    objects.append(self._tree(side * (base + rng.uniform(0.5, 3)), z + length / 2))
                z += length * 0.6
                continue
            setback = base + rng.uniform(0, 1.5)
            objects.append((z, self._facade_drawer(side * setback, z, length, rng.uniform(5, 28))))
            if rng.random() < 0.2:  # a hedge in front
                zz, ll, hh = z, length, rng.uniform(0.7, 1.5)
                x = side * (setback - 0.4)
                objects.append(
                    (
                        zz,
                        lambda x=x, zz=zz, ll=ll, hh=hh: self.quad(
                            [(x, 0, zz), (x, 0, zz + ll), (x, hh, zz + ll), (x, hh, zz)],
                            self.color(_FOLIAGE[rng.integers(len(_FOLIAGE))], 15),
                            ID["vegetation"],
                            texture=(0.35, 0.15, 0.05),
                        ),
                    )
                )
            z += length
        if rng.random() < 0.4 and side == 1:  # the street ends at a building across it
            z_end = rng.uniform(60, 140)
            objects.append(
                (
                    z_end,
                    lambda: self.box_2d(
                        0,
                        z_end,
                        -200,
                        200,
                        -1,
                        rng.uniform(8, 30),
                        self.color(_FACADES[rng.integers(len(_FACADES))], 20),
                        ID["building"],
                        texture=(0.05, 0.1, 0.05),
                    ),
                )
            )
        return objects

    def _facade_drawer(self, x, z, length, top):
        rng = self.rng
        wall = self.color(_FACADES[rng.integers(len(_FACADES))], 25) * self.sun[int(x > 0)]
        glass = self.color(self.sky[1], 30) * rng.uniform(0.3, 0.9)
        floor, bay = rng.uniform(2.8, 3.8), rng.uniform(1.8, 3.5)
        sill, lintel = rng.uniform(0.6, 1.0), rng.uniform(2.0, 2.6)
        frame = rng.uniform(0.25, 0.6)

        def draw():
            xs, ys = self.project(
                np.array([x, x, x, x]),
                np.array([0, 0, top, top]),
                np.array([z, z + length, z + length, z]),
            )
            x0, x1 = int(max(np.floor(xs.min()), 0)), int(min(np.ceil(xs.max()) + 1, self.w))
            y0, y1 = int(max(np.floor(ys.min()), 0)), int(min(np.ceil(ys.max()) + 1, self.h))
            if x1 <= x0 or y1 <= y0:
                return
            px = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
            py = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
            with np.errstate(divide="ignore", invalid="ignore"):
                pz = self.focal * x / (px - self.center)  # depth of the facade at each column
            py_world = self.cam_h - (py - self.horizon) * pz / self.focal
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
            # Each window gets its own brightness (lights on, curtains, reflections).
            cell = np.floor(py_world / floor) * 31 + np.floor(along / bay) * 17 + x
            lit = 0.6 + 0.8 * np.mod(np.sin(np.nan_to_num(cell)) * 43758.5, 1.0)
            colors = np.where(windows[..., None], glass * lit[..., None], wall)
            self.paint(y0, x0, inside, colors, ID["building"], depth=z, texture=(0.06, 0.08, 0.04))

        return draw

    def _tree(self, x, z):
        rng = self.rng
        trunk_h, radius = rng.uniform(1.5, 4), rng.uniform(1.2, 3.5)
        foliage = self.color(_FOLIAGE[rng.integers(len(_FOLIAGE))], 20)
        bark = self.color((90, 75, 60), 20)
        blobs = [
            (
                rng.uniform(-0.6, 0.6) * radius,
                rng.uniform(-0.5, 0.5) * radius,
                rng.uniform(0.5, 0.9) * radius,
            )
            for _ in range(rng.integers(4, 9))
        ]

        def draw():
            self.box_2d(
                x,
                z,
                -0.15,
                0.15,
                0,
                trunk_h + radius * 0.5,
                bark,
                ID["vegetation"],
                texture=(0.15, 0.1, 0.0),
            )
            scale = self.focal / max(z, 0.3)
            cx, cy = self.project(x, trunk_h + radius, z)
            for dx, dy, r in blobs:
                self.ellipse(
                    cx + dx * scale,
                    cy - dy * scale,
                    r * scale,
                    r * scale * rng.uniform(0.8, 1.1),
                    foliage * rng.uniform(0.8, 1.15),
                    ID["vegetation"],
                    depth=z,
                    texture=(0.45, 0.2, 0.05),
                )

        return (z, draw)

    def _street_furniture(self, side):
        """Poles with traffic signs and traffic lights, free-standing signs, trees, bins."""
        rng, objects = self.rng, []
        edge = self.road + self.verge[(side + 1) // 2]
        z = rng.uniform(0.8, 3) * self.z_near
        while z < 90:
            kind = rng.random()
            x = side * (edge + rng.uniform(0.3, 0.9))
            if kind < 0.55:
                objects.append((z, self._pole_drawer(x, z, side)))
            elif kind < 0.8:
                objects.append(self._tree(side * (edge + rng.uniform(0.5, 1.5)), z))
            else:  # a bin or bollard: 'static', which Cityscapes does not evaluate
                w, h = rng.uniform(0.3, 0.7), rng.uniform(0.6, 1.2)
                c = self.random_color() * 0.6
                objects.append(
                    (
                        z,
                        lambda x=x, z=z, w=w, h=h, c=c: self.box_2d(
                            x, z, -w / 2, w / 2, 0, h, c, ID["static"]
                        ),
                    )
                )
            z += rng.uniform(8, 30)
        return objects

    def _pole_drawer(self, x, z, side):
        rng = self.rng
        height, width = rng.uniform(3.5, 9), rng.uniform(0.1, 0.25)
        metal = self.color((rng.uniform(60, 170),) * 3, 10)
        attachment = rng.random()
        arm = rng.uniform(2, 4) if (attachment > 0.75 and height > 5) else 0.0
        sign_shape = rng.integers(4)
        sign_colors = [
            self.color(c, 15)
            for c in ((200, 30, 30), (240, 240, 240), (30, 70, 170), (240, 200, 20))
        ]
        light = self.color([(25, 25, 25), (40, 60, 40), (200, 170, 30)][rng.integers(3)], 10)
        lamp = rng.integers(3)

        def draw():
            self.box_2d(
                x, z, -width / 2, width / 2, 0, height, metal, ID["pole"], texture=(0.05, 0.05, 0.0)
            )
            if arm:
                self.box_2d(
                    x,
                    z,
                    -side * arm if side > 0 else 0,
                    0 if side > 0 else arm,
                    height - 0.35,
                    height - 0.2,
                    metal,
                    ID["pole"],
                )
                self._traffic_light(x - side * arm, z, height - 0.25, light, lamp)
            elif attachment < 0.45:
                self._sign(x, z, height - rng.uniform(0.2, 1.0), sign_shape, sign_colors)
            elif attachment < 0.75:
                self._traffic_light(x, z, height, light, lamp)

        return draw

    def _sign(self, x, z, top, shape, colors):
        size = self.rng.uniform(0.5, 0.9)
        cx, cy = self.project(x, top - size / 2, z)
        r = size / 2 * self.focal / max(z, 0.3)
        rim, fill = colors[shape], colors[(shape + 1 + self.rng.integers(3)) % 4]
        if shape == 0:
            self.ellipse(cx, cy, r, r, rim, ID["traffic sign"], depth=z)
            self.ellipse(cx, cy, r * 0.75, r * 0.75, fill, ID["traffic sign"], depth=z)
        else:
            corners = {
                1: [(0, -1), (0.9, 0.6), (-0.9, 0.6)],
                2: [(-1, -0.7), (1, -0.7), (1, 0.7), (-1, 0.7)],
                3: [(0, -1), (1, 0), (0, 1), (-1, 0)],
            }[shape]
            points = np.array([(cx + u * r, cy + v * r) for u, v in corners])
            self.polygon(points, rim, ID["traffic sign"], depth=z)
            self.polygon([cx, cy] + (points - [cx, cy]) * 0.7, fill, ID["traffic sign"], depth=z)

    def _traffic_light(self, x, z, top, housing, lamp):
        w, h = self.rng.uniform(0.3, 0.45), self.rng.uniform(0.8, 1.1)
        self.box_2d(x, z, -w / 2, w / 2, top - h, top, housing, ID["traffic light"])
        glow = ((255, 50, 40), (255, 190, 40), (60, 255, 140))
        r = w * 0.3 * self.focal / max(z, 0.3)
        for i in range(3):
            cx, cy = self.project(x, top - h * (i + 0.5) / 3, z)
            color = glow[i] if i == lamp else (40, 40, 40)
            self.ellipse(
                cx, cy, r, r, color, ID["traffic light"], depth=z, texture=(0.02, 0.0, 0.0)
            )

    def _people(self, side):
        rng, objects = self.rng, []
        edge = self.road + self.verge[(side + 1) // 2]
        for _ in range(rng.poisson(2.5)):
            x = side * (edge + rng.uniform(0.3, self.walk[(side + 1) // 2] - 0.3))
            z = rng.uniform(1.1 * self.z_near, 50)
            objects.append((z, self._person_drawer(x, z, ID["person"])))
        if rng.random() < 0.2:  # someone crossing the road
            z = rng.uniform(1.5 * self.z_near, 30)
            objects.append(
                (
                    z,
                    self._person_drawer(
                        rng.uniform(-self.road, self.road) + self.offset, z, ID["person"]
                    ),
                )
            )
        for _ in range(rng.poisson(0.8)):  # cyclists near the kerb
            x = side * (self.road - rng.uniform(0.6, 1.2)) + self.offset
            z = rng.uniform(1.2 * self.z_near, 45)
            objects.append((z, self._cyclist_drawer(x, z)))
        if rng.random() < 0.25:  # a parked bicycle on the sidewalk, seen from the side
            x = side * (edge + rng.uniform(0.3, 1.0))
            z = rng.uniform(1.2 * self.z_near, 30)
            objects.append((z, lambda x=x, z=z: self._bicycle(x, z, side_view=True)))
        return objects

    def _person_drawer(self, x, z, label_id, seated=False):
        rng = self.rng
        tall = rng.uniform(1.5, 1.95)
        shirt, trousers = self.random_color(), self.random_color() * rng.uniform(0.3, 0.8)
        skin = self.color(_SKIN[rng.integers(len(_SKIN))], 10)
        hair = (
            self.color((40, 30, 20), 25) if rng.random() < 0.8 else self.color((200, 170, 110), 20)
        )
        stride, width = rng.uniform(0, 0.25), rng.uniform(0.34, 0.5)

        def draw():
            k = self._new_instance(label_id)
            base = 0.45 if seated else 0.0
            hip = base + (0.3 if seated else 0.47) * tall
            if seated:
                self.box_2d(x, z, -0.2, -0.08, 0.25, hip, trousers, label_id, k)
                self.box_2d(x, z, 0.08, 0.2, 0.25, hip, trousers, label_id, k)
            else:
                self.quad(
                    [
                        (x - 0.15, hip, z),
                        (x - 0.02, hip, z),
                        (x - 0.02 - stride, 0, z),
                        (x - 0.15 - stride, 0, z),
                    ],
                    trousers,
                    label_id,
                    k,
                )
                self.quad(
                    [
                        (x + 0.02, hip, z),
                        (x + 0.15, hip, z),
                        (x + 0.15 + stride, 0, z),
                        (x + 0.02 + stride, 0, z),
                    ],
                    trousers,
                    label_id,
                    k,
                )
            shoulder = hip + 0.33 * tall
            self.box_2d(
                x,
                z,
                -width / 2,
                width / 2,
                hip - 0.05,
                shoulder,
                shirt,
                label_id,
                k,
                texture=(0.06, 0.04, 0.0),
            )
            self.box_2d(
                x,
                z,
                -width / 2 - 0.09,
                -width / 2,
                hip - 0.1,
                shoulder - 0.02,
                shirt * 0.9,
                label_id,
                k,
            )
            self.box_2d(
                x,
                z,
                width / 2,
                width / 2 + 0.09,
                hip - 0.1,
                shoulder - 0.02,
                shirt * 0.9,
                label_id,
                k,
            )
            cx, cy = self.project(x, shoulder + 0.13, z)
            r = 0.11 * self.focal / max(z, 0.3)
            self.ellipse(cx, cy, r * 0.85, r, skin, label_id, k, depth=z)
            self.ellipse(cx, cy - r * 0.4, r * 0.9, r * 0.6, hair, label_id, k, depth=z)

        return draw

    def _cyclist_drawer(self, x, z):
        rider = self._person_drawer(x, z, ID["rider"], seated=True)

        def draw():
            self._bicycle(x, z, side_view=False)
            rider()

        return draw

    def _bicycle(self, x, z, side_view):
        k = self._new_instance(ID["bicycle"])
        frame = self.random_color() * 0.8
        tyre = self.color((30, 30, 30), 10)
        scale = self.focal / max(z, 0.3)
        if not side_view:  # from behind: a narrow wheel, a handlebar
            self.box_2d(x, z, -0.03, 0.03, 0, 0.68, tyre, ID["bicycle"], k)
            self.box_2d(x, z, -0.04, 0.04, 0.3, 0.95, frame, ID["bicycle"], k)
            self.box_2d(x, z, -0.3, 0.3, 0.95, 1.0, frame, ID["bicycle"], k)
            return
        for dx in (-0.55, 0.55):
            cx, cy = self.project(x + dx, 0.34, z)
            self.ellipse(cx, cy, 0.34 * scale, 0.34 * scale, tyre, ID["bicycle"], k, depth=z)
            self.ellipse(
                cx,
                cy,
                0.27 * scale,
                0.27 * scale,
                self.image_at(cx, cy),
                ID["bicycle"],
                k,
                depth=z,
                texture=(0, 0, 0),
            )
        self.quad(
            [(x - 0.55, 0.32, z), (x + 0.05, 0.75, z), (x + 0.55, 0.36, z), (x + 0.05, 0.7, z)],
            frame,
            ID["bicycle"],
            k,
        )

    def image_at(self, x, y):
        """The colour already painted at pixel (x, y), e.g. what shows through a wheel."""
        xi, yi = int(np.clip(x, 0, self.w - 1)), int(np.clip(y, 0, self.h - 1))
        return self.image[yi, xi].copy()

    def _traffic(self):
        """Cars in the lanes (backs going away on the right, fronts oncoming on the left), and
        parked cars along the kerbs."""
        rng, objects, taken = self.rng, [], []
        lane = rng.uniform(2.8, 3.6)
        lanes = [
            k * lane + lane / 2 for k in range(-3, 3) if abs(k * lane + lane / 2) < self.road - 1.0
        ]
        parked = [s * (self.road - 1.1) for s in (-1, 1) if rng.random() < 0.5]
        for _ in range(rng.poisson(4)):
            if not lanes and not parked:
                break
            is_parked = parked and rng.random() < 0.4
            d = parked[rng.integers(len(parked))] if is_parked else lanes[rng.integers(len(lanes))]
            length = rng.uniform(3.8, 5.2)
            z = rng.uniform(1.0 * self.z_near, 80)
            if any(abs(d - d2) < 1.5 and abs(z - z2) < length + 1.5 for d2, z2 in taken):
                continue
            taken.append((d, z))
            objects.append(
                (z, self._car_drawer(d + self.offset, z, length, facing=d > 0 or is_parked))
            )
        return objects

    def _car_drawer(self, x, z, length, facing):
        rng = self.rng
        width, height = rng.uniform(1.65, 2.0), rng.uniform(1.35, 1.9)
        body = self.random_color()
        glass = self.color(self.sky[1], 30) * rng.uniform(0.25, 0.6)
        tyre = self.color((25, 25, 25), 8)
        lamp = self.color((200, 30, 30) if facing else (235, 230, 200), 15)

        def draw():
            k = self._new_instance(ID["car"])
            left, right = x - width / 2, x + width / 2
            # The side face turned to the camera, the roof when the camera is higher, then the end.
            side = left if left > 0 else (right if right < 0 else None)
            if side is not None:
                self.quad(
                    [
                        (side, 0.15, z),
                        (side, 0.15, z + length),
                        (side, height * 0.75, z + length),
                        (side, height * 0.75, z),
                    ],
                    body * 0.8,
                    ID["car"],
                    k,
                )
                self.quad(
                    [
                        (side, height * 0.75, z + 0.6),
                        (side, height * 0.75, z + length - 0.8),
                        (side, height, z + length - 1.2),
                        (side, height, z + 1.0),
                    ],
                    glass * 0.9,
                    ID["car"],
                    k,
                )
                angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
                for wheel in (z + 0.8, z + length - 0.8):
                    rim = [
                        (side, 0.33 + 0.33 * np.sin(a), wheel + 0.33 * np.cos(a)) for a in angles
                    ]
                    self.quad(rim, tyre, ID["car"], k)
            if height < self.cam_h:
                self.quad(
                    [
                        (left + 0.1, height, z + 0.8),
                        (right - 0.1, height, z + 0.8),
                        (right - 0.1, height, z + length - 1.2),
                        (left + 0.1, height, z + length - 1.2),
                    ],
                    body * 1.1,
                    ID["car"],
                    k,
                )
            self.box_2d(x, z, -width / 2, width / 2, 0.15, height * 0.72, body, ID["car"], k)
            self.quad(
                [
                    (left + 0.15, height * 0.72, z + 0.3),
                    (right - 0.15, height * 0.72, z + 0.3),
                    (right - 0.25, height, z + 0.9),
                    (left + 0.25, height, z + 0.9),
                ],
                glass,
                ID["car"],
                k,
            )
            self.box_2d(x, z, -width / 2, -width / 2 + 0.3, 0, 0.35, tyre, ID["car"], k)
            self.box_2d(x, z, width / 2 - 0.3, width / 2, 0, 0.35, tyre, ID["car"], k)
            for s in (-1, 1):
                self.box_2d(
                    x,
                    z,
                    s * width / 2 - (0.25 if s > 0 else 0),
                    s * width / 2 + (0.25 if s < 0 else 0),
                    height * 0.5,
                    height * 0.6,
                    lamp,
                    ID["car"],
                    k,
                    texture=(0.02, 0, 0),
                )
            self.box_2d(
                x,
                z,
                -0.26,
                0.26,
                0.3,
                0.42,
                self.color((225, 225, 220), 10),
                ID["car"],
                k,
                texture=(0.02, 0, 0),
            )

        return draw

    def _ego_vehicle(self):
        """The bonnet of the recording car at the bottom: 'ego vehicle', not evaluated."""
        top = self.h * (1 - self.rng.uniform(0.05, 0.14))
        self.ellipse(
            self.w / 2,
            self.h + (self.h - top) * 1.5,
            self.w * 0.75,
            (self.h - top) * 2.5,
            self.random_color() * 0.5,
            ID["ego vehicle"],
            depth=0.5,
            texture=(0.02, 0.05, 0.1),
        )

    def finish(self):
        rng = self.rng
        image = self.image
        # Haze grows with distance (sky has depth 1e4, so it takes the haze colour).
        fog = (1 - np.exp(-np.minimum(self.depth, 300) * rng.uniform(0.0, 0.015))) * 0.8
        haze = np.asarray(self.sky[1], np.float32)
        image = image * (1 - fog[..., None]) + haze * fog[..., None]
        # Exposure, colour cast, gamma, vignette, lens blur, sensor noise.
        image = image * rng.uniform(0.55, 1.3) * rng.uniform(0.88, 1.12, 3).astype(np.float32)
        image = 255 * (np.clip(image, 0, 255) / 255) ** rng.uniform(0.8, 1.25)
        yy, xx = np.mgrid[0 : self.h, 0 : self.w].astype(np.float32)
        r2 = ((xx - self.w / 2) / (self.w / 2)) ** 2 + ((yy - self.h / 2) / (self.h / 2)) ** 2
        image = image * (1 - rng.uniform(0, 0.3) * r2 / 2)[..., None]
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 0.8) * max(self.w / 512, 1))
        image = image + rng.normal(0, rng.uniform(1.5, 6), image.shape).astype(np.float32)
        return np.clip(image, 0, 255).round().astype(np.uint8), self.label, self.instance
