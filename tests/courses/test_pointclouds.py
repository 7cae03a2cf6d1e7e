"""courses.pointclouds: reading PCD and KITTI .bin, refusing hostile files, thinning, packing.

Pure functions on bytes, so no app: PCD files are made with pypcd4 itself or by hand.
"""

from __future__ import annotations

import io
import struct

import lzf
import numpy as np
import pytest
from pypcd4 import Encoding, PointCloud

from courses import pointclouds
from courses.pointclouds import (
    DEFAULT_LIMIT,
    MAX_POINTS,
    PACK_MAGIC,
    PACK_VERSION,
    PointCloudError,
    decimate,
    pack,
    read_cloud,
    read_kitti,
    read_pcd,
)

RNG_SEED = 20261207


def cloud(n: int, *, seed: int = RNG_SEED, span: float = 100.0) -> np.ndarray:
    """n points of x, y, z in a cube of side `span` around the origin, intensity in 0..1."""
    rng = np.random.default_rng(seed)
    points = np.empty((n, 4), dtype=np.float32)
    points[:, :3] = rng.uniform(-span / 2, span / 2, (n, 3))
    points[:, 3] = rng.uniform(0, 1, n)
    return points


def grid(n: int) -> np.ndarray:
    """n points on a coarse grid (lzf compresses them, so pypcd4 keeps binary_compressed)."""
    points = np.zeros((n, 4), dtype=np.float32)
    points[:, 0] = np.arange(n) % 10
    points[:, 1] = (np.arange(n) // 10) % 10
    points[:, 2] = 1.5
    points[:, 3] = np.arange(n) % 4
    return points


def saved(pc: PointCloud, encoding: Encoding) -> bytes:
    buffer = io.BytesIO()
    pc.save(buffer, encoding=encoding)
    return buffer.getvalue()


def header(fields: str = "x y z", size: str = "4 4 4", type_: str = "F F F",
           count: str = "1 1 1", points: int = 1, data: str = "ascii", *,
           width: int | None = None, height: int = 1) -> bytes:
    """A PCD header by hand, as PCL writes it (a comment first)."""
    width = points if width is None else width
    return (f"# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS {fields}\n"
            f"SIZE {size}\nTYPE {type_}\nCOUNT {count}\nWIDTH {width}\nHEIGHT {height}\n"
            f"VIEWPOINT 0 0 0 1 0 0 0\nPOINTS {points}\nDATA {data}\n").encode()


def xyz_binary(points: np.ndarray) -> bytes:
    return np.ascontiguousarray(points[:, :3], dtype="<f4").tobytes()


def compressed_body(points: np.ndarray) -> bytes:
    """binary_compressed body of x, y, z float32 fields: sizes, then lzf of each column."""
    raw = b"".join(np.ascontiguousarray(points[:, axis], dtype="<f4").tobytes()
                   for axis in range(3))
    packed = lzf.compress(raw)
    assert packed is not None
    return struct.pack("<II", len(packed), len(raw)) + packed


def refused(data: bytes, match: str, reader=read_pcd) -> PointCloudError:
    with pytest.raises(PointCloudError, match=match) as caught:
        reader(data)
    return caught.value


# --- reading PCD ----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", [Encoding.ASCII, Encoding.BINARY,
                                      Encoding.BINARY_COMPRESSED])
def test_pcd_written_by_pypcd4_with_intensity(encoding):
    points = grid(200)
    data = saved(PointCloud.from_xyzi_points(points), encoding)
    assert f"DATA {encoding.value}\n".encode() in data

    got = read_pcd(data)

    assert got.dtype == np.float32
    assert got.shape == (200, 4)
    np.testing.assert_allclose(got, points, atol=1e-6)


@pytest.mark.parametrize("encoding", [Encoding.ASCII, Encoding.BINARY,
                                      Encoding.BINARY_COMPRESSED])
def test_pcd_without_intensity_reads_zero_intensity(encoding):
    points = grid(50)
    data = saved(PointCloud.from_xyz_points(points[:, :3]), encoding)

    got = read_pcd(data)

    assert got.shape == (50, 4)
    np.testing.assert_allclose(got[:, :3], points[:, :3], atol=1e-6)
    assert not got[:, 3].any()


def test_pcd_random_cloud_round_trips_exactly_in_binary():
    points = cloud(1000)
    got = read_pcd(saved(PointCloud.from_xyzi_points(points), Encoding.BINARY))
    np.testing.assert_array_equal(got, points)


def test_pcd_by_hand_ascii_with_integer_intensity_and_extra_fields():
    data = header("x y z intensity ring", "4 4 4 2 1", "F F F U U", "1 1 1 1 1", points=2) + (
        b"1.5 -2 3 700 0\n4 5 6.25 0 7\n")

    got = read_pcd(data)

    np.testing.assert_array_equal(got, [[1.5, -2, 3, 700], [4, 5, 6.25, 0]])


def test_pcd_by_hand_ascii_single_point():
    """np.loadtxt returns a 0-d array for one row; it still reads as one point."""
    np.testing.assert_array_equal(read_pcd(header() + b"1 2 3\n"), [[1, 2, 3, 0]])


def test_pcd_by_hand_crlf_and_comments():
    data = (header(points=2) + b"# a comment\n1 2 3\n\n4 5 6\n").replace(b"\n", b"\r\n")
    np.testing.assert_array_equal(read_pcd(data), [[1, 2, 3, 0], [4, 5, 6, 0]])


def test_pcd_by_hand_binary_with_float64_coordinates_and_padding():
    fields = np.dtype([("x", "<f8"), ("y", "<f8"), ("z", "<f8"), ("pad", "u1", (3,)),
                       ("intensity", "<f4")])
    rows = np.zeros(3, dtype=fields)
    rows["x"], rows["y"], rows["z"] = [1, 2, 3], [-1, -2, -3], [0.5, 0.25, 0.125]
    rows["intensity"] = [10, 20, 30]
    data = header("x y z pad intensity", "8 8 8 1 4", "F F F U F", "1 1 1 3 1", points=3,
                  data="binary") + rows.tobytes()

    got = read_pcd(data)

    np.testing.assert_array_equal(got, [[1, -1, 0.5, 10], [2, -2, 0.25, 20], [3, -3, 0.125, 30]])


def test_pcd_by_hand_binary_compressed():
    points = grid(100)
    got = read_pcd(header(points=100, data="binary_compressed") + compressed_body(points))
    np.testing.assert_array_equal(got[:, :3], points[:, :3])


def test_pcd_organised_cloud_width_times_height():
    points = grid(6)
    data = header(points=6, width=3, height=2, data="binary") + xyz_binary(points)
    assert read_pcd(data).shape == (6, 4)


@pytest.mark.parametrize("data", ["ascii", "binary", "binary_compressed"])
def test_pcd_empty_cloud(data):
    assert read_pcd(header(points=0, data=data)).shape == (0, 4)


def test_read_cloud_dispatches_on_suffix():
    points = grid(10)
    pcd = saved(PointCloud.from_xyzi_points(points), Encoding.BINARY)
    assert read_cloud(pcd, "scan.PCD").shape == (10, 4)
    assert read_cloud(points.tobytes(), "velodyne/000001.bin").shape == (10, 4)
    with pytest.raises(PointCloudError, match=r"scan\.ply: not a point cloud"):
        read_cloud(pcd, "scan.ply")
    with pytest.raises(PointCloudError, match="not a point cloud"):
        read_cloud(pcd, "pcd")


# --- reading KITTI --------------------------------------------------------------------------


def test_kitti_bin():
    points = cloud(1234)
    got = read_kitti(points.astype("<f4").tobytes())
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, points)
    got[0, 0] = 99  # a writable copy, not a view of the caller's bytes


def test_kitti_empty():
    assert read_kitti(b"").shape == (0, 4)


def test_kitti_not_a_multiple_of_16():
    refused(cloud(3).tobytes()[:-1], r"16 bytes a point, but 47 bytes is not a multiple",
            read_kitti)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("column", [0, 2, 3])
def test_kitti_non_finite_refused(value, column):
    points = cloud(10)
    points[7, column] = value
    points[9, column] = value
    error = refused(points.tobytes(), r"point 7 is not finite \(2 such points\)", read_kitti)
    assert "NaN" in str(error)


def test_kitti_too_many_points(monkeypatch):
    monkeypatch.setattr(pointclouds, "MAX_POINTS", 100)
    assert len(read_kitti(cloud(100).tobytes())) == 100
    refused(cloud(101).tobytes(), "too many points: 101 > 100", read_kitti)


def test_kitti_too_large(monkeypatch):
    monkeypatch.setattr(pointclouds, "MAX_FILE_BYTES", 1600)
    assert len(read_kitti(cloud(100).tobytes())) == 100
    refused(cloud(101).tobytes(), "file too large: 1,616 bytes > 1,600", read_kitti)


# --- refusing PCD ---------------------------------------------------------------------------


def test_pcd_too_large(monkeypatch):
    data = saved(PointCloud.from_xyzi_points(grid(100)), Encoding.BINARY)
    monkeypatch.setattr(pointclouds, "MAX_FILE_BYTES", len(data) - 1)
    refused(data, f"file too large: {len(data):,} bytes")


def test_pcd_too_many_points_by_header_alone():
    """The count is refused from the header, before any body is looked at."""
    n = MAX_POINTS + 1
    refused(header(points=n, data="binary"), f"too many points: {n:,} > {MAX_POINTS:,}")


@pytest.mark.parametrize("encoding", ["binary", "binary_compressed"])
def test_pcd_header_count_mismatched_to_width(encoding):
    data = header(points=4, width=2, data=encoding) + xyz_binary(grid(4))
    refused(data, "WIDTH 2 x HEIGHT 1 is not POINTS 4")


def test_pcd_binary_truncated():
    data = saved(PointCloud.from_xyzi_points(grid(100)), Encoding.BINARY)
    refused(data[:-5], r"promises 100 points \(1,600 bytes\), the binary data has 1,595 bytes")


def test_pcd_binary_longer_than_header_says():
    data = header(points=2, data="binary") + xyz_binary(grid(3))
    refused(data, r"promises 2 points \(24 bytes\), the binary data has 36 bytes")


def test_pcd_ascii_fewer_rows_than_header_says():
    refused(header(points=3) + b"1 2 3\n4 5 6\n", "header says 3 points, the data holds 2")


def test_pcd_ascii_more_rows_than_header_says():
    refused(header(points=1) + b"1 2 3\n4 5 6\n", "header says 1 points, the data holds 2")


def test_pcd_ascii_header_with_no_rows():
    refused(header(points=2) + b"# nothing\n\n", "promises 2 points, the ASCII data has none")


def test_pcd_zero_points_but_data_follows():
    refused(header(points=0) + b"1 2 3\n", "promises 0 points, the ASCII data has some")
    refused(header(points=0, data="binary") + xyz_binary(grid(1)),
            r"promises 0 points \(0 bytes\), the binary data has 12 bytes")
    refused(header(points=0, data="binary_compressed") + compressed_body(grid(10)),
            "promises 0 points, the binary_compressed data has")
    assert read_pcd(header(points=0) + b"\n# only a comment\n").shape == (0, 4)
    assert read_pcd(header(points=0, data="binary_compressed") + bytes(8)).shape == (0, 4)


@pytest.mark.parametrize("row, match", [
    (b"1 2\n", "requires 3 columns but 2 were found"),
    (b"1 2 3 4\n", "requires 3 columns but 4 were found"),
    (b"1 two 3\n", "could not convert string 'two'"),
])
def test_pcd_ascii_rows_that_lie(row, match):
    error = refused(header() + row, match)
    assert str(error).startswith("PCD data: ")


def test_pcd_ascii_integer_out_of_range():
    data = header("x y z intensity", "4 4 4 1", "F F F U", "1 1 1 1") + b"1 2 3 300\n"
    refused(data, "could not convert string '300' to uint8")


def test_pcd_binary_compressed_truncated():
    points = grid(100)
    body = compressed_body(points)
    refused(header(points=100, data="binary_compressed") + body[:-3],
            r"binary_compressed sizes do not match: .* packed \(\d+ present\)")


def test_pcd_binary_compressed_without_size_words():
    refused(header(points=1, data="binary_compressed") + b"\x01\x00",
            "binary_compressed data has no size words")


def test_pcd_binary_compressed_claims_huge_uncompressed_size():
    body = compressed_body(grid(100))
    packed = len(body) - 8
    huge = struct.pack("<II", packed, 0xFFFF_FFF0) + body[8:]
    error = refused(header(points=100, data="binary_compressed") + huge,
                    "binary_compressed sizes do not match")
    assert "4,294,967,280 bytes unpacked (the header's points need 1,200)" in str(error)


def test_pcd_binary_compressed_header_of_huge_points_is_refused_before_unpacking():
    """1,000,000 points of 4,096 bytes fit a uint32 size word, but would unpack to 4 GB."""
    points = 1_000_000
    fields = "x y z pad"
    data = header(fields, "4 4 4 1", "F F F U", "1 1 1 4084", points=points,
                  data="binary_compressed")
    size = points * 4096
    data += struct.pack("<II", 4, size) + b"\x00\x00\x00\x00"
    refused(data, f"1,000,000 points take {size:,} bytes unpacked, more than")


def test_pcd_binary_compressed_data_that_unpacks_to_more_than_claimed():
    raw = b"\x00" * 12 + b"extra bytes"
    packed = lzf.compress(raw * 4)
    data = header(points=1, data="binary_compressed") + struct.pack(
        "<II", len(packed), 12) + packed
    refused(data, "unpacks to more than the 12 bytes its header promises")


def test_pcd_binary_compressed_garbage():
    data = header(points=1, data="binary_compressed") + struct.pack("<II", 4, 12) + b"\0abc"
    refused(data, "PCD data: error in compressed data")


@pytest.mark.parametrize("encoding", [Encoding.ASCII, Encoding.BINARY,
                                      Encoding.BINARY_COMPRESSED])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_pcd_non_finite_coordinates(encoding, value):
    points = grid(20)
    points[3, 1] = value
    data = saved(PointCloud.from_xyzi_points(points), encoding)
    refused(data, r"point 3 is not finite \(1 such points\): remove no-return points")


def test_pcd_float64_coordinate_beyond_float32_is_refused_not_drawn():
    data = header("x y z", "8 8 8", "F F F", data="binary") + struct.pack("<3d", 1e300, 0, 0)
    refused(data, "point 0 is not finite")


@pytest.mark.parametrize("data, match", [
    (b"", "no complete header"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "not ASCII text"),
    (bytes(range(256)) * 8, "expected VERSION"),
    (b"ply\nformat ascii 1.0\nelement vertex 1\n", "expected VERSION, got 'ply'"),
    (b"VERSION 0.7\n" + b"#" * 70_000, "no complete header"),
    (b"VERSION 0.7\n" + b"x" * 70_000 + b"\n", "no complete header"),
])
def test_pcd_garbage_bytes(data, match):
    refused(data, match)


def test_pcd_garbage_line_number_counts_comments():
    data = b"# comment\nVERSION 0.7\n# caf\xc3\xa9\n"
    refused(data, "PCD header line 3 is not ASCII text")


def test_pcd_header_keys_out_of_order():
    data = header().replace(b"SIZE 4 4 4\nTYPE F F F\n", b"TYPE F F F\nSIZE 4 4 4\n")
    refused(data + b"1 2 3\n", "expected SIZE, got 'TYPE F F F'")


def test_pcd_header_without_viewpoint():
    data = header().replace(b"VIEWPOINT 0 0 0 1 0 0 0\n", b"")
    refused(data + b"1 2 3\n", "expected VIEWPOINT, got 'POINTS 1'")


@pytest.mark.parametrize("replace, match", [
    ((b"POINTS 1", b"POINTS many"), "PCD header: invalid literal for int"),
    ((b"POINTS 1", b"POINTS -1"), r"PCD header: points: Input should be greater than or equal"),
    ((b"TYPE F F F", b"TYPE F F X"), r"PCD header: type\.2: Input should be"),
    ((b"SIZE 4 4 4", b"SIZE 4 4 0"), r"PCD header: size\.2: Input should be greater than 0"),
    ((b"VERSION 0.7", b"VERSION 0.5"), r"PCD header: version: Input should be"),
    ((b"DATA ascii", b"DATA binaryscompressed"), "DATA binaryscompressed .expected one of"),
    ((b"DATA ascii", b"DATA zip"), "PCD header: data: Input should be"),
])
def test_pcd_header_values_refused(replace, match):
    refused(header().replace(*replace) + b"1 2 3\n", match)


@pytest.mark.parametrize("fields, size, type_, count, match", [
    ("x y z", "4 4", "F F F", "1 1 1", "3 FIELDS but 2 SIZE, 3 TYPE and 3 COUNT values"),
    ("x y z", "4 4 4", "F F F", "1 1", "3 FIELDS but 3 SIZE, 3 TYPE and 2 COUNT values"),
    ("x y z", "4 4 3", "F F F", "1 1 1", "field 'z' has TYPE F with SIZE 3"),
    ("x y z", "4 4 2", "F F F", "1 1 1", "field 'z' has TYPE F with SIZE 2"),
    ("x y intensity", "4 4 4", "F F F", "1 1 1", "no 'z' field .FIELDS x y intensity."),
    ("x y z", "4 4 4", "F F I", "1 1 1", "field 'z' must be one float per point"),
    ("x y z", "4 4 4", "F F F", "1 2 1", "field 'y' must be one float per point"),
    ("x y z pad", "4 4 4 1", "F F F U", "1 1 1 4085", "a point takes more than 4096 bytes"),
    ("x y z x", "4 4 4 4", "F F F F", "1 1 1 1", "field 'x' occurs more than once"),
])
def test_pcd_header_fields_refused(fields, size, type_, count, match):
    data = header(fields, size, type_, count, data="binary") + b"\0" * 64
    error = refused(data, match)
    assert str(error).startswith("PCD header: ")


def test_pcd_too_many_fields():
    names = " ".join(["x", "y", "z"] + [f"f{index}" for index in range(62)])
    data = header(names, " ".join(["4"] * 65), " ".join(["F"] * 65), " ".join(["1"] * 65))
    refused(data, "too many fields: 65 > 64")


# --- thinning -------------------------------------------------------------------------------


def test_decimate_100_000_points_to_the_cap():
    points = cloud(100_000)

    kept = decimate(points)

    assert DEFAULT_LIMIT * 0.95 <= len(kept) <= DEFAULT_LIMIT
    np.testing.assert_array_equal(decimate(points), kept)  # deterministic
    # real points, with their own intensity, in file order
    rows = {row.tobytes(): index for index, row in enumerate(points)}
    order = [rows[row.tobytes()] for row in kept]
    assert order == sorted(order)
    assert len(set(order)) == len(kept)


def test_decimate_keeps_sparse_far_points():
    """Dense ground near the sensor is thinned; a few far points (a distant object) stay."""
    rng = np.random.default_rng(RNG_SEED)
    near = np.zeros((95_000, 4), dtype=np.float32)
    near[:, :3] = rng.normal(0, 2, (95_000, 3))
    far = np.zeros((200, 4), dtype=np.float32)
    far[:, :3] = rng.uniform(30, 40, (200, 3))
    points = np.vstack([near, far])

    kept = decimate(points, limit=10_000)

    assert len(kept) <= 10_000
    assert (kept[:, 0] >= 30).sum() >= 190


@pytest.mark.parametrize("limit", [1, 7, 1000])
def test_decimate_small_limits(limit):
    kept = decimate(cloud(5000), limit)
    assert 1 <= len(kept) <= limit


def test_decimate_leaves_small_clouds_alone():
    points = cloud(500)
    assert decimate(points, 500) is points
    assert len(decimate(points[:0])) == 0


def test_decimate_identical_points():
    points = np.ones((1000, 4), dtype=np.float32)
    np.testing.assert_array_equal(decimate(points, 10), points[:1])


@pytest.mark.parametrize("limit", [0, -1, MAX_POINTS + 1])
def test_decimate_limit_checked(limit):
    with pytest.raises(ValueError, match="limit must be from 1 to 2,000,000"):
        decimate(cloud(10), limit)


# --- packing --------------------------------------------------------------------------------


def unpack(data: bytes) -> tuple[dict, np.ndarray, np.ndarray]:
    """Header fields, quantised x, y, z units (n, 3) and uint8 intensity, per the docstring."""
    assert data[:4] == PACK_MAGIC
    version, count = struct.unpack_from("<II", data, 4)
    corner = np.array(struct.unpack_from("<3f", data, 12), dtype=np.float32)
    step = np.array(struct.unpack_from("<3f", data, 24), dtype=np.float32)
    assert len(data) == 36 + 7 * count
    offsets = [36, 36 + 2 * count, 36 + 4 * count, 36 + 6 * count]
    assert all(offset % 2 == 0 for offset in offsets[:3])  # a Uint16Array views them in place
    units = np.stack([np.frombuffer(data, dtype="<u2", count=count, offset=offset)
                      for offset in offsets[:3]], axis=1)
    light = np.frombuffer(data, dtype=np.uint8, count=count, offset=offsets[3])
    return {"version": version, "count": count, "corner": corner, "step": step}, units, light


@pytest.mark.parametrize("n", [1, 2, 3, 1001])
def test_pack_round_trip(n):
    points = cloud(n, span=200)
    points[:, :3] += np.array([1000, -500, 20], dtype=np.float32)  # far from the origin

    head, units, light = unpack(pack(points))

    assert head["version"] == PACK_VERSION == 1
    assert head["count"] == n
    np.testing.assert_array_equal(head["corner"], points[:, :3].min(axis=0))
    back = head["corner"].astype(np.float64) + head["step"].astype(np.float64) * units
    error = np.abs(back - points[:, :3])
    assert (error <= head["step"] / 2 * 1.001 + 1e-9).all()
    if n > 1:
        assert (head["step"] < 200 / 65535 * 1.001).all()  # 3 mm for 200 m of cloud
        assert units.max(axis=0).tolist() == [65535] * 3
    assert units.min(axis=0).tolist() == [0] * 3
    brightest = points[:, 3].max()
    np.testing.assert_array_equal(light, np.rint(points[:, 3] / brightest * 255))
    assert light[np.argmax(points[:, 3])] == 255


def test_pack_offsets_are_even_for_odd_counts():
    data = pack(cloud(7))
    assert len(data) == 36 + 7 * 7
    head, units, _ = unpack(data)
    assert head["count"] == 7


def test_pack_flat_cloud_keeps_a_step():
    points = cloud(10)
    points[:, 2] = 1.25
    head, units, _ = unpack(pack(points))
    assert head["step"][2] == 1.0
    assert head["corner"][2] == np.float32(1.25)
    assert not units[:, 2].any()


def test_pack_cloud_thinner_than_a_float32_step():
    """A range of 1e-44 m makes a step float32 rounds to 0: it is 1 instead, not a 0 divisor."""
    points = np.zeros((3, 4), dtype=np.float32)
    points[1, 0] = 1e-44
    head, units, _ = unpack(pack(points))
    assert head["step"].tolist() == [1.0, 1.0, 1.0]
    assert not units.any()


def test_pack_without_intensity():
    points = cloud(10)
    points[:, 3] = 0
    _, _, light = unpack(pack(points))
    assert not light.any()


def test_pack_negative_intensity_clipped():
    points = cloud(4)
    points[:, 3] = [-1, 0, 2, 4]
    _, _, light = unpack(pack(points))
    assert light.tolist() == [0, 0, 128, 255]


def test_pack_empty():
    data = pack(np.zeros((0, 4), dtype=np.float32))
    head, units, light = unpack(data)
    assert len(data) == 36
    assert head["count"] == 0
    assert units.shape == (0, 3)


def test_pack_size_of_a_default_browser_cloud():
    kept = decimate(cloud(60_000))
    assert len(pack(kept)) == 36 + 7 * len(kept) <= 36 + 350_000


def test_read_thin_pack_end_to_end():
    points = cloud(3000)
    data = saved(PointCloud.from_xyzi_points(points), Encoding.BINARY_COMPRESSED)
    kept = decimate(read_cloud(data, "scan.pcd"), limit=1000)
    head, units, _ = unpack(pack(kept))
    assert head["count"] == len(kept) <= 1000
    back = head["corner"] + head["step"] * units.astype(np.float32)
    np.testing.assert_allclose(back, kept[:, :3], atol=float(head["step"].max()))
