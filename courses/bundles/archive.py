"""Safe extraction of an uploaded, zipped course bundle.

Pure logic: no Flask, no database. The zip comes from a browser, so it is untrusted: entries
may try to escape the destination (absolute paths, "..", links), hide a zip bomb behind small
declared sizes, or be encrypted. Every such zip is refused with a ValueError whose message can
be shown to the instructor as is.
"""

from __future__ import annotations

import io
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_FILES = 5000
_CHUNK = 64 * 1024
_IGNORED_NAMES = frozenset({".DS_Store"})
_IGNORED_FOLDERS = frozenset({"__MACOSX"})


def _open(data: bytes | BinaryIO) -> zipfile.ZipFile:
    if isinstance(data, bytes | bytearray | memoryview):
        source: BinaryIO = io.BytesIO(data)
    else:
        source = data if data.seekable() else io.BytesIO(data.read())
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError("the upload is not a valid zip file") from exc


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The safe relative path of an entry, or None when the entry is to be ignored."""
    name = info.filename
    if "\\" in name:
        raise ValueError(f'"{name}": backslashes are not allowed in zip entry names')
    if name.startswith("/") or (len(name) > 1 and name[0].isalpha() and name[1] == ":"):
        raise ValueError(f'"{name}": absolute paths are not allowed')
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f'"{name}": ".." is not allowed in zip entry names')
    if any(ord(ch) < 32 for ch in name):
        raise ValueError(f"{name!r}: control characters are not allowed in zip entry names")
    if not parts or parts[0] in _IGNORED_FOLDERS or parts[-1] in _IGNORED_NAMES:
        return None
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ValueError(f'"{name}": symbolic links are not allowed')
    if info.flag_bits & 0x1:
        raise ValueError(f'"{name}": encrypted zip entries are not allowed')
    return PurePosixPath(*parts)


def _plan(archive: zipfile.ZipFile, max_total_bytes: int,
          max_files: int) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Entries to extract, after checking every name and the declared sizes."""
    plan, files, folders, total = [], set(), set(), 0
    for info in archive.infolist():
        path = _member_path(info)
        if path is None:
            continue
        if path in files or (not info.is_dir() and path in folders):
            raise ValueError(f'"{info.filename}" appears twice in the zip')
        (folders if info.is_dir() else files).add(path)
        folders.update(path.parents)
        if files & folders:
            raise ValueError(f'"{info.filename}": a file and a folder have the same name')
        plan.append((info, path))
        total += info.file_size
        if len(plan) > max_files:
            raise ValueError(f"the zip holds more than {max_files} files")
        if total > max_total_bytes:
            raise ValueError(_too_big(max_total_bytes))
    return plan


def _too_big(max_total_bytes: int) -> str:
    return f"the zip unpacks to more than {max_total_bytes / 1024 / 1024:g} MB"


def _extract(archive: zipfile.ZipFile, plan: list[tuple[zipfile.ZipInfo, PurePosixPath]],
             dest: Path, max_total_bytes: int) -> None:
    """Write the planned entries, counting the bytes really unpacked (zip bombs lie)."""
    written = 0
    for info, path in plan:
        target = dest.joinpath(*path.parts)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, target.open("xb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > max_total_bytes:
                    raise ValueError(_too_big(max_total_bytes))
                out.write(chunk)


def _bundle_root(dest: Path) -> Path:
    if (dest / "course.yaml").is_file():
        return dest
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / "course.yaml").is_file():
        return entries[0]
    raise ValueError(
        "the zip must hold course.yaml at its top level, or one folder that holds course.yaml"
    )


def _clear(dest: Path, created: bool) -> None:
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def unpack_zip(data: bytes | BinaryIO, dest: Path, *, max_total_bytes: int = MAX_TOTAL_BYTES,
               max_files: int = MAX_FILES) -> Path:
    """Safely unpack any zip (a bundle, a folder of images) into dest (absent or empty).

    Refuses, with a ValueError, anything that is not a zip, absolute or ".." paths, links,
    encrypted entries, more than max_files entries or more than max_total_bytes unpacked.
    Ignores __MACOSX/ and .DS_Store. On failure dest is left as it was found.
    """
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ValueError(f"{dest} must not exist yet or be an empty folder")
    created = not dest.exists()
    with _open(data) as archive:
        plan = _plan(archive, max_total_bytes, max_files)
        dest.mkdir(parents=True, exist_ok=True)
        try:
            _extract(archive, plan, dest, max_total_bytes)
            return dest
        except ValueError:
            _clear(dest, created)
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
                NotImplementedError, RuntimeError, OSError) as exc:
            _clear(dest, created)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ValueError(f"the zip could not be unpacked: {reason}") from exc


def extract_zip(data: bytes | BinaryIO, dest: Path, *, max_total_bytes: int = MAX_TOTAL_BYTES,
                max_files: int = MAX_FILES) -> Path:
    """Unpack a zipped bundle into dest and return the bundle's root folder."""
    dest = Path(dest)
    created = not dest.exists()
    root = unpack_zip(data, dest, max_total_bytes=max_total_bytes, max_files=max_files)
    try:
        return _bundle_root(root)
    except ValueError:
        _clear(dest, created)
        raise
