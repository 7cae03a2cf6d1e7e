"""Media names from untrusted sources, and the only files they may name.

Pure logic: no Flask, no database. Item files, bundles, zips and URLs all name media files by a
relative path; any of them may try to reach outside the media folder ("..", an absolute path, a
drive letter, a backslash, a NUL, a link). Every importer, the bundle reader and every route that
serves a file go through the two functions here, so that there is one rule and one place to fix:
- media_path_problem: is "media/<name>" a canonical media path (what items, manuals and the
  database hold)?
- media_type_problem: is its type one that may be served (SVG may carry scripts: refused)?
- media_file: the regular file that an untrusted relative name names inside a given folder,
  of an allowed type and within the size limit, or MediaRefused saying why not.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

MEDIA_PREFIX = "media/"
MAX_MEDIA_BYTES = 20 * 1024 * 1024
MAX_MEDIA_PATH = 255
CLOUD_EXTENSIONS = frozenset({"pcd", "bin"})  # lidar point clouds: PCD and KITTI velodyne
STRIP_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "webp"})  # a clip's frame strip
MEDIA_EXTENSIONS = frozenset(
    {"png", "jpg", "jpeg", "gif", "webp", "mp3", "mp4", "webm", "pdf", "txt", "json"}
) | CLOUD_EXTENSIONS
_SHOWN_CHARS = 60
# "%2e%2e", "%2f", "%5c", "%00", "%252e": a name that another decoding would turn into a traversal.
_ENCODED = re.compile(r"%(2e|2f|5c|25|[01][0-9a-f]|7f)", re.IGNORECASE)
_NOT_REGULAR = "must be a regular file (links and special files are not allowed)"


class MediaRefused(ValueError):
    """A media name or file that cannot be used: `path` ("media/<name>") and why not."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f'"{shown(path)}": {reason}')


class MediaNotFound(MediaRefused):
    """A safe name that names no file (the caller may find it elsewhere, say already stored)."""


def shown(path: str) -> str:
    """A path fit for a message: control characters and bad UTF-8 escaped, long ones cut."""
    text = path.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."


def _name_reason(path: str) -> str | None:
    """Why `path` is not a canonical "media/<name>", phrased to follow the path; or None.

    Stricter than the file system needs: a name that some other layer (a proxy, a browser,
    Windows) could read as a traversal is refused too.
    """
    parts = path.split("/")
    if "\\" in path or path.startswith("/") or parts[0] != "media" or len(parts) < 2:
        return 'must be a relative path inside media/ using "/"'
    if any(part in ("", ".", "..") for part in parts[1:]):
        return 'must stay inside media/ (no "..", "." or empty parts)'
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return "must not contain control characters"
    if any(set(part) == {"."} for part in parts[1:]):
        return 'must not have a part made only of dots (some systems read "..." as "..")'
    if _ENCODED.search(path):
        return ('must not contain a percent-encoded ".", "/", "\\", "%" or control character '
                '(such as "%2e")')
    if ":" in path:
        return 'must not contain ":" (drive letters such as "C:" and file streams)'
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid UTF-8"
    if len(path) > MAX_MEDIA_PATH:
        return f"must be at most {MAX_MEDIA_PATH} characters long"
    return None


def media_path_problem(path: str) -> str | None:
    """Why `path` is not a safe, canonical media path "media/<name>", or None when it is."""
    reason = _name_reason(path)
    return f'media path "{shown(path)}" {reason}' if reason else None


def extension_of(path: str) -> str:
    """The lowercase extension of a path's file name ("" for none)."""
    return path.rpartition(".")[2].lower() if "." in path.rpartition("/")[2] else ""


def is_cloud(path: str) -> bool:
    """Whether a media path names a point cloud file (by its extension, as every type here)."""
    return extension_of(path) in CLOUD_EXTENSIONS


def is_strip(path: str) -> bool:
    """Whether a media path may name a clip's frame strip (courses/clips.py): an image type
    whose size courses.importers.media reads."""
    return extension_of(path) in STRIP_EXTENSIONS


def media_type_problem(path: str) -> str | None:
    """Why a media file's type is refused (SVG can carry scripts), or None when it is allowed."""
    extension = extension_of(path)
    if extension in MEDIA_EXTENSIONS:
        return None
    allowed = ", ".join(sorted(MEDIA_EXTENSIONS))
    if extension == "svg":
        return f"SVG files are not allowed (they can contain scripts); allowed types: {allowed}"
    kind = f".{extension} files" if extension else "files without an extension"
    return f"{kind} are not allowed in media/; allowed types: {allowed}"


def media_file(folder: Path, name: str) -> Path:
    """The regular file that the untrusted relative `name` ("a/b.png") names inside `folder`.

    Raises MediaRefused when the name is not canonical or its type not allowed, when anything
    on the way is a link or not a folder, when the file is not a regular file, resolves outside
    `folder` or is larger than MAX_MEDIA_BYTES; MediaNotFound when it does not exist. The
    folder itself is trusted.
    """
    path = MEDIA_PREFIX + name
    reason = _name_reason(path)
    if reason:
        raise MediaRefused(path, reason)
    current = Path(folder)
    *folders, _ = parts = name.split("/")
    for index, part in enumerate(parts):
        current = current / part
        try:
            mode = current.lstat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            raise MediaNotFound(path, "does not exist") from None
        except OSError as error:
            raise MediaRefused(path, f"cannot be read ({error.strerror})") from None
        if stat.S_ISLNK(mode):
            raise MediaRefused(path, _NOT_REGULAR if index == len(folders) else
                               f'is inside "{MEDIA_PREFIX}{"/".join(parts[:index + 1])}", '
                               "which is a link (links are not allowed)")
        if index < len(folders) and not stat.S_ISDIR(mode):
            raise MediaNotFound(path, "does not exist")
    return _checked_file(Path(folder), current, path)


def _checked_file(folder: Path, file: Path, path: str) -> Path:
    """`file` when it is a regular file inside `folder` within the size limit."""
    info = file.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise MediaRefused(path, _NOT_REGULAR)
    if not file.resolve().is_relative_to(folder.resolve()):
        raise MediaRefused(path, "resolves outside the media folder")
    kind = media_type_problem(path)
    if kind:
        raise MediaRefused(path, kind)
    if info.st_size > MAX_MEDIA_BYTES:
        raise MediaRefused(path, f"file is {info.st_size / 1024 / 1024:.1f} MB; the limit is "
                                 f"{MAX_MEDIA_BYTES // 1024 // 1024} MB")
    return file
