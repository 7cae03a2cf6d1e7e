"""Safe extraction of zipped course bundles uploaded from a browser."""

from __future__ import annotations

import io
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from courses.bundles import extract_zip, read_bundle
from tests.courses.test_bundle_format import EXPECTED, FILES


def zip_of(entries: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def bundle_entries(prefix: str = "") -> dict[str, str | bytes]:
    return {prefix + name: content for name, content in FILES.items()}


def refused(data: bytes, dest: Path, match: str, **limits: int) -> None:
    with pytest.raises(ValueError, match=match):
        extract_zip(data, dest, **limits)
    assert not dest.exists()


def test_a_bundle_at_the_top_of_the_zip(tmp_path: Path) -> None:
    root = extract_zip(zip_of(bundle_entries()), tmp_path / "upload")
    assert root == tmp_path / "upload"
    assert read_bundle(root) == EXPECTED


def test_a_bundle_in_a_single_folder(tmp_path: Path) -> None:
    entries = {"clothing-tagging/": b"", **bundle_entries("clothing-tagging/")}
    root = extract_zip(zip_of(entries), tmp_path / "upload")
    assert root == tmp_path / "upload" / "clothing-tagging"
    assert read_bundle(root) == EXPECTED


def test_mac_junk_is_ignored(tmp_path: Path) -> None:
    entries = {
        **bundle_entries("clothing-tagging/"),
        "__MACOSX/clothing-tagging/._course.yaml": b"junk",
        "clothing-tagging/.DS_Store": b"junk",
        "clothing-tagging/media/.DS_Store": b"junk",
        ".DS_Store": b"junk",
    }
    root = extract_zip(zip_of(entries), tmp_path / "upload")
    assert root.name == "clothing-tagging"
    assert not (tmp_path / "upload" / "__MACOSX").exists()
    assert not (root / ".DS_Store").exists()
    assert read_bundle(root) == EXPECTED


def test_file_objects_are_accepted(tmp_path: Path) -> None:
    class Unseekable(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = zip_of(bundle_entries())
    assert read_bundle(extract_zip(io.BytesIO(data), tmp_path / "a")) == EXPECTED
    with Unseekable(data) as stream:
        assert read_bundle(extract_zip(stream, tmp_path / "b")) == EXPECTED


def test_an_existing_empty_destination_is_fine(tmp_path: Path) -> None:
    (tmp_path / "upload").mkdir()
    assert extract_zip(zip_of(bundle_entries()), tmp_path / "upload") == tmp_path / "upload"


def test_a_destination_with_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / "x").write_text("x")
    with pytest.raises(ValueError, match="must not exist yet or be an empty folder"):
        extract_zip(zip_of(bundle_entries()), tmp_path / "upload")


def test_not_a_zip(tmp_path: Path) -> None:
    refused(b"course.yaml is not a zip", tmp_path / "upload", "not a valid zip file")
    refused(zip_of(bundle_entries())[:100], tmp_path / "upload", "not a valid zip file")


@pytest.mark.parametrize("name", ["/etc/cron.d/evil", "C:/evil.txt", "c:evil.txt"])
def test_absolute_paths_are_refused(tmp_path: Path, name: str) -> None:
    refused(zip_of({**bundle_entries(), name: "x"}), tmp_path / "upload",
            "absolute paths are not allowed")


@pytest.mark.parametrize("name", ["../evil.txt", "media/../../evil.txt", "a/b/../../../evil"])
def test_parent_folders_are_refused(tmp_path: Path, name: str) -> None:
    refused(zip_of({**bundle_entries(), name: "x"}), tmp_path / "upload",
            '".." is not allowed')
    assert not (tmp_path / "evil.txt").exists()


def test_backslashes_are_refused(tmp_path: Path) -> None:
    refused(zip_of({**bundle_entries(), "..\\evil.txt": "x"}), tmp_path / "upload",
            "backslashes are not allowed")


def test_control_characters_are_refused(tmp_path: Path) -> None:
    refused(zip_of({**bundle_entries(), "media/a\x01.png": "x"}), tmp_path / "upload",
            "control characters are not allowed")


def test_symbolic_links_are_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in bundle_entries().items():
            archive.writestr(name, content)
        link = zipfile.ZipInfo("media/passwd.txt")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    refused(buffer.getvalue(), tmp_path / "upload", "symbolic links are not allowed")


def encrypted(data: bytes, name: bytes) -> bytes:
    """Set the "encrypted" flag of one entry in its local and central headers."""
    patched = bytearray(data)
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (start := patched.find(signature, start)) >= 0:
            if patched[start + name_at: start + name_at + len(name)] == name:
                flags = struct.unpack_from("<H", patched, start + flag_at)[0]
                struct.pack_into("<H", patched, start + flag_at, flags | 0x1)
            start += 4
    return bytes(patched)


def test_encrypted_entries_are_refused(tmp_path: Path) -> None:
    data = encrypted(zip_of(bundle_entries()), b"items.jsonl")
    refused(data, tmp_path / "upload", '"items.jsonl": encrypted zip entries are not allowed')


def test_too_many_files(tmp_path: Path) -> None:
    entries = {**bundle_entries(), **{f"media/{n}.txt": "x" for n in range(10)}}
    refused(zip_of(entries), tmp_path / "upload", "more than 12 files", max_files=12)
    assert extract_zip(zip_of(entries), tmp_path / "ok", max_files=16)


def test_declared_sizes_over_the_limit(tmp_path: Path) -> None:
    entries = {**bundle_entries(), "media/big.txt": b"0" * 2_000_000}
    refused(zip_of(entries), tmp_path / "upload", "unpacks to more than 1 MB",
            max_total_bytes=1024 * 1024)


def lie_about_sizes(data: bytes, name: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size an entry declares, as zip bombs do."""
    patched = bytearray(data)
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := patched.find(signature, start)) >= 0:
            if patched[start + name_at: start + name_at + len(name)] == name:
                struct.pack_into("<I", patched, start + size_at, size)
            start += 4
    return bytes(patched)


def test_a_zip_bomb_that_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    bomb = zip_of({**bundle_entries(), "media/bomb.txt": b"\0" * 5_000_000})
    assert len(bomb) < 50_000
    refused(lie_about_sizes(bomb, b"media/bomb.txt", 10), tmp_path / "upload",
            "could not be unpacked", max_total_bytes=1024 * 1024)


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate
        data = zip_of({**bundle_entries(), "./course.yaml": "slug: evil\n"})
    refused(data, tmp_path / "upload", '"./course.yaml" appears twice')


def test_a_file_and_a_folder_with_the_same_name_are_refused(tmp_path: Path) -> None:
    refused(zip_of({**bundle_entries(), "media/x": "x", "media/x/y.png": "y"}),
            tmp_path / "upload", "a file and a folder have the same name")


@pytest.mark.parametrize("entries", [
    {"notes.txt": "no bundle here"},
    {"a/course.yaml": "slug: a\n", "b/course.yaml": "slug: b\n"},
    {"a/b/course.yaml": "slug: a\n"},
])
def test_a_zip_without_a_bundle(tmp_path: Path, entries: dict[str, str | bytes]) -> None:
    refused(zip_of(entries), tmp_path / "upload", "must hold course.yaml at its top level")


def test_a_failed_extraction_leaves_an_existing_destination_empty(tmp_path: Path) -> None:
    (tmp_path / "upload").mkdir()
    with pytest.raises(ValueError, match="course.yaml"):
        extract_zip(zip_of({"media/a.png": "x"}), tmp_path / "upload")
    assert list((tmp_path / "upload").iterdir()) == []


def test_unpacked_bytes_are_counted_whatever_the_sizes_declare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = zip_of({**bundle_entries(), "media/small.txt": "x"})
    real_open = zipfile.ZipFile.open

    def open_bomb(self: zipfile.ZipFile, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if getattr(name, "filename", name) == "media/small.txt":
            return io.BytesIO(b"\0" * 2_000_000)  # far more than the 1 byte it declares
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", open_bomb)
    refused(data, tmp_path / "upload", "unpacks to more than 1 MB", max_total_bytes=1024 * 1024)
