"""Finding labelling tools' image references in a media folder, by file name."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from courses.importers.media import MediaFolder, MediaMissing, image_size

FIXTURES = Path(__file__).parent / "fixtures" / "importers"


@pytest.fixture
def folder(tmp_path: Path) -> MediaFolder:
    for name in ("cat.png", "my cat.png", "frames/day/street.png", "frames/night/street.png",
                 "1a2b3c4d-dog.png", "dog.png", ".hidden.png", ".git/cow.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "link.png").symlink_to(tmp_path / "cat.png")
    return MediaFolder(tmp_path)


@pytest.mark.parametrize(("reference", "expected"), [
    ("cat.png", "media/cat.png"),
    ("/data/upload/3/1a2b3c4d-cat.png", "media/cat.png"),
    ("/data/local-files/?d=photos/cat.png", "media/cat.png"),
    ("https://example.com/images/cat.png?token=abc#top", "media/cat.png"),
    ("/data/upload/3/0123abcd-my%20cat.png", "media/my cat.png"),
    ("C:\\labels\\cat.png", "media/cat.png"),
    ("/data/upload/9/1a2b3c4d-dog.png", "media/1a2b3c4d-dog.png"),
    ("/data/upload/9/ffffffff-dog.png", "media/dog.png"),
    ("night/street.png", "media/frames/night/street.png"),
    ("/data/local-files/?d=shoot/day/street.png", "media/frames/day/street.png"),
])
def test_references_are_found_by_file_name(folder: MediaFolder, reference: str, expected: str):
    path, found = folder.find(reference)
    assert path == expected
    assert found == folder.root / expected.removeprefix("media/")


@pytest.mark.parametrize(("reference", "message"), [
    ("street.png", 'image "street.png": several files in the media folder are named '
                   '"street.png" (frames/day/street.png, frames/night/street.png)'),
    ("/data/upload/3/1a2b3c4d-bird.png", 'image "/data/upload/3/1a2b3c4d-bird.png" is not in '
     'the media folder (looked for a file named "1a2b3c4d-bird.png" or "bird.png")'),
    (".hidden.png", 'image ".hidden.png" is not in the media folder '
                    '(looked for a file named ".hidden.png")'),
    ("cow.png", 'image "cow.png" is not in the media folder (looked for a file named "cow.png")'),
    ("link.png", 'image "link.png" is not in the media folder '
                 '(looked for a file named "link.png")'),
])
def test_missing_ambiguous_hidden_and_linked_files_are_refused(folder: MediaFolder,
                                                               reference: str, message: str):
    with pytest.raises(MediaMissing) as caught:
        folder.find(reference)
    assert str(caught.value) == message


def test_image_sizes_are_read_from_png_gif_and_jpeg_headers(tmp_path: Path):
    gif = tmp_path / "a.gif"
    gif.write_bytes(b"GIF89a" + struct.pack("<HH", 321, 123) + b"\x00" * 10)
    jpeg = tmp_path / "a.jpg"
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 240, 320, 1) + b"\x00" * 3
    jpeg.write_bytes(b"\xff\xd8" + app0 + sof + b"\xff\xd9")
    other = tmp_path / "a.webp"
    other.write_bytes(b"RIFF....WEBP")
    assert image_size(FIXTURES / "media" / "street-017.png") == (640, 480)
    assert image_size(gif) == (321, 123)
    assert image_size(jpeg) == (320, 240)
    assert image_size(other) is None
    assert image_size(tmp_path / "nothing.png") is None
