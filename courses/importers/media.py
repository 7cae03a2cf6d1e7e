"""Find the files that labelling tools' image references point at, in a local media folder.

Tools refer to images in their own ways: COCO by a file name relative to an image folder,
Label Studio by an upload path (/data/upload/3/1a2b3c4d-cat.png, where "1a2b3c4d-" is a prefix
it adds), a local-files URL (/data/local-files/?d=folder/cat.png) or any http(s) URL. All are
resolved by FILE NAME among the files of the media folder given (subfolders included); the
bundle path is media/ plus the file's path inside that folder. A found file is checked like
every media name (courses.media_paths.media_file: no links, no unsafe names, the size limit);
the caller copies it.
"""

from __future__ import annotations

import io
import os
import re
import struct
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

from courses.media_paths import MEDIA_PREFIX, MediaRefused, media_file

UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-(?=.)")


class MediaMissing(LookupError):
    """An image reference that names no usable file in the media folder (none, several, or
    one that media_file refuses)."""


class MediaFolder:
    """The regular, non-hidden files of a folder, looked up by file name."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._by_name: dict[str, list[PurePosixPath]] | None = None

    def names(self) -> dict[str, list[PurePosixPath]]:
        """File name -> paths relative to the folder (built once; symbolic links are left out)."""
        if self._by_name is None:
            if not self.root.is_dir():
                raise NotADirectoryError(f"media folder {self.root} is not a folder")
            self._by_name = {}
            for folder, subfolders, files in os.walk(self.root):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                for name in sorted(files):
                    path = Path(folder, name)
                    if name.startswith(".") or path.is_symlink() or not path.is_file():
                        continue
                    relative = PurePosixPath(path.relative_to(self.root).as_posix())
                    self._by_name.setdefault(name, []).append(relative)
        return self._by_name

    def find(self, reference: str) -> tuple[str, Path]:
        """("media/<path>", file) for an image reference, or MediaMissing saying why not.

        When several files have the name, the one whose folders match the reference's wins.
        """
        names = candidate_names(reference)
        for name, wanted in names.items():
            paths = self.names().get(name, [])
            if len(paths) > 1:
                score = {p: max(_common_tail(p, w) for w in wanted) for p in paths}
                paths = [p for p in paths if score[p] == max(score.values())]
            if len(paths) == 1:
                return self._file(reference, paths[0])
            if paths:
                listed = ", ".join(str(p) for p in paths[:3])
                raise MediaMissing(f'image "{reference}": several files in the media folder are '
                                   f'named "{name}" ({listed})')
        looked = " or ".join(f'"{name}"' for name in names)
        raise MediaMissing(f'image "{reference}" is not in the media folder '
                           f"(looked for a file named {looked})")


    def _file(self, reference: str, path: PurePosixPath) -> tuple[str, Path]:
        """The found file, checked like every media name (size, links, unsafe names)."""
        try:
            return f"{MEDIA_PREFIX}{path}", media_file(self.root, str(path))
        except MediaRefused as refused:
            raise MediaMissing(f'image "{reference}": {refused}') from None


def candidate_names(reference: str) -> dict[str, list[PurePosixPath]]:
    """File names to look for, in order, each with the paths that name it: the reference as a
    plain path, then as a URL (its path, or the d= of a local-files URL), each name also
    without an upload prefix."""
    reference = reference.strip().replace("\\", "/")
    parts = urlsplit(reference)
    local = parse_qs(parts.query).get("d")
    url = PurePosixPath(local[0] if local else unquote(parts.path))
    found: dict[str, list[PurePosixPath]] = {}
    for path in (PurePosixPath(reference), url):
        for name in (path.name, UPLOAD_PREFIX.sub("", path.name)):
            if name:
                found.setdefault(name, []).append(path)
    return found


def _common_tail(path: PurePosixPath, wanted: PurePosixPath) -> int:
    """How many trailing folder names two paths share (after their file names)."""
    count = 0
    for mine, theirs in zip(reversed(path.parts[:-1]), reversed(wanted.parts[:-1]),
                            strict=False):
        if mine != theirs:
            break
        count += 1
    return count


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF, JPEG or WebP header, or None when it cannot be read."""
    try:
        with path.open("rb") as file:
            return header_size(file)
    except OSError:
        return None


def image_size_of(content: bytes) -> tuple[int, int] | None:
    """image_size of a file's content already in memory (a bundle's media)."""
    return header_size(io.BytesIO(content))


def header_size(file: BinaryIO) -> tuple[int, int] | None:
    """(width, height) read from an open image file's header, or None."""
    try:
        head = file.read(32)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head.startswith(b"\xff\xd8"):
            file.seek(2)
            return _jpeg_size(file)
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return _webp_size(head)
    except struct.error:
        return None
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    """The size in a WebP's first chunk: lossy (VP8), lossless (VP8L) or extended (VP8X)."""
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and head[20:21] == b"\x2f":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return (int.from_bytes(head[24:27], "little") + 1,
                int.from_bytes(head[27:30], "little") + 1)
    return None


def _jpeg_size(file: BinaryIO) -> tuple[int, int] | None:
    """Walk JPEG segments to the first start-of-frame marker."""
    while True:
        marker = file.read(2)
        while marker[1:] == b"\xff":  # fill bytes before a marker
            marker = marker[1:] + file.read(1)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        if marker[1] == 0x01 or 0xD0 <= marker[1] <= 0xD8:
            continue
        length = struct.unpack(">H", file.read(2))[0]
        if marker[1] in {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                         0xCE, 0xCF}:
            height, width = struct.unpack(">xHH", file.read(5))
            return width, height
        file.seek(length - 2, os.SEEK_CUR)
