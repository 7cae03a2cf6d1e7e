"""Lidar point clouds for cuboids items: read PCD and KITTI .bin, thin out, pack for a browser.

Pure functions on bytes (no Flask, no files), so importers, views and tests share them. Every
file is treated as hostile: sizes and point counts are capped, the header must describe the
body exactly, and a non-finite coordinate is refused rather than drawn somewhere odd.

Readers return an (n, 4) float32 array of x, y, z (metres) and intensity (0 when the file
has none). PCD is decoded by pypcd4 (maintained, PCL's ASCII, binary and binary_compressed
encodings) once the checks here have passed: pypcd4 trusts the header, e.g. it would
allocate whatever uncompressed size a binary_compressed body claims.

`pack` writes the compact form a browser widget reads, all little-endian:

    offset  size  content
    0       4     b"BCPC"
    4       4     uint32 format version, 1
    8       4     uint32 n, the number of points
    12      12    float32 x, y, z of the lowest corner of the cloud's bounding box (metres)
    24      12    float32 x, y, z step: metres per unit of the quantised coordinates
    36      2n    uint16 x per point, in steps from the lowest corner
    36+2n   2n    uint16 y per point
    36+4n   2n    uint16 z per point
    36+6n   n     uint8 intensity per point, 255 for the cloud's brightest point

so a point is corner + step * (x, y, z), and each array starts at an even offset (a
Uint16Array can view it in place). 65,535 steps over 200 m of cloud are 3 mm, well below
what a widget can show; 7 bytes a point make a 50,000-point cloud 350 kB.
"""

from __future__ import annotations

import io
import math
import re
import struct

import numpy as np
import pydantic
from pypcd4 import PointCloud
from pypcd4.pypcd4 import PCD_TYPE_TO_NUMPY_TYPE, MetaData

MAX_FILE_BYTES = 128 * 1024 * 1024
MAX_POINTS = 2_000_000
MAX_HEADER_BYTES = 64 * 1024
MAX_FIELDS = 64
MAX_POINT_BYTES = 4096  # one point's record: far above any lidar's fields
DEFAULT_LIMIT = 50_000  # points sent to a browser: 350 kB packed
PACK_MAGIC = b"BCPC"
PACK_VERSION = 1
PCD_KEYS = ("VERSION", "FIELDS", "SIZE", "TYPE", "COUNT", "WIDTH", "HEIGHT", "VIEWPOINT",
            "POINTS", "DATA")
PCD_ENCODINGS = ("ascii", "binary", "binary_compressed")
_QUANTA = 65_535
_ASCII_ROW = re.compile(rb"^[^\S\n]*[^#\s]", re.MULTILINE)  # a line np.loadtxt reads values from


class PointCloudError(ValueError):
    """A point cloud file that cannot be used, with a message an author can act on."""


def read_cloud(data: bytes, name: str) -> np.ndarray:
    """The points of a .pcd or KITTI .bin file's bytes, by the name's suffix."""
    _, dot, suffix = name.lower().rpartition(".")
    suffix = suffix if dot else ""  # a name "pcd" has no suffix
    if suffix == "pcd":
        return read_pcd(data)
    if suffix == "bin":
        return read_kitti(data)
    raise PointCloudError(f"{name}: not a point cloud (expected a .pcd or KITTI .bin file)")


def cloud_problem(name: str, data: bytes) -> str | None:
    """Why a .pcd or .bin media file cannot be shown as a point cloud, or None when it can
    (importers check each cloud once, so that serving it never fails)."""
    try:
        read_cloud(data, name)
    except PointCloudError as error:
        return str(error)
    return None


def check_size(data: bytes) -> None:
    """Refuse files too large to read safely."""
    if len(data) > MAX_FILE_BYTES:
        raise PointCloudError(f"file too large: {len(data):,} bytes > {MAX_FILE_BYTES:,}")


def read_kitti(data: bytes) -> np.ndarray:
    """A KITTI velodyne .bin: float32 x, y, z, intensity per point, nothing else."""
    check_size(data)
    if len(data) % 16:
        raise PointCloudError(f"a KITTI .bin holds 16 bytes a point, but {len(data):,} bytes "
                              "is not a multiple of 16")
    points = np.frombuffer(data, dtype="<f4").reshape(-1, 4)
    check_count(len(points))
    return finite(points.astype(np.float32))


def check_count(count: int) -> None:
    """Refuse clouds with more points than a lesson can use."""
    if count > MAX_POINTS:
        raise PointCloudError(f"too many points: {count:,} > {MAX_POINTS:,}")


def finite(points: np.ndarray) -> np.ndarray:
    """`points`, unless a coordinate or intensity is NaN or infinite."""
    bad = ~np.isfinite(points).all(axis=1)
    if bad.any():
        raise PointCloudError(
            f"point {int(np.argmax(bad))} is not finite ({int(bad.sum()):,} such points): "
            "remove no-return points (NaN) before importing")
    return points


def read_pcd(data: bytes) -> np.ndarray:
    """A PCD file (ASCII, binary or binary_compressed) with float fields x, y, z."""
    check_size(data)
    lines, body = split_header(data)
    try:
        meta = MetaData.parse_header(lines)
    except (pydantic.ValidationError, ValueError) as error:
        raise PointCloudError(f"PCD header: {first_error(error)}") from None
    check_header(meta)
    check_body(meta, body)
    try:
        cloud = PointCloud.from_fileobj(io.BytesIO(data))
    except (ValueError, RuntimeError, struct.error) as error:  # e.g. ASCII text that lies
        raise PointCloudError(f"PCD data: {error}") from None
    except TypeError:  # lzf gives None for data that unpacks to more than the size word says
        if meta.data.value != "binary_compressed":
            raise
        raise PointCloudError("PCD binary_compressed data unpacks to more than the "
                              f"{meta.points * meta.build_dtype().itemsize:,} bytes its "
                              "header promises") from None
    cloud.pc_data = np.atleast_1d(cloud.pc_data)  # np.loadtxt makes one ASCII point 0-d
    if len(cloud.pc_data) != meta.points:
        raise PointCloudError(f"PCD header says {meta.points:,} points, the data holds "
                              f"{len(cloud.pc_data):,}")
    return finite(columns(cloud))


def first_error(error: Exception) -> str:
    """The first problem pydantic (or int()) found, in one line."""
    if isinstance(error, pydantic.ValidationError):
        problem = error.errors()[0]
        return f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
    return str(error)


def split_header(data: bytes) -> tuple[list[str], bytes]:
    """The header's lines (comments left out) and the bytes after its DATA line.

    The header must use each PCD key once, in the documented order, ending with DATA: the
    same lines pypcd4 reads, so both agree on where the body starts.
    """
    lines: list[str] = []
    offset = number = 0
    while len(lines) < len(PCD_KEYS):
        end = data.find(b"\n", offset, MAX_HEADER_BYTES)
        if end < 0:
            raise PointCloudError("not a PCD file: no complete header (VERSION ... DATA) in "
                                  f"the first {MAX_HEADER_BYTES:,} bytes")
        raw, offset, number = data[offset:end], end + 1, number + 1
        try:
            line = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            raise PointCloudError(f"PCD header line {number} is not ASCII text") from None
        if line and not line.startswith("#"):
            expected = PCD_KEYS[len(lines)]
            if line.split()[0].upper() != expected:
                raise PointCloudError(f"PCD header: expected {expected}, got {line[:40]!r}")
            lines.append(line)
    return lines, data[offset:]


def check_header(meta: MetaData) -> None:
    """Fields, sizes, types and counts that agree and that describe x, y and z."""
    fields = len(meta.fields)
    if fields > MAX_FIELDS:
        raise PointCloudError(f"PCD header: too many fields: {fields} > {MAX_FIELDS}")
    if not fields == len(meta.size) == len(meta.type) == len(meta.count):
        raise PointCloudError(f"PCD header: {fields} FIELDS but {len(meta.size)} SIZE, "
                              f"{len(meta.type)} TYPE and {len(meta.count)} COUNT values")
    for name, kind, size in zip(meta.fields, meta.type, meta.size, strict=True):
        if (kind, size) not in PCD_TYPE_TO_NUMPY_TYPE:
            raise PointCloudError(f"PCD header: field {name!r} has TYPE {kind} with SIZE "
                                  f"{size}, which PCD does not define")
    for name in ("x", "y", "z"):
        if name not in meta.fields:
            raise PointCloudError(f"PCD header: no {name!r} field (FIELDS {' '.join(meta.fields)})")
        index = meta.fields.index(name)
        if meta.type[index] != "F" or meta.count[index] != 1:
            raise PointCloudError(f"PCD header: field {name!r} must be one float per point")
    if sum(size * count for size, count in zip(meta.size, meta.count, strict=True)) > (
            MAX_POINT_BYTES):
        raise PointCloudError(f"PCD header: a point takes more than {MAX_POINT_BYTES} bytes")
    try:
        meta.build_dtype()
    except ValueError as error:  # e.g. FIELDS x y z x
        raise PointCloudError(f"PCD header: {error}") from None
    check_count(meta.points)
    if meta.width * meta.height != meta.points:
        raise PointCloudError(f"PCD header: WIDTH {meta.width} x HEIGHT {meta.height} is not "
                              f"POINTS {meta.points}")
    if meta.data.value not in PCD_ENCODINGS:
        raise PointCloudError(f"PCD header: DATA {meta.data.value} (expected one of "
                              f"{', '.join(PCD_ENCODINGS)})")


def check_body(meta: MetaData, body: bytes) -> None:
    """A body the size the header promises: binary exactly, binary_compressed by its size
    words (and at most MAX_FILE_BYTES unpacked), ASCII with rows or none as POINTS says (its
    rows are counted after)."""
    expected = meta.points * meta.build_dtype().itemsize
    if expected > MAX_FILE_BYTES:  # binary_compressed could otherwise unpack to 4 GB
        raise PointCloudError(f"PCD header: {meta.points:,} points take {expected:,} bytes "
                              f"unpacked, more than {MAX_FILE_BYTES:,}")
    if meta.data.value == "ascii" and bool(meta.points) != bool(_ASCII_ROW.search(body)):
        # pypcd4 reads no rows for POINTS 0; np.loadtxt warns on no rows, then finds 0
        raise PointCloudError(f"PCD header promises {meta.points:,} points, the ASCII data "
                              f"has {'some' if meta.points == 0 else 'none'}")
    if meta.data.value == "binary_compressed" and not meta.points and len(body) > 8:
        raise PointCloudError(f"PCD header promises 0 points, the binary_compressed data has "
                              f"{len(body):,} bytes")
    if meta.data.value == "binary" and len(body) != expected:
        raise PointCloudError(f"PCD header promises {meta.points:,} points ({expected:,} bytes)"
                              f", the binary data has {len(body):,} bytes")
    if meta.data.value == "binary_compressed" and meta.points:
        if len(body) < 8:
            raise PointCloudError("PCD binary_compressed data has no size words")
        compressed, uncompressed = struct.unpack("<II", body[:8])
        if uncompressed != expected or compressed != len(body) - 8:
            raise PointCloudError(
                f"PCD binary_compressed sizes do not match: {uncompressed:,} bytes unpacked "
                f"(the header's points need {expected:,}), {compressed:,} packed "
                f"({len(body) - 8:,} present)")


def columns(cloud: PointCloud) -> np.ndarray:
    """x, y, z and intensity (or zeros) of a decoded PCD as an (n, 4) float32 array."""
    data = cloud.pc_data
    points = np.zeros((len(data), 4), dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):  # float64 beyond float32: inf, refused
        for index, name in enumerate(("x", "y", "z", "intensity")):
            if name in cloud.fields:
                points[:, index] = data[name]
    return points


def decimate(points: np.ndarray, limit: int = DEFAULT_LIMIT) -> np.ndarray:
    """At most `limit` of `points`, one per cell of the finest voxel grid that allows it.

    A voxel grid thins the dense ground next to the sensor and keeps far, sparse objects
    (a motorcycle 30 m away), which a stride would thin alike. The cell size is found by
    bisection; each cell keeps its first point in file order, so the result is
    deterministic and made of real points (with their own intensity), in file order.
    """
    if not 1 <= limit <= MAX_POINTS:
        raise ValueError(f"limit must be from 1 to {MAX_POINTS:,}, got {limit}")
    if len(points) <= limit:
        return points
    low = points[:, :3].min(axis=0).astype(np.float64)
    extent = float((points[:, :3].max(axis=0) - low).max()) or 1.0
    fine, coarse = extent / limit, extent * 2  # one cell per point at most .. one cell
    kept = first_per_cell(points, low, coarse)
    for _ in range(12):  # the cell size ends within 0.3% of the finest that is allowed
        middle = math.sqrt(fine * coarse)
        chosen = first_per_cell(points, low, middle)
        if len(chosen) <= limit:
            coarse, kept = middle, chosen
        else:
            fine = middle
    return points[kept]


def first_per_cell(points: np.ndarray, low: np.ndarray, size: float) -> np.ndarray:
    """Indices of the first point in each occupied cube of side `size`, in file order."""
    cells = np.floor((points[:, :3] - low) / size).astype(np.int64)
    # Cells per axis stay below 2**21 (size >= extent / limit, limit <= MAX_POINTS), so one
    # int64 names a cell.
    keys = (cells[:, 0] << 42) | (cells[:, 1] << 21) | cells[:, 2]
    return np.sort(np.unique(keys, return_index=True)[1])


def pack(points: np.ndarray) -> bytes:
    """The browser's compact form of (n, 4) points; see the module docstring."""
    count = len(points)
    xyz = points[:, :3].astype(np.float64)
    corner = xyz.min(axis=0) if count else np.zeros(3)
    step = ((xyz.max(axis=0) - corner) / _QUANTA if count else np.ones(3)).astype(np.float32)
    step = np.where(step > 0, step, np.float32(1.0))  # a flat cloud keeps a step (so does
    # one too thin for a float32 step: after the cast, as 0 would divide by zero below)
    corner = corner.astype(np.float32)
    units = np.clip(np.rint((xyz - corner) / step.astype(np.float64)), 0, _QUANTA)
    brightest = float(points[:, 3].max()) if count else 0.0
    light = points[:, 3].astype(np.float64) / brightest if brightest > 0 else np.zeros(count)
    header = PACK_MAGIC + struct.pack("<II3f3f", PACK_VERSION, count, *corner, *step)
    return b"".join((header, *(units[:, axis].astype("<u2").tobytes() for axis in range(3)),
                     np.rint(np.clip(light, 0, 1) * 255).astype(np.uint8).tobytes()))
