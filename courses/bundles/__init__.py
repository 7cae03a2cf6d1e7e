"""Course bundles: the folder format instructors keep in git, read, checked and written."""

from courses.bundles.archive import extract_zip, unpack_zip
from courses.bundles.model import (
    LIMITS,
    Bundle,
    CourseSpec,
    ExamBlock,
    ManualVersionSpec,
    normalise_line,
    normalise_markdown,
)
from courses.bundles.reading import read_bundle
from courses.bundles.writing import bundle_files, write_bundle
from courses.media_paths import MAX_MEDIA_BYTES

__all__ = [
    "LIMITS",
    "MAX_MEDIA_BYTES",
    "Bundle",
    "CourseSpec",
    "ExamBlock",
    "ManualVersionSpec",
    "bundle_files",
    "extract_zip",
    "unpack_zip",
    "normalise_line",
    "normalise_markdown",
    "read_bundle",
    "write_bundle",
]
