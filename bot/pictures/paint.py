"""Painting a display list with Pillow (3x supersampled, reduced with a box filter: the
antialiasing) and encoding frames as a small looping GIF (one palette for every frame: the
flat fill colours exactly, median-cut colours for the edges, no dithering).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from bot.pictures.scene import (
    ARROW_WIDTH,
    BACKGROUND,
    FLOOR,
    FLOOR_EDGE,
    SUPERSAMPLE,
    XY,
    Capsule,
    Frame,
    Item,
    Poly,
    Scene,
    Shape,
    arrow_shapes,
    rgb,
)

GIF_EXACT_COLOURS = 32
GIF_EDGE_COLOURS = 48


def paint_shape(draw: ImageDraw.ImageDraw, shape: Shape, fr: Frame, grow_px: float) -> None:
    if isinstance(shape, Poly):
        draw.polygon([fr.px(p) for p in shape.pts], fill=rgb(shape.colour))
        return
    paint_capsule(
        draw,
        fr.px(shape.a),
        fr.px(shape.b),
        shape.ra * fr.scale + grow_px,
        shape.rb * fr.scale + grow_px,
        shape.colour,
    )


def paint_capsule(
    draw: ImageDraw.ImageDraw, a: XY, b: XY, ra: float, rb: float, colour: str
) -> None:
    fill = rgb(colour)
    for c, r in ((a, ra), (b, rb)):
        draw.ellipse((c[0] - r, c[1] - r, c[0] + r, c[1] + r), fill=fill)
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(dx, dy)
    if n < 1e-6:
        return
    nx, ny = -dy / n, dx / n
    draw.polygon(
        [
            (a[0] + nx * ra, a[1] + ny * ra),
            (b[0] + nx * rb, b[1] + ny * rb),
            (b[0] - nx * rb, b[1] - ny * rb),
            (a[0] - nx * ra, a[1] - ny * ra),
        ],
        fill=fill,
    )


def paint_item(draw: ImageDraw.ImageDraw, item: Item, fr: Frame) -> None:
    if item.outline > 0:
        grow = item.outline * fr.scale
        for s in item.shapes:
            if isinstance(s, Capsule):
                paint_shape(draw, Capsule(s.a, s.b, s.ra, s.rb, BACKGROUND), fr, grow)
    for s in item.shapes:
        paint_shape(draw, s, fr, 0.0)


def paint(scene: Scene, layers: Sequence[Sequence[Item]], with_arrow: bool) -> Image.Image:
    fr = scene.frame
    w, h = scene.size[0] * SUPERSAMPLE, scene.size[1] * SUPERSAMPLE
    img = Image.new("RGB", (w, h), rgb(BACKGROUND))
    draw = ImageDraw.Draw(img)
    fy = min(max(fr.px((0.0, scene.floor_y))[1], 0.0), float(h))  # the floor may be out of view
    draw.rectangle((0, fy, w, h), fill=rgb(FLOOR))
    draw.line((0, fy, w, fy), fill=rgb(FLOOR_EDGE), width=SUPERSAMPLE)
    for s in scene.props:
        paint_shape(draw, s, fr, 0.0)
    for layer in layers:
        for item in layer:
            paint_item(draw, item, fr)
    if with_arrow and scene.arrow:
        width = h * ARROW_WIDTH
        halo, body = arrow_shapes([fr.px(p) for p in scene.arrow], width, scene.arrow_both)
        for s in halo + body:
            if isinstance(s, Capsule):
                paint_capsule(draw, s.a, s.b, s.ra, s.rb, s.colour)
            else:
                draw.polygon(list(s.pts), fill=rgb(s.colour))
    return img.reduce(SUPERSAMPLE)  # a box filter: the supersampling's antialiasing


def _packed(im: Image.Image) -> npt.NDArray[np.int32]:
    """Every pixel's colour as one integer 0xRRGGBB."""
    px = np.asarray(im, dtype=np.int32).reshape(-1, 3)
    packed: npt.NDArray[np.int32] = (px[:, 0] << 16) | (px[:, 1] << 8) | px[:, 2]
    return packed


def _unpack(value: int) -> tuple[int, int, int]:
    return ((value >> 16) & 255, (value >> 8) & 255, value & 255)


def _gif_palette(images: Sequence[Image.Image]) -> npt.NDArray[np.int32]:
    """One palette for every frame: the flat fill colours exactly (the most common colours of
    a few frames), then median-cut colours for the antialiased edges between them."""
    w, h = images[0].size
    picks = [images[0], images[len(images) // 4], images[len(images) // 2]]
    sample = Image.new("RGB", (w, h * len(picks)))
    for i, im in enumerate(picks):
        sample.paste(im, (0, h * i))
    uniq, counts = np.unique(_packed(sample), return_counts=True)
    order = np.lexsort((uniq, -counts))  # most common first, ties by colour
    colours = [_unpack(int(uniq[k])) for k in order[:GIF_EXACT_COLOURS]]
    edges = sample.quantize(GIF_EDGE_COLOURS, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    edge_palette = edges.getpalette() or []
    for k in range(min(GIF_EDGE_COLOURS, len(edge_palette) // 3)):
        rgb = (edge_palette[3 * k], edge_palette[3 * k + 1], edge_palette[3 * k + 2])
        if rgb not in colours:
            colours.append(rgb)
    return np.array(colours, dtype=np.int32)


def _to_palette(im: Image.Image, palette: npt.NDArray[np.int32]) -> Image.Image:
    """Nearest palette colour for every pixel (exact colours stay exact), as a "P" image."""
    uniq, inverse = np.unique(_packed(im), return_inverse=True)
    rgb = np.stack([(uniq >> 16) & 255, (uniq >> 8) & 255, uniq & 255], axis=1)
    dist = ((rgb[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)
    index = dist.argmin(axis=1).astype(np.uint8)[inverse.reshape(-1)]
    out = Image.frombytes("P", im.size, index.tobytes())
    flat = [int(v) for v in palette.reshape(-1)]
    out.putpalette(flat + [0] * (768 - len(flat)))
    return out


def encode_gif(images: Sequence[Image.Image], durations: Sequence[int]) -> bytes:
    """Palette-reduced looping GIF, no dithering (flat colours stay flat and small)."""
    palette = _gif_palette(images)
    frames = [_to_palette(im, palette) for im in images]
    buf = io.BytesIO()
    frames[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        loop=0,
        duration=list(durations),
        disposal=1,
        optimize=False,
    )
    return buf.getvalue()
