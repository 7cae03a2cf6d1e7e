"""Static files through WhiteNoise: content-hashed names cached for a year, compressed copies.

At start-up the files under bootcamp/static are copied once (per process and content) into
the instance folder, each also under a name carrying a digest of its content
(css/bootcamp.3f2a1b9c0d.css), with gzip and Brotli copies beside them; WhiteNoise serves
that folder at /static/ ahead of Flask. url_for("static", filename=...) gives the hashed name,
so every template refers to it unchanged and a browser keeps a file until its content changes.
Relative references inside the files (a module's `from "./common.js"`, the stylesheet's
`url("../favicon.svg")`) are rewritten to the hashed names too, so that a cached file never
loads a stale neighbour. The plain names stay served, for a minute of caching.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, BinaryIO

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from bootcamp.security import HEADERS

# "./common.js" in a JS import or export, "../favicon.svg" in a CSS url(): local, relative.
REFERENCE = {".js": re.compile(r'''(\bfrom\s*["'])(\.{1,2}/[^"']+)(["'])'''),
             ".css": re.compile(r'''(\burl\(\s*["']?)(\.{0,2}/?[\w./-]+\.\w+)(["']?\s*\))''')}
HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")

_builds: dict[str, tuple[Path, dict[str, str]]] = {}
_lock = threading.Lock()


def _sources(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def hashed_names(sources: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """name -> (hashed name, content with its references to other files hashed too)."""
    done: dict[str, tuple[str, bytes]] = {}

    def build(name: str, seen: frozenset[str]) -> tuple[str, bytes]:
        if name in done:
            return done[name]
        content = sources[name]
        pattern = REFERENCE.get(posixpath.splitext(name)[1])
        if pattern is not None:
            def swap(match: re.Match[str]) -> str:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name),
                                                           match.group(2)))
                if target not in sources or target in seen:
                    return match.group(0)
                new = build(target, seen | {name})[0]
                relative = posixpath.relpath(new, posixpath.dirname(name) or ".")
                prefix = "./" if match.group(2).startswith("./") else ""
                return match.group(1) + prefix + relative + match.group(3)

            content = pattern.sub(swap, content.decode()).encode()
        stem, ext = posixpath.splitext(name)
        done[name] = (f"{stem}.{hashlib.sha256(content).hexdigest()[:12]}{ext}", content)
        return done[name]

    for name in sources:
        build(name, frozenset())
    return done


def _build(folder: Path, into: Path) -> tuple[Path, dict[str, str]]:
    """The served folder for these sources (made once) and the name -> hashed name map."""
    sources = _sources(folder)
    hashed = hashed_names(sources)
    digest = hashlib.sha256(b"".join(h.encode() for h, _ in hashed.values())).hexdigest()[:16]
    with _lock:
        if digest in _builds:
            return _builds[digest]
        target = into / digest
        if not target.is_dir():
            into.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(dir=into, prefix=".build-"))
            for name, content in sources.items():
                _write(work / name, content)
                _write(work / hashed[name][0], hashed[name][1])
            compressor = Compressor(quiet=True)
            for path in [p for p in work.rglob("*") if p.is_file()]:
                for _ in compressor.compress(str(path)):
                    pass
            try:
                os.rename(work, target)
            except OSError:  # another process built it first
                shutil.rmtree(work, ignore_errors=True)
        _builds[digest] = (target, {name: h for name, (h, _) in hashed.items()})
        return _builds[digest]


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def _read_whole(file: BinaryIO) -> list[bytes]:
    """The file's bytes, the file already closed."""
    with file:
        return [file.read()]


class _StaticFiles(WhiteNoise):
    """WhiteNoise that leaves no file open for a server without wsgi.file_wrapper.

    Werkzeug's server (the demo's) skips the response's close() when the client hangs up
    mid-request, which would leave the file open until garbage collection. Without a server's
    own wrapper, a file is read whole and closed at once: the files here are small. Gunicorn's
    wrapper (sendfile) is used as it is.
    """

    @staticmethod
    def serve(static_file: Any, environ: dict[str, Any], start_response: Any) -> Any:
        if "wsgi.file_wrapper" not in environ:
            environ = {**environ, "wsgi.file_wrapper": _read_whole}
        return WhiteNoise.serve(static_file, environ, start_response)


def init_static(app: Flask) -> None:
    """Serve /static/ with WhiteNoise and make url_for("static") give the hashed names."""
    folder, names = _build(Path(app.static_folder), Path(app.instance_path) / "static")
    headers = dict(HEADERS)  # WhiteNoise answers before Flask: the same security headers
    if app.config.get("HSTS_ENABLED"):
        headers["Strict-Transport-Security"] = "max-age=31536000"

    def add_headers(served: Any, path: str, url: str) -> None:
        for name, value in headers.items():
            served[name] = value

    app.wsgi_app = _StaticFiles(  # type: ignore[method-assign]
        app.wsgi_app, root=str(folder), prefix=app.static_url_path, max_age=60,
        immutable_file_test=lambda path, url: bool(HASHED.search(url)),
        add_headers_function=add_headers)

    @app.url_defaults
    def hashed_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and values.get("filename") in names:
            values["filename"] = names[values["filename"]]
