"""The street-scenes course's clips: a street seen from the side, drawn frame by frame.

    python examples/street_clip.py  # writes examples/street-scenes/media/clip-*.png

Each clip is a frame strip (courses/clips.py): FRAMES frames of WIDTH x HEIGHT pixels stacked
top to bottom in one PNG. A car drives along the far lane and out of the picture; a cyclist
follows it and waits at the zebra crossing; a car in the near lane comes in from the side, waits
and drives on; a person pushes a bicycle across the crossing, a pedestrian (the manual's rule),
and walks on along the far pavement. clip-02, the exam's, is the street mirrored with other
motions (speeds, waits, where and when the person crosses): its gold cannot be worked out from
the practice clip's feedback. Each object's box in a frame is the tight box around
what is drawn of it (the pedestrian's around the person only, never the bicycle), and the
tracks are the gold of the clip's item in items.jsonl. Pure numpy and zlib: the same code
writes the same bytes, which tests/courses/test_examples.py checks.
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

WIDTH, HEIGHT, FRAMES = 320, 180, 24
MEDIA = Path(__file__).resolve().parent / "street-scenes" / "media"
CROSSING = (130, 186)  # x of the zebra crossing
FAR_LANE, NEAR_LANE = (75, 117), (117, 160)  # y of the lanes; the pavements above and below
# The track ids and labels, in the order of the gold.
TRACKS = (("car-far", "car"), ("car-near", "car"), ("cyclist", "cyclist"),
          ("pedestrian", "pedestrian"))

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), before clipping to the frame


class Canvas:
    """One frame as an RGB array; every shape drawn also grows the box of what it belongs to."""

    def __init__(self) -> None:
        self.pixels = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
        self.boxes: dict[str, list[int]] = {}

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour: tuple[int, int, int],
             owner: str | None = None) -> None:
        box = (round(x0), round(y0), round(x1), round(y1))
        self.pixels[max(box[1], 0):max(box[3], 0), max(box[0], 0):max(box[2], 0)] = colour
        self._grow(owner, box)

    def disc(self, cx: float, cy: float, r: float, colour: tuple[int, int, int],
             owner: str | None = None, hole: float = 0.0) -> None:
        ys, xs = np.ogrid[:HEIGHT, :WIDTH]
        distance = (xs - cx) ** 2 + (ys - cy) ** 2
        self.pixels[(distance <= r * r) & (distance >= hole * hole)] = colour
        self._grow(owner, (round(cx - r), round(cy - r), round(cx + r) + 1, round(cy + r) + 1))

    def line(self, x0: float, y0: float, x1: float, y1: float, colour: tuple[int, int, int],
             owner: str | None = None) -> None:
        for t in np.linspace(0.0, 1.0, 24):
            x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
            self.rect(x - 1, y - 1, x + 1, y + 1, colour, owner)

    def _grow(self, owner: str | None, box: Box) -> None:
        if owner is None:
            return
        seen = self.boxes.setdefault(owner, list(box))
        seen[:] = [min(seen[0], box[0]), min(seen[1], box[1]), max(seen[2], box[2]),
                   max(seen[3], box[3])]


def street(canvas: Canvas) -> None:
    """House fronts, pavements, the road with its middle line and the zebra crossing."""
    canvas.rect(0, 0, WIDTH, 60, (150, 160, 176))
    for x in range(6, WIDTH, 52):
        canvas.rect(x, 8, x + 44, 60, (196, 170, 140) if x % 104 else (170, 180, 196))
        for wx in (x + 6, x + 26):
            canvas.rect(wx, 16, wx + 12, 30, (70, 90, 120))
            canvas.rect(wx, 38, wx + 12, 52, (70, 90, 120))
    canvas.rect(0, 60, WIDTH, FAR_LANE[0], (205, 205, 200))
    canvas.rect(0, FAR_LANE[0], WIDTH, NEAR_LANE[1], (78, 82, 88))
    canvas.rect(0, NEAR_LANE[1], WIDTH, HEIGHT, (205, 205, 200))
    for x in range(0, WIDTH, 28):
        canvas.rect(x, FAR_LANE[1] - 1, x + 14, FAR_LANE[1] + 1, (235, 235, 235))
    for y in range(FAR_LANE[0] + 3, NEAR_LANE[1], 8):
        canvas.rect(CROSSING[0], y, CROSSING[1], y + 4, (238, 238, 232))


def car(canvas: Canvas, x: float, bottom: float, length: float, colour: tuple[int, int, int],
        owner: str) -> None:
    """A car from the side: body, cabin with windows, two wheels."""
    height = length * 0.42
    canvas.rect(x, bottom - height * 0.62, x + length, bottom - height * 0.18, colour, owner)
    canvas.rect(x + length * 0.2, bottom - height, x + length * 0.75, bottom - height * 0.6,
                colour, owner)
    canvas.rect(x + length * 0.25, bottom - height * 0.92, x + length * 0.7,
                bottom - height * 0.64, (150, 190, 215))
    for wheel in (0.2, 0.8):
        canvas.disc(x + length * wheel, bottom - height * 0.2, height * 0.2, (25, 25, 25), owner)


def bicycle(canvas: Canvas, x: float, bottom: float, owner: str | None) -> None:
    """A bicycle 30 pixels long from the side, its wheels touching `bottom`."""
    r = 6.5
    for cx in (x + r, x + 30 - r):
        canvas.disc(cx, bottom - r - 0.5, r, (30, 30, 30), owner, hole=r - 1.6)
    canvas.line(x + r, bottom - r, x + 14, bottom - 14, (200, 40, 40), owner)
    canvas.line(x + 14, bottom - 14, x + 30 - r, bottom - r, (200, 40, 40), owner)
    canvas.line(x + 12, bottom - 14, x + 22, bottom - 14, (200, 40, 40), owner)


def person(canvas: Canvas, x: float, bottom: float, coat: tuple[int, int, int], owner: str,
           riding: bool = False) -> None:
    """A person 28 pixels tall standing (or 22 sitting, riding), 10 wide."""
    tall = 22 if riding else 28
    canvas.disc(x + 5, bottom - tall + 3.5, 3.5, (225, 190, 160), owner)
    canvas.rect(x + 1, bottom - tall + 7, x + 9, bottom - tall + 18, coat, owner)
    if not riding:
        canvas.rect(x + 2, bottom - 10, x + 4, bottom, (40, 40, 70), owner)
        canvas.rect(x + 6, bottom - 10, x + 8, bottom, (40, 40, 70), owner)


class Motion(NamedTuple):
    """How one clip's objects move, in pixels per frame and frame numbers."""

    mirror: bool
    walker_x: int  # where the person crosses
    walk_from: int  # the frame the person steps off the near pavement
    far_car: tuple[int, int]  # x at frame 0, speed
    rider: tuple[int, int, int, int]  # x at frame 0, speed, waits from this x, rides on from
    near_car: tuple[int, int, int]  # x at frame 0, speed (leftwards), waits at this x
    near_car_waits: int  # frames it waits


CLIPS = {
    "clip-01": Motion(mirror=False, walker_x=160, walk_from=0, far_car=(60, 12),
                      rider=(10, 9, 95, 17), near_car=(334, 14, 196), near_car_waits=2),
    "clip-02": Motion(mirror=True, walker_x=140, walk_from=4, far_car=(40, 13),
                      rider=(0, 8, 100, 22), near_car=(352, 11, 200), near_car_waits=5),
}


def frame(f: int, motion: Motion) -> Canvas:
    """Frame f of the street: where everything is, drawn far to near."""
    canvas = Canvas()
    street(canvas)
    crossed = motion.walk_from + 17  # 17 frames of 6 pixels: the near pavement to the far one
    if f <= crossed:  # the pedestrian's feet, up across the road to the far pavement
        feet, walker_x = 176 - 6 * max(f - motion.walk_from, 0), motion.walker_x
    else:
        feet, walker_x = 74, motion.walker_x + 5 * (f - crossed)
    person(canvas, walker_x, feet, (40, 120, 70), "pedestrian")
    bicycle(canvas, walker_x - 32, feet, None)  # pushed beside the person: no box of its own
    car(canvas, motion.far_car[0] + motion.far_car[1] * f, 111, 56, (30, 80, 170), "car-far")
    start, speed, wait_x, ride_on = motion.rider
    rider_x = min(start + speed * f, wait_x) if f <= ride_on else wait_x + 12 * (f - ride_on)
    bicycle(canvas, rider_x, 112, "cyclist")
    person(canvas, rider_x + 9, 112 - 12, (230, 150, 20), "cyclist", riding=True)
    start, speed, wait_x = motion.near_car
    arrives = -(-(start - wait_x) // speed)  # the first frame it reaches the crossing
    leaves = arrives + motion.near_car_waits
    near_x = max(wait_x, start - speed * f) if f <= leaves else wait_x - speed * (f - leaves)
    car(canvas, near_x, 156, 76, (190, 40, 40), "car-near")
    return canvas


def clipped(box: list[int]) -> dict[str, int] | None:
    """The part of a box on the frame as {x, y, w, h}, or None when nothing of it is."""
    x0, y0 = max(box[0], 0), max(box[1], 0)
    x1, y1 = min(box[2], WIDTH), min(box[3], HEIGHT)
    return {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0} if x1 > x0 and y1 > y0 else None


def clip(motion: Motion) -> tuple[np.ndarray, list[dict]]:
    """The strip's pixels and the gold tracks of one clip."""
    frames, boxes = [], {name: {} for name, _ in TRACKS}
    for index in range(FRAMES):
        canvas = frame(index, motion)
        pixels = canvas.pixels[:, ::-1] if motion.mirror else canvas.pixels
        frames.append(pixels)
        for name, box in canvas.boxes.items():
            if motion.mirror:
                box = [WIDTH - box[2], box[1], WIDTH - box[0], box[3]]
            placed = clipped(box)
            if placed:
                boxes[name][str(index)] = placed
    tracks = [{"id": number, "label": label, "boxes": boxes[name]}
              for number, (name, label) in enumerate(TRACKS, start=1)]
    return np.concatenate(frames), tracks


def png(pixels: np.ndarray) -> bytes:
    """An RGB PNG: each row unfiltered, zlib at its strongest."""
    height, width, _ = pixels.shape
    rows = np.concatenate([np.zeros((height, 1), dtype=np.uint8),
                           pixels.reshape(height, width * 3)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + chunk(b"IEND", b""))


def clips() -> dict[str, tuple[bytes, list[dict]]]:
    """Every clip's file name, PNG bytes and gold tracks."""
    found = {}
    for name, motion in CLIPS.items():
        pixels, tracks = clip(motion)
        found[f"{name}.png"] = (png(pixels), tracks)
    return found


def main() -> int:
    for name, (data, tracks) in clips().items():
        (MEDIA / name).write_bytes(data)
        print(f"{MEDIA / name}: {len(data):,} bytes; gold:")
        print(json.dumps(tracks, separators=(", ", ": ")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
