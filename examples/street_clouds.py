"""The street-scenes course's lidar clouds: a small, deterministic lidar simulator.

    python examples/street_clouds.py  # writes examples/street-scenes/media/lidar-*.pcd

A 32-beam spinning lidar 1.73 m above a street (as on KITTI's car: +x forward, +y left, +z
up) casts its rays at a ground plane, two rows of house fronts, a few poles, parked and moving
cars and a motorcycle with its rider; the first hit of each ray is a point, with a centimetre
of noise. Objects cast shadows as in a real scan. The same seed writes the same bytes (binary
compressed PCD through pypcd4), which tests/courses/test_examples.py checks. Each scene's
cuboids are the gold of its item in items.jsonl.
"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
from pypcd4 import Encoding, PointCloud

HEIGHT = 1.73  # the lidar above the road, metres
GROUND = -HEIGHT
BEAMS = np.radians(np.linspace(-24.0, 4.0, 32))
AZIMUTHS = np.radians(np.arange(0.0, 360.0, 0.5))
MAX_RANGE = 45.0
HOUSES = 11.0  # metres from the lidar to each row of house fronts
MEDIA = Path(__file__).resolve().parent / "street-scenes" / "media"


class Part(NamedTuple):
    """An upright box of an object: centre, size and heading (radians), and its brightness."""

    x: float
    y: float
    z: float
    l: float  # noqa: E741
    w: float
    h: float
    yaw: float
    intensity: float


class Thing(NamedTuple):
    """A labelled object: its cuboid (the gold) and the parts the rays hit."""

    label: str
    cuboid: dict
    parts: list[Part]


def car(x: float, y: float, yaw: float, length: float = 4.4, width: float = 1.8) -> Thing:
    """A car: a body from the wheels up, a narrower cabin on top; 1.5 m high."""
    cos, sin = math.cos(yaw), math.sin(yaw)
    back = -0.35  # the cabin sits a little behind the middle
    parts = [Part(x, y, GROUND + 0.65, length, width, 0.75, yaw, 0.55),
             Part(x + back * cos, y + back * sin, GROUND + 1.25, 0.55 * length, 0.9 * width,
                  0.5, yaw, 0.35),
             *(Part(x + a * cos - b * sin, y + a * sin + b * cos, GROUND + 0.32, 0.6, 0.25,
                    0.64, yaw, 0.15)
               for a in (-0.3 * length, 0.3 * length) for b in (-0.4 * width, 0.4 * width))]
    return Thing("car", cuboid("car", x, y, length, width, 1.5, yaw), parts)


def motorcycle(x: float, y: float, yaw: float) -> Thing:
    """A motorcycle with its rider: wheels, a narrow body, the rider's legs and back."""
    cos, sin = math.cos(yaw), math.sin(yaw)

    def at(a: float) -> tuple[float, float]:
        return x + a * cos, y + a * sin

    parts = [Part(*at(0.7), GROUND + 0.33, 0.64, 0.14, 0.66, yaw, 0.2),
             Part(*at(-0.7), GROUND + 0.33, 0.64, 0.14, 0.66, yaw, 0.2),
             Part(*at(0.0), GROUND + 0.75, 1.5, 0.4, 0.5, yaw, 0.7),
             Part(*at(-0.15), GROUND + 0.95, 0.5, 0.75, 0.4, yaw, 0.4),
             Part(*at(-0.2), GROUND + 1.35, 0.35, 0.45, 0.6, yaw, 0.3)]
    return Thing("motorcycle", cuboid("motorcycle", x, y, 2.1, 0.8, 1.65, yaw), parts)


def cuboid(label: str, x: float, y: float, length: float, width: float, height: float,
           yaw: float) -> dict:
    return {"label": label, "x": x, "y": y, "z": round(GROUND + height / 2, 3), "l": length,
            "w": width, "h": height, "yaw": yaw}


def pole(x: float, y: float) -> Part:
    return Part(x, y, GROUND + 2.5, 0.2, 0.2, 5.0, 0.0, 0.5)


SCENES = {
    "lidar-01": [car(9.0, -4.6, 0.0), car(16.5, 2.0, math.pi), car(-8.0, -4.5, 0.0),
                 motorcycle(6.0, -1.2, 0.35)],
    "lidar-02": [car(12.0, 4.6, math.pi), car(-7.5, 1.8, 0.0), motorcycle(7.0, -2.5, -0.6),
                 car(22.0, -4.4, 0.05)],
}
POLES = {"lidar-01": [pole(x, -6.8) for x in (-15.0, 3.0, 21.0)],
         "lidar-02": [pole(x, 6.8) for x in (-20.0, 2.0, 24.0)]}


def hits(origin: np.ndarray, rays: np.ndarray, part: Part) -> np.ndarray:
    """The distance along each ray to the box `part` (inf where the ray misses it)."""
    cos, sin = math.cos(part.yaw), math.sin(part.yaw)
    turn = np.array([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])
    start = turn @ (origin - np.array([part.x, part.y, part.z]))
    ways = rays @ turn.T
    half = np.array([part.l, part.w, part.h]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        near = (-half - start) / ways
        far = (half - start) / ways
    enter = np.nanmax(np.minimum(near, far), axis=1)
    leave = np.nanmin(np.maximum(near, far), axis=1)
    return np.where((enter <= leave) & (enter > 0), enter, np.inf)


def scan(scene: str, seed: int) -> np.ndarray:
    """The points (n, 4: x, y, z, intensity) one turn of the lidar sees in `scene`."""
    rng = np.random.default_rng(seed)
    elevation, azimuth = np.meshgrid(BEAMS, AZIMUTHS, indexing="ij")
    rays = np.stack([np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth),
                     np.sin(elevation)], axis=-1).reshape(-1, 3)
    origin = np.zeros(3)
    with np.errstate(divide="ignore"):
        ground = np.where(rays[:, 2] < 0, GROUND / rays[:, 2], np.inf)
        houses = np.where(np.abs(rays[:, 1]) > 1e-9, HOUSES / np.abs(rays[:, 1]), np.inf)
    distance = np.minimum(ground, houses)
    light = np.where(ground <= houses, 0.15, 0.4)
    for part in [p for thing in SCENES[scene] for p in thing.parts] + POLES[scene]:
        found = hits(origin, rays, part)
        closer = found < distance
        distance = np.where(closer, found, distance)
        light = np.where(closer, part.intensity, light)
    seen = distance < MAX_RANGE
    points = rays[seen] * distance[seen, None]
    points += rng.normal(0.0, 0.01, points.shape)
    light = np.clip(light[seen] + rng.normal(0.0, 0.03, seen.sum()), 0.0, 1.0)
    return np.round(np.column_stack([points, light]), 2).astype(np.float32)


def pcd(points: np.ndarray) -> bytes:
    """binary_compressed PCD bytes of (n, 4) float32 points."""
    out = io.BytesIO()
    PointCloud.from_xyzi_points(points).save(out, encoding=Encoding.BINARY_COMPRESSED)
    return out.getvalue()


def clouds() -> dict[str, bytes]:
    """Every scene's file name and bytes."""
    return {f"{name}.pcd": pcd(scan(name, seed)) for seed, name in enumerate(SCENES, start=1)}


def main() -> int:
    for name, data in clouds().items():
        (MEDIA / name).write_bytes(data)
        print(f"{MEDIA / name}: {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
