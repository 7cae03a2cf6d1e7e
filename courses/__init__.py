"""Courses, versioned manuals, practice modules, the gold item bank, cohorts, bundles."""
