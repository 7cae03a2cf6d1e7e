"""Media names that try to leave the media folder, through every importer and every route.

Issue 9, point 1: a JSONL item whose media was "media/../../../..<absolute path>", uploaded on
the Gold items page with any media zip, stored any file the server could read (the instance
secret_key, the database) and /courses/<slug>/media/%2e%2e/... served it. Every name of the
corpus below must be refused with a clear error, store nothing, and no response or command output
may ever contain a secret's bytes. The exam attempt route has its own test in tests/exams.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from bootcamp.extensions import db
from courses.media_paths import (
    MAX_MEDIA_BYTES,
    MediaNotFound,
    MediaRefused,
    media_file,
    media_path_problem,
)
from courses.models import Item, MediaFile
from tests.courses.test_items_cli import MANUAL
from tests.factories import make_course, post_form, signed_in

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
UP = "../" * 16  # more ".." than any temporary folder is deep
PASSWD = b"root:x:0:"


@pytest.fixture
def instance_secret(app: Flask) -> Path:
    """The instance secret_key (written by the app factory when SECRET_KEY is not set)."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path


def traversals(target: Path) -> dict[str, str]:
    """Relative media names (without "media/") that try to reach `target`."""
    absolute = str(target)
    return {
        "dot-dot": f"{UP[:-1]}{absolute}",
        "dot-dot-etc-passwd": f"{UP}etc/passwd",
        "percent-encoded": "%2e%2e/" * 16 + absolute.lstrip("/"),
        "double-encoded": "%252e%252e/" * 16 + absolute.lstrip("/"),
        "dots-doubled": "....//" * 16 + absolute.lstrip("/"),
        "dots-only": ".../" * 16 + absolute.lstrip("/"),
        "absolute": absolute,
        "absolute-etc-passwd": "/etc/passwd",
        "windows-drive": "C:\\Windows\\win.ini",
        "windows-drive-slash": "C:/Windows/win.ini",
        "windows-dot-dot": "..\\" * 16 + absolute.lstrip("/").replace("/", "\\"),
        "nul": f"cat.png\x00/{UP}{absolute.lstrip('/')}",
        "nul-suffix": f"{UP}{absolute.lstrip('/')}\x00.png",
        "dot": "./cat.png",
    }


def item_names(target: Path) -> dict[str, str]:
    """Item media values: each traversal with the media/ prefix, and some without."""
    names = {label: f"media/{name}" for label, name in traversals(target).items()}
    names.update({"bare-absolute": str(target), "bare-etc-passwd": "/etc/passwd",
                  "bare-windows": "C:\\Windows\\win.ini", "media-backslash": "media\\cat.png"})
    return names


def leaks(text: str | bytes, *secrets_: Path) -> list[str]:
    """Which secrets (files, and /etc/passwd) a response body or command output contains."""
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    found = [str(path) for path in secrets_ if path.read_bytes().strip() in data]
    return found + ["/etc/passwd"] * (PASSWD in data)


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (Item, MediaFile))


def native_line(media: str, key: str = "x") -> str:
    return json.dumps({"id": key, "kind": "choice", "prompt": "Is it clothing?", "media": media,
                       "spec": {"options": ["yes", "no"]}, "gold": "yes",
                       "pools": ["practice"]}) + "\n"


def zip_of(files: dict[str, bytes], links: dict[str, str] | None = None) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)  # a symbolic link
            archive.writestr(info, target)
    buffer.seek(0)
    return buffer


@pytest.fixture
def media_dir(tmp_path: Path, secret: Path) -> Path:
    """A media folder with a picture, a link to the secret and a link to its folder."""
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "cat.png").write_bytes(PNG)
    (folder / "link.png").symlink_to(secret)
    (folder / "secret_key").symlink_to(secret)
    (folder / "linked").symlink_to(secret.parent, target_is_directory=True)
    return folder


LINKED = {"symlinked-file": "link.png", "symlinked-file-named-like-secret": "secret_key",
          "symlinked-folder": "linked/secret_key"}


@pytest.fixture
def course(app: Flask, instructor) -> int:
    return make_course(app, instructor, "tagging", versions=(MANUAL,))


def upload(client, fmt: str, name: str, content: bytes, media: io.BytesIO | None = None,
           **extra):
    data = {"format": fmt, "annotation": "ground-truth", "pool": "practice",
            "items": (io.BytesIO(content), name), **extra}
    if media is not None:
        data["media"] = (media, "media.zip")
    return post_form(client, "/courses/tagging/items", data, page="/courses/tagging/items",
                     content_type="multipart/form-data")


def assert_refused_on_page(app: Flask, response, *secrets_: Path) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert 'role="alert"' in page and "Nothing was imported" in page, page
    assert counts(app) == (0, 0)
    assert not leaks(response.get_data(), *secrets_)
    return page


def assert_refused_by_cli(app: Flask, result, *secrets_: Path) -> str:
    assert result.exit_code != 0, result.output
    assert "nothing was imported" in result.output, result.output
    assert counts(app) == (0, 0)
    assert not leaks(result.output, *secrets_)
    return result.output


# The pure rules.


@pytest.mark.parametrize("label", sorted(item_names(Path("/srv/instance/secret_key"))))
def test_no_traversal_is_a_canonical_media_path(label: str) -> None:
    assert media_path_problem(item_names(Path("/srv/instance/secret_key"))[label])


@pytest.mark.parametrize("name", ["cat.png", "frames/street-018.png", "a b/c%20d.png",
                                  "..cat.png", "cat..png", "ünï.png"])
def test_ordinary_names_are_canonical(name: str) -> None:
    assert media_path_problem(f"media/{name}") is None


@pytest.mark.parametrize("label", sorted(traversals(Path("/srv/instance/secret_key"))))
def test_media_file_refuses_every_traversal(media_dir: Path, secret: Path, label: str) -> None:
    name = traversals(secret)[label]
    with pytest.raises(MediaRefused) as refused:
        media_file(media_dir, name)
    assert not isinstance(refused.value, MediaNotFound)
    assert secret.read_text() not in str(refused.value)


@pytest.mark.parametrize("name", sorted(LINKED.values()))
def test_media_file_refuses_links_anywhere_on_the_way(media_dir: Path, name: str) -> None:
    with pytest.raises(MediaRefused, match="links") as refused:
        media_file(media_dir, name)
    assert not isinstance(refused.value, MediaNotFound)


def test_media_file_finds_regular_files_within_the_limit(media_dir: Path) -> None:
    assert media_file(media_dir, "cat.png") == media_dir / "cat.png"
    (media_dir / "frames").mkdir()
    (media_dir / "frames" / "a.png").write_bytes(PNG)
    assert media_file(media_dir, "frames/a.png") == media_dir / "frames" / "a.png"
    with pytest.raises(MediaNotFound):
        media_file(media_dir, "frames/missing.png")
    with pytest.raises(MediaNotFound):
        media_file(media_dir, "cat.png/inside.png")
    with pytest.raises(MediaRefused, match="regular file"):
        media_file(media_dir, "frames")
    (media_dir / "notes").write_text("no extension")
    with pytest.raises(MediaRefused, match="files without an extension are not allowed"):
        media_file(media_dir, "notes")
    with (media_dir / "huge.png").open("wb") as huge:
        huge.truncate(MAX_MEDIA_BYTES + 1)
    with pytest.raises(MediaRefused, match=r'"media/huge.png": file is 20.0 MB; the limit is 20'):
        media_file(media_dir, "huge.png")


# Native JSONL on the Gold items page: the reported exploit.


def test_the_reported_exploit_is_refused(app, course, instructor, instance_secret):
    """media/../../../..<the instance secret_key>, with a media zip, then the media route."""
    client = signed_in(app, instructor)
    name = f"{UP[:-1]}{instance_secret}"
    response = upload(client, "jsonl", "items.jsonl", native_line(f"media/{name}").encode(),
                      zip_of({"cat.png": PNG}))
    page = assert_refused_on_page(app, response, instance_secret)
    assert "items.jsonl:1: media: media path" in page and "must stay inside media/" in page
    url = "/courses/tagging/media/" + "/".join(
        "%2e%2e" if part == ".." else part for part in name.split("/"))
    served = client.get(url)
    assert served.status_code == 404 and not leaks(served.get_data(), instance_secret)


@pytest.mark.parametrize("label", sorted(item_names(Path("/x"))))
def test_jsonl_on_the_page_refuses_every_traversal(app, course, instructor, secret,
                                                   instance_secret, label):
    media = item_names(secret)[label]
    response = upload(signed_in(app, instructor), "jsonl", "items.jsonl",
                      native_line(media).encode(), zip_of({"cat.png": PNG}))
    page = assert_refused_on_page(app, response, secret, instance_secret)
    assert "items.jsonl:1:" in page


@pytest.mark.parametrize("links", [{"link.png": "/etc/passwd"}, {"linked": "/etc"}])
def test_a_media_zip_with_links_is_refused(app, course, instructor, links):
    media = "media/link.png" if "link.png" in links else "media/linked/passwd"
    response = upload(signed_in(app, instructor), "jsonl", "items.jsonl",
                      native_line(media).encode(), zip_of({"cat.png": PNG}, links))
    page = assert_refused_on_page(app, response)
    assert "symbolic links are not allowed" in page


# Native JSONL through `bootcamp items import`.


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["items", "import", "tagging", *args])


@pytest.mark.parametrize("label", sorted(item_names(Path("/x")) | LINKED))
def test_jsonl_through_the_cli_refuses_every_traversal(app, course, tmp_path, media_dir,
                                                       secret, instance_secret, label):
    media = f"media/{LINKED[label]}" if label in LINKED else item_names(secret)[label]
    source = tmp_path / "items.jsonl"
    source.write_text(native_line(media))
    output = assert_refused_by_cli(app, run(app, str(source), "--media", str(media_dir)),
                                   secret, instance_secret)
    assert "items.jsonl:1:" in output


def test_jsonl_through_the_cli_finds_media_beside_the_file_by_default(app, course, tmp_path,
                                                                      media_dir, secret):
    source = tmp_path / "items.jsonl"
    source.write_text(native_line("media/cat.png") + native_line("media/link.png", "y"))
    output = assert_refused_by_cli(app, run(app, str(source)), secret)
    assert 'items.jsonl:2: item "y": media "media/link.png": must be a regular file' in output
    source.write_text(native_line("media/cat.png"))
    assert run(app, str(source)).exit_code == 0
    assert counts(app) == (1, 1)


# COCO, Label Studio and CSV find files by name: traversals name no file of the folder.


def coco(reference: str) -> str:
    return json.dumps({
        "images": [{"id": 1, "file_name": reference, "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}],
    })


def label_studio(reference: str) -> str:
    task = json.loads((FIXTURES / "labelstudio_boxes.json").read_text())[0]
    task["data"]["image"] = reference
    return json.dumps([task])


def csv_items(reference: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "kind", "prompt", "media", "options", "gold", "sections", "pools"])
    writer.writerow(["x", "choice", "Is it clothing?", reference, "yes|no", "yes",
                     "what-counts", "practice"])
    return out.getvalue()


FORMATS = {"coco": ("coco.json", coco), "labelstudio": ("tasks.json", label_studio),
           "csv": ("items.csv", csv_items)}


def references(target: Path) -> dict[str, str]:
    """Image references as the tools write them, each trying to reach `target`."""
    found = dict(traversals(target))
    del found["dot"]  # found by file name: "./cat.png" is media/cat.png, as it should be
    found.update(LINKED)
    found.update({
        "local-files": f"/data/local-files/?d={UP}{str(target).lstrip('/')}",
        "local-files-encoded": "/data/local-files/?d=" + "%2e%2e%2f" * 16 + str(target),
        "upload": f"/data/upload/3/{UP}{str(target).lstrip('/')}",
        "url": f"http://example.com/{UP}{str(target).lstrip('/')}",
    })
    return found


def write_source(tmp_path: Path, fmt: str, reference: str) -> list[str]:
    name, make = FORMATS[fmt]
    source = tmp_path / name
    source.write_text(make(reference))
    extra = ["--config", str(FIXTURES / "labelstudio_boxes.xml")] if fmt == "labelstudio" else []
    return [str(source), "--format", fmt, *extra]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("label", sorted(references(Path("/x"))))
def test_converters_through_the_cli_refuse_every_traversal(app, course, tmp_path, media_dir,
                                                           secret, instance_secret, fmt, label):
    args = write_source(tmp_path, fmt, references(secret)[label])
    assert_refused_by_cli(app, run(app, *args, "--media", str(media_dir)),
                          secret, instance_secret)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("label", ["dot-dot", "absolute", "windows-dot-dot", "nul", "upload"])
def test_converters_on_the_page_refuse_every_traversal(app, course, instructor, secret, fmt,
                                                       label):
    name, make = FORMATS[fmt]
    extra = {}
    if fmt == "labelstudio":
        config = (FIXTURES / "labelstudio_boxes.xml").read_bytes()
        extra["config"] = (io.BytesIO(config), "config.xml")
    response = upload(signed_in(app, instructor), fmt, name,
                      make(references(secret)[label]).encode(), zip_of({"cat.png": PNG}),
                      **extra)
    assert name in assert_refused_on_page(app, response, secret)


# The media size limit applies to every import, not only to bundles.


def source_naming(tmp_path: Path, fmt: str, name: str) -> list[str]:
    """CLI arguments for an items file of `fmt` whose one item uses media/<name>."""
    if fmt != "jsonl":
        return write_source(tmp_path, fmt, name)
    source = tmp_path / "items.jsonl"
    source.write_text(native_line(f"media/{name}"))
    return [str(source)]


@pytest.mark.parametrize("fmt", ["jsonl", *sorted(FORMATS)])
def test_item_imports_refuse_media_over_the_limit(app, course, tmp_path, media_dir, fmt):
    with (media_dir / "huge.png").open("wb") as huge:
        huge.truncate(MAX_MEDIA_BYTES + 1)
    args = source_naming(tmp_path, fmt, "huge.png")
    output = assert_refused_by_cli(app, run(app, *args, "--media", str(media_dir)))
    assert '"media/huge.png": file is 20.0 MB; the limit is 20 MB' in output


@pytest.mark.parametrize("fmt", ["jsonl", *sorted(FORMATS)])
def test_item_imports_refuse_media_types_bundles_refuse(app, course, tmp_path, media_dir, fmt):
    (media_dir / "drawing.svg").write_text('<svg onload="alert(1)"/>')
    args = source_naming(tmp_path, fmt, "drawing.svg")
    output = assert_refused_by_cli(app, run(app, *args, "--media", str(media_dir)))
    assert "SVG files are not allowed (they can contain scripts)" in output


def test_the_page_refuses_media_over_the_limit(app, course, instructor):
    response = upload(signed_in(app, instructor), "jsonl", "items.jsonl",
                      native_line("media/huge.png").encode(),
                      zip_of({"huge.png": b"\x00" * (MAX_MEDIA_BYTES + 1)}))
    page = assert_refused_on_page(app, response)
    assert "&#34;media/huge.png&#34;: file is 20.0 MB; the limit is 20 MB" in page


# Course bundles, as a folder and as a zip uploaded in the browser.


def bundle_folder(root: Path, media: str) -> Path:
    (root / "manual").mkdir(parents=True)
    (root / "media").mkdir()
    (root / "course.yaml").write_text("slug: traversal\ntitle: Traversal\n")
    (root / "manual" / "001.md").write_text(
        "---\nversion: 1\npublished_at: 2026-01-01T00:00:00Z\n---\n"
        "# What counts {#what-counts}\n\nReal clothing.\n")
    (root / "media" / "cat.png").write_bytes(PNG)
    (root / "items.jsonl").write_text(native_line(media))
    return root


@pytest.mark.parametrize("label", sorted(item_names(Path("/x")) | LINKED))
def test_a_bundle_folder_refuses_every_traversal(app, tmp_path, secret, label):
    media = f"media/{LINKED[label]}" if label in LINKED else item_names(secret)[label]
    root = bundle_folder(tmp_path / "bundle", media)
    (root / "media" / "link.png").symlink_to(secret)
    (root / "media" / "linked").symlink_to(secret.parent, target_is_directory=True)
    result = app.test_cli_runner().invoke(args=["courses", "import", str(root)])
    assert result.exit_code != 0 and "nothing was imported" in result.output, result.output
    assert "items.jsonl:1:" in result.output
    assert "media/link.png:1: must be a regular file" in result.output
    assert counts(app) == (0, 0) and not leaks(result.output, secret)


def bundle_zip(media: str, links: dict[str, str] | None = None) -> io.BytesIO:
    return zip_of({"course.yaml": b"slug: traversal\ntitle: Traversal\n",
                   "manual/001.md": b"---\nversion: 1\npublished_at: 2026-01-01T00:00:00Z\n"
                                    b"---\n# What counts {#what-counts}\n\nReal clothing.\n",
                   "media/cat.png": PNG, "items.jsonl": native_line(media).encode()}, links)


@pytest.mark.parametrize("label", sorted(item_names(Path("/x"))))
def test_a_bundle_zip_refuses_every_traversal(app, instructor, secret, label):
    client = signed_in(app, instructor)
    response = post_form(client, "/courses/import",
                         {"bundle": (bundle_zip(item_names(secret)[label]), "bundle.zip")},
                         page="/courses/import", content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "items.jsonl:1:" in page, page
    assert counts(app) == (0, 0) and not leaks(response.get_data(), secret)


@pytest.mark.parametrize("links", [{"media/link.png": "/etc/passwd"}, {"media/linked": "/etc"}])
def test_a_bundle_zip_with_links_is_refused(app, instructor, links):
    client = signed_in(app, instructor)
    response = post_form(client, "/courses/import",
                         {"bundle": (bundle_zip("media/cat.png", links), "bundle.zip")},
                         page="/courses/import", content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "symbolic links are not allowed" in page, page
    assert counts(app) == (0, 0) and not leaks(response.get_data())


# The course media route: a name that is not canonical is refused before any lookup.

ROUTE_UP = 8  # the route never touches files: the stored row must only match the name
URL_NAMES = {
    "percent-encoded": "%2e%2e/" * ROUTE_UP + "{target}",
    "encoded-slashes": "..%2f" * ROUTE_UP + "{target}",
    "double-encoded": "%252e%252e/" * ROUTE_UP + "{target}",
    "dots-doubled": "....//" * ROUTE_UP + "{target}",
    "absolute": "/{target}",
    "windows-drive": "C:%5cWindows%5cwin.ini",
    "windows-dot-dot": "..%5c" * ROUTE_UP + "{target}",
    "nul": "cat.png%00/" + "%2e%2e/" * ROUTE_UP + "{target}",
    "dot": "%2e/cat.png",
}


def storable(path: str) -> bool:
    """Whether an attack could have stored this path (PostgreSQL holds no NUL; 255 chars)."""
    return len(path) <= 255 and not ("\x00" in path and db.engine.dialect.name == "postgresql")


@pytest.fixture
def attacked_course(app: Flask, course: int, secret: Path, instance_secret: Path) -> Path:
    """A course whose database was attacked before the fix: rows at traversal paths."""
    with app.app_context():
        db.session.add(MediaFile(course_id=course, path="media/cat.png", content=PNG,
                                 sha256="0" * 64))
        for target in (secret, instance_secret):
            for template in URL_NAMES.values():
                name = template.format(target=str(target).lstrip("/"))
                for decoded in {name.replace("%2e", ".").replace("%2f", "/")
                                .replace("%5c", "\\").replace("%00", "\x00"), name}:
                    path = f"media/{decoded}"
                    if not storable(path) or db.session.scalar(
                            select(MediaFile).where(MediaFile.path == path)):
                        continue
                    db.session.add(MediaFile(course_id=course, path=path,
                                             content=target.read_bytes(), sha256="1" * 64))
        db.session.commit()
    return secret


@pytest.mark.parametrize("label", sorted(URL_NAMES))
@pytest.mark.parametrize("which", ["outside", "instance"])
def test_the_media_route_refuses_every_traversal(app, instructor, attacked_course,
                                                 instance_secret, label, which):
    target = attacked_course if which == "outside" else instance_secret
    client = signed_in(app, instructor)
    url = "/courses/tagging/media/" + URL_NAMES[label].format(target=str(target).lstrip("/"))
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 404, response.get_data()[:200]
    assert not leaks(response.get_data(), attacked_course, instance_secret)
    assert client.get("/courses/tagging/media/cat.png").status_code == 200


def test_the_media_route_refuses_a_stored_traversal(app, instructor, course, secret):
    """A row stored by an attack before the fix stays unreachable by its own name."""
    with app.app_context():
        db.session.add(MediaFile(course_id=course, path=f"media/{UP[:-1]}{secret}",
                                 content=secret.read_bytes(), sha256="1" * 64))
        db.session.commit()
    client = signed_in(app, instructor)
    for dots in ("..", "%2e%2e", ".%2e"):
        url = "/courses/tagging/media/" + f"{dots}/" * 16 + str(secret).lstrip("/")
        response = client.get(url)
        assert response.status_code == 404 and not leaks(response.get_data(), secret)
