"""KITTI 3D object labels (label_2) with their calibration and velodyne scan, as a cuboids item.

Why KITTI: it is the format most lidar labelling tools export and read (CVAT, Supervisely and
the open-source tools all speak it), it needs no account or server, and a frame is three small
text and binary files. One label file is one item:

    <root>/label_2/000123.txt    (the file given) one object a line: type, truncated, occluded,
                                 alpha, 2D box (4), dimensions h w l, location x y z, rotation_y
    <root>/calib/000123.txt      Tr_velo_to_cam (3 x 4) and, when present, R0_rect (3 x 3)
    <root>/velodyne/000123.bin   the scan: float32 x, y, z, intensity a point

KITTI gives each object in the (rectified) camera frame: `location` is the middle of the
box's BOTTOM face, camera y points down, and rotation_y turns about camera y. Bootcamp's
cuboids live in the lidar's frame (x forward, y left, z up), the scan's own: centre =
inverse(R0_rect · Tr_velo_to_cam) applied to the middle of the box, and yaw the direction of
the object's heading carried over the same way. DontCare regions are left out; types become
labels in lowercase. Pure logic: no Flask, no database; it only reads the files named above.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from courses import kinds
from courses.errors import Problems
from courses.importers.common import Converted, Source, finish, pool_list, slug
from courses.media_paths import MEDIA_PREFIX, MediaRefused, media_file
from courses.pointclouds import PointCloudError, read_kitti

LABELS = ("car", "van", "truck", "pedestrian", "person_sitting", "cyclist", "tram", "misc")
FIELDS = 15  # a label line's values (a 16th, the score of a detection, is allowed)
MAX_OBJECTS = 500


def from_kitti(text: str, root: str | Path | None, *, file: str = "000000.txt",
               pools: str = "practice") -> Converted:
    """The cuboids item of one KITTI label file; SourceInvalid listing every problem."""
    problems = Problems(file)
    frame = Path(file).stem
    if root is None:
        problems.add(1, "needs the KITTI folder (with calib/ and velodyne/) as the media folder")
        problems.raise_if_any()
    root = Path(root)
    transform = _calibration(root / "calib" / f"{frame}.txt", problems)
    cuboids = []
    lines = text.replace("\r\n", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.split()[0] == "DontCare":
            cuboids.append((number, line))
    if len(cuboids) > MAX_OBJECTS:
        problems.add(1, f"too many objects: {len(cuboids)} > {MAX_OBJECTS}")
        problems.raise_if_any()
    gold = [found for number, line in cuboids
            if (found := _cuboid(line, number, transform, problems)) is not None]
    path, cloud = _cloud(root, frame, problems)
    problems.raise_if_any()
    item = {"id": slug(f"kitti-{frame}") or "kitti", "kind": "cuboids",
            "prompt": kinds.kind_of("cuboids").default_prompt({"labels": LABELS}, ""),
            "media": f"{MEDIA_PREFIX}velodyne/{frame}.bin",
            "spec": {"labels": list(LABELS), "range": _range(cloud, gold)}, "gold": gold,
            "explanation": "", "sections": [], "critical": False, "pools": pool_list(pools)}
    return finish([Source(item, 1, "")], problems, {item["media"]: path})


def _calibration(path: Path, problems: Problems) -> np.ndarray | None:
    """The 4 x 4 matrix from the lidar's frame to the rectified camera's, or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.add(1, f"calibration {path.name} cannot be read: {error}")
        return None
    rows = {key.strip(): value.split() for key, _, value in
            (line.partition(":") for line in text.splitlines() if ":" in line)}
    try:
        velo_to_cam = np.array(rows["Tr_velo_to_cam"], dtype=float).reshape(3, 4)
        rectify = np.array(rows.get("R0_rect", "1 0 0 0 1 0 0 0 1".split()),
                           dtype=float).reshape(3, 3)
    except KeyError:
        problems.add(1, f"calibration {path.name} has no Tr_velo_to_cam line")
        return None
    except ValueError:
        problems.add(1, f"calibration {path.name}: Tr_velo_to_cam needs 12 numbers and "
                        "R0_rect 9")
        return None
    matrix = np.eye(4)
    matrix[:3, :3] = rectify @ velo_to_cam[:, :3]
    matrix[:3, 3] = rectify @ velo_to_cam[:, 3]
    if not np.isfinite(matrix).all() or abs(np.linalg.det(matrix[:3, :3])) < 1e-9:
        problems.add(1, f"calibration {path.name}: the transform cannot be inverted")
        return None
    return matrix


def _cuboid(line: str, number: int, transform: np.ndarray | None,
            problems: Problems) -> dict | None:
    """One label line as a cuboid in the lidar's frame, or None after saying what is wrong."""
    values = line.split()
    if len(values) not in (FIELDS, FIELDS + 1):
        problems.add(number, f"a KITTI label line has {FIELDS} values (type, truncated, "
                             f"occluded, alpha, 2D box, h w l, x y z, rotation_y), got "
                             f"{len(values)}")
        return None
    label = values[0].lower()
    if label not in LABELS:
        problems.add(number, f"unknown type {values[0]!r} (KITTI types: Car, Van, Truck, "
                             "Pedestrian, Person_sitting, Cyclist, Tram, Misc, DontCare)")
        return None
    try:
        height, width, length, x, y, z, turn = map(float, values[8:15])
    except ValueError:
        problems.add(number, "dimensions, location and rotation_y must be numbers")
        return None
    if not all(math.isfinite(v) for v in (height, width, length, x, y, z, turn)):
        problems.add(number, "dimensions, location and rotation_y must be finite")
        return None
    if transform is None:
        return None
    back = np.linalg.inv(transform)
    centre = back @ np.array([x, y - height / 2, z, 1.0])  # camera y points down
    heading = back[:3, :3] @ np.array([math.cos(turn), 0.0, -math.sin(turn)])
    return {"label": label, "x": _metres(centre[0]), "y": _metres(centre[1]),
            "z": _metres(centre[2]), "l": length, "w": width, "h": height,
            "yaw": round(math.atan2(heading[1], heading[0]), 4)}


def _metres(value: float) -> float:
    return round(float(value), 3)


def _cloud(root: Path, frame: str, problems: Problems) -> tuple[Path | None, np.ndarray]:
    """The frame's velodyne scan, checked like every media file and read."""
    name = f"{frame}.bin"
    try:
        path = media_file(root / "velodyne", name)
        return path, read_kitti(path.read_bytes())
    except MediaRefused as refused:
        problems.add(1, f"velodyne/{name}: {refused.reason}")
    except PointCloudError as error:
        problems.add(1, f"velodyne/{name}: {error}")
    return None, np.zeros((0, 4), dtype=np.float32)


def _range(cloud: np.ndarray, gold: list[dict]) -> dict[str, list[int]]:
    """Whole metres around the scan and every cuboid's centre."""
    extent = {}
    for index, axis in enumerate(("x", "y", "z")):
        values = [*cloud[:, index].tolist(), *(c[axis] for c in gold)] or [0.0]
        extent[axis] = [math.floor(min(values)) - 1, math.ceil(max(values)) + 1]
    return extent
