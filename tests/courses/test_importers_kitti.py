"""KITTI label_2 files with their calibration and scan, as cuboids items: objects given in the
camera frame come out in the lidar's, and every problem is reported at its line."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import graders
from courses.errors import SourceInvalid
from courses.importers import from_kitti

# KITTI's axes: lidar x forward is camera z, lidar y left is camera -x, lidar z up camera -y;
# the camera sits a little below and behind the lidar. R0_rect turns by a small angle.
VELO_TO_CAM = np.array([[0.0, -1.0, 0.0, 0.01], [0.0, 0.0, -1.0, -0.08],
                        [1.0, 0.0, 0.0, -0.27]])
TURN = 0.01
RECTIFY = np.array([[math.cos(TURN), 0.0, math.sin(TURN)], [0.0, 1.0, 0.0],
                    [-math.sin(TURN), 0.0, math.cos(TURN)]])
CARS = [{"label": "car", "x": 10.0, "y": 2.0, "z": -0.9, "l": 4.0, "w": 1.8, "h": 1.5,
         "yaw": 0.3},
        {"label": "cyclist", "x": -6.5, "y": -3.25, "z": -1.0, "l": 1.8, "w": 0.6, "h": 1.7,
         "yaw": -2.5}]


def kitti_line(cuboid: dict) -> str:
    """The label line KITTI writes for a cuboid given in the lidar's frame."""
    to_camera = np.eye(4)
    to_camera[:3, :3] = RECTIFY @ VELO_TO_CAM[:, :3]
    to_camera[:3, 3] = RECTIFY @ VELO_TO_CAM[:, 3]
    bottom = to_camera @ np.array([cuboid["x"], cuboid["y"], cuboid["z"] - cuboid["h"] / 2, 1])
    heading = to_camera[:3, :3] @ np.array([math.cos(cuboid["yaw"]), math.sin(cuboid["yaw"]), 0])
    turn = math.atan2(-heading[2], heading[0])
    return (f"{cuboid['label'].capitalize()} 0.00 0 -1.5 100 120 200 220 {cuboid['h']} "
            f"{cuboid['w']} {cuboid['l']} {' '.join(str(float(v)) for v in bottom[:3])} {turn}")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for folder in ("calib", "velodyne", "label_2"):
        (tmp_path / folder).mkdir()
    (tmp_path / "calib" / "000007.txt").write_text(
        "P2: 7 0 6 45 0 7 1 0 0 0 1 0\n"
        f"R0_rect: {' '.join(str(float(v)) for v in RECTIFY.ravel())}\n"
        f"Tr_velo_to_cam: {' '.join(str(float(v)) for v in VELO_TO_CAM.ravel())}\n")
    points = np.random.default_rng(7).uniform(-30, 30, (2000, 4)).astype(np.float32)
    points[:, 2] = np.clip(points[:, 2], -2, 3)
    points[:, 3] = np.abs(points[:, 3]) / 30
    (tmp_path / "velodyne" / "000007.bin").write_bytes(points.tobytes())
    return tmp_path


def test_objects_come_out_in_the_lidars_frame(root: Path):
    text = "\n".join([kitti_line(c) for c in CARS]
                     + ["DontCare -1 -1 -10 500 160 540 190 -1 -1 -1 -1000 -1000 -1000 -10", ""])
    converted = from_kitti(text, root, file="000007.txt", pools="exam")
    (item,) = converted.items
    assert item["id"] == "kitti-000007" and item["kind"] == "cuboids" and item["pools"] == ["exam"]
    assert item["media"] == "media/velodyne/000007.bin"
    assert converted.media == {item["media"]: root / "velodyne" / "000007.bin"}
    assert item["spec"]["range"] == {"x": [-31, 31], "y": [-31, 31], "z": [-3, 4]}
    for got, want in zip(item["gold"], CARS, strict=True):
        assert got["label"] == want["label"]
        for key in ("x", "y", "z", "l", "w", "h"):
            assert got[key] == pytest.approx(want[key], abs=1e-3), key
        assert math.remainder(got["yaw"] - want["yaw"], math.tau) == pytest.approx(0, abs=1e-4)
    score = graders.score("cuboids", item["spec"], item["gold"], CARS)
    assert score.correct and min(m["iou"] for m in score.details["matched"]) > 0.999


def test_every_problem_is_reported_at_its_line(root: Path):
    text = "\n".join([kitti_line(CARS[0]), "Bus 0 0 0 1 2 3 4 1 1 1 1 1 1 0", "Car 0 0",
                      "Car 0 0 0 1 2 3 4 1 1 x 1 1 1 0", "Car 0 0 0 1 2 3 4 1 1 nan 1 1 1 0"])
    with pytest.raises(SourceInvalid) as raised:
        from_kitti(text, root, file="000007.txt")
    assert [str(e) for e in raised.value.errors] == [
        "000007.txt:2: unknown type 'Bus' (KITTI types: Car, Van, Truck, Pedestrian, "
        "Person_sitting, Cyclist, Tram, Misc, DontCare)",
        "000007.txt:3: a KITTI label line has 15 values (type, truncated, occluded, alpha, 2D "
        "box, h w l, x y z, rotation_y), got 3",
        "000007.txt:4: dimensions, location and rotation_y must be numbers",
        "000007.txt:5: dimensions, location and rotation_y must be finite",
    ]


def test_a_missing_calibration_or_a_broken_scan_is_refused(root: Path):
    (root / "velodyne" / "000007.bin").write_bytes(b"\x00" * 17)
    (root / "calib" / "000007.txt").write_text("P2: 1 2 3\n")
    with pytest.raises(SourceInvalid) as raised:
        from_kitti(kitti_line(CARS[0]), root, file="000007.txt")
    assert [str(e) for e in raised.value.errors] == [
        "000007.txt:1: calibration 000007.txt has no Tr_velo_to_cam line",
        "000007.txt:1: velodyne/000007.bin: a KITTI .bin holds 16 bytes a point, but 17 bytes "
        "is not a multiple of 16"]
    with pytest.raises(SourceInvalid, match="needs the KITTI folder"):
        from_kitti("", None, file="000007.txt")
