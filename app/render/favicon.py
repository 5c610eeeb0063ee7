"""``/favicon.ico``: a 32x32 feed icon (white arcs on arXiv red), drawn here (pure, stdlib only).

An ICO file holding one PNG image, which every browser and feed reader that fetches
``/favicon.ico`` understands. Built once on first use.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache
from math import hypot

SIZE = 32
RED = (179, 27, 27, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)


def _pixel(x: int, y: int) -> tuple[int, int, int, int]:
    corner = 5  # rounded corners
    for cx, cy in ((corner, corner), (SIZE - 1 - corner, corner)):
        for ry in (cy, SIZE - 1 - cy):
            near_x = x < corner if cx == corner else x > cx
            near_y = y < corner if ry == corner else y > ry
            if near_x and near_y and hypot(x - cx, y - ry) > corner:
                return CLEAR
    r = hypot(x + 0.5 - 8, y + 0.5 - 24)  # distance from the dot's centre, low on the left
    if x + 0.5 >= 5.5 and y + 0.5 <= 26.5 and (r < 3.2 or 8 < r < 11.5 or 15 < r < 18.5):
        return WHITE
    return RED


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> bytes:
    """The icon as a PNG (RGBA, 32x32)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(_pixel(x, y)) for x in range(SIZE)) for y in range(SIZE)
    )
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


@lru_cache(maxsize=1)
def favicon_ico() -> bytes:
    """The icon as an ICO file with one PNG entry."""
    image = png()
    directory = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16)
    return directory + entry + image
