"""Synthetic street scenes in the Cityscapes format, so that training and tests need no download.

`render_scene(rng, height, width)` draws one scene as arrays; `synthesize_scenes(out_dir, ...)`
writes a data set of them in the official folder layout and file formats.

How a scene is drawn, module by module:

    canvas.py            the camera, the arrays painted into, paint/polygon/ellipse/quad/box_2d,
                         noise and colour helpers
    street.py            the street's layout and light, sky, skyline, ground and markings
    facades.py           buildings along the street, with windows, hedges and gaps with trees
    street_furniture.py  trees, poles with traffic signs or traffic lights, bins
    road_users.py        pedestrians, cyclists, bicycles, cars, the ego vehicle's bonnet
    scene.py             `render_scene`: puts them together and applies the camera effects
    writer.py            `synthesize_scenes`: a data set of scenes in the Cityscapes layout

Every drawer takes `(canvas, rng, ...)`. `draw_*` functions paint at once; `plan_*` functions take
an object's random choices now and return `(depth, draw)` pairs (a list of them for a row of
objects), whose `draw()` paints it later, when `render_scene` paints all objects far to near. Some
`draw()`s take further random numbers while painting, so the paint order is part of the output.
"""

from tfseg.data.synthetic.scene import render_scene
from tfseg.data.synthetic.writer import synthesize_scenes

__all__ = ["render_scene", "synthesize_scenes"]
