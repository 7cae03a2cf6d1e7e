"""Exams, attempts, sampling, timing, qualifications and their lifecycle, and disputes."""

# courses.bundles reads course.yaml's `exam:` block through this reader (a signal receiver):
# connected whenever exams is imported, app or not.
from exams import bundle_block  # noqa: F401
