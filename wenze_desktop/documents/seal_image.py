"""Seal images: checking what the security officer registers, and drawing the clearly-marked demo seal (样章)."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from wenze_desktop.documents.fonts import best_font
from wenze_desktop.errors import ValidationError

MAX_BYTES = 5 * 1024 * 1024


def check_seal_png(data: bytes) -> tuple[int, int]:
    """A registrable seal: a PNG with transparency, roughly round or square, red where it is opaque.
    Returns (width, height) in pixels; raises ValidationError saying what is wrong."""
    if len(data) > MAX_BYTES:
        raise ValidationError("印章图像不能超过 5 MB。")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationError("印章图像须为 PNG 格式（带透明背景）。")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValidationError(f"印章图像无法读取（文件可能已损坏）：{err}") from None
    w, h = image.size
    if min(w, h) < 200 or max(w, h) > 4000:
        raise ValidationError(f"印章图像应在 200～4000 像素之间（此图 {w}×{h}）。")
    if not 0.8 <= w / h <= 1.25:
        raise ValidationError(f"印章图像应接近正方形（此图 {w}×{h}）。")
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        raise ValidationError("印章图像须有透明背景（PNG 的 alpha 通道），否则会遮住署名和日期。")
    raw = image.convert("RGBA").resize((100, 100)).tobytes()
    opaque = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 4) if raw[i + 3] > 128]
    if not opaque or len(opaque) > 9000:
        raise ValidationError("印章图像的背景须透明，且图中应有印迹。")
    red = sum(1 for r, g, b in opaque if r > g + 60 and r > b + 60)
    if red < 0.8 * len(opaque):
        raise ValidationError("印章须为红色（GB/T 9704：印章用红色）。")
    return w, h


def demo_seal_png(organ: str, size: int = 600) -> bytes:
    """A round red seal marked 样章 — for the demo workspace and tests, never to be mistaken for a real seal."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    red = (220, 30, 40, 235)
    margin = size * 0.03
    draw.ellipse((margin, margin, size - margin, size - margin), outline=red, width=int(size * 0.035))
    c = size / 2
    star_r = size * 0.16
    points = [(c + star_r * (1 if i % 2 == 0 else 0.38) * math.sin(i * math.pi / 5),
               c - star_r * (1 if i % 2 == 0 else 0.38) * math.cos(i * math.pi / 5)) for i in range(10)]
    draw.polygon(points, fill=red)
    font_file = best_font("song")
    text = organ[:18] or "示例机关"
    glyph = ImageFont.truetype(str(font_file.path), int(size * 0.085), index=font_file.subfont_index)
    radius = size * 0.36
    span = min(250.0, 18.0 * len(text))
    for i, ch in enumerate(text):
        angle = -span / 2 + span * (i + 0.5) / len(text)
        tile = Image.new("RGBA", (int(size * 0.12),) * 2, (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((tile.width / 2, tile.height / 2), ch, font=glyph, fill=red, anchor="mm")
        tile = tile.rotate(-angle, resample=Image.BICUBIC)
        x = c + radius * math.sin(math.radians(angle)) - tile.width / 2
        y = c - radius * math.cos(math.radians(angle)) - tile.height / 2
        image.alpha_composite(tile, (int(x), int(y)))
    label = ImageFont.truetype(str(font_file.path), int(size * 0.11), index=font_file.subfont_index)
    draw.text((c, c + size * 0.27), "样章", font=label, fill=red, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
