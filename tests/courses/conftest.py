"""Fixtures for the courses integration tests (services, pages, bundles); the builders they
and other packages' tests share are in tests/factories.py. Nothing here is autouse.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bootcamp.users.models import Role, User


@pytest.fixture
def instructor(make_user) -> User:
    return make_user(Role.INSTRUCTOR)


@pytest.fixture
def trainee(make_user) -> User:
    return make_user(Role.TRAINEE)


@pytest.fixture
def example_bundle(repo_root: Path) -> Path:
    return repo_root / "examples" / "clothing-tagging"


@pytest.fixture
def bundle_copy(example_bundle: Path, tmp_path: Path) -> Path:
    """A private copy of the example bundle, free to edit."""
    target = tmp_path / "clothing-tagging"
    shutil.copytree(example_bundle, target)
    return target
