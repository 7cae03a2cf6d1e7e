"""A non-editable install serves pages: the wheel carries templates, static files and migrations.

The editable install the other tests use finds `templates/` and `migrations/` beside the package
in the checkout, so it cannot catch a wheel that forgets them. This test builds the wheel, installs
it into a throwaway directory and serves pages from there, far from the checkout. It needs no
network: the build runs without isolation, with the hatchling already installed in this venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs a wheel, then serves from it

REPO_ROOT = Path(__file__).resolve().parent.parent

REQUIRED_FILES = [
    "bootcamp/__init__.py",
    "bootcamp/templates/base.html",
    "bootcamp/static/css/bootcamp.css",
    "bootcamp/migrations/env.py",
    "courses/__init__.py",
    "exams/__init__.py",
    "graders/__init__.py",
]

# Runs in a fresh interpreter whose only copy of Bootcamp is the installed wheel.
SERVE_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    site = Path(sys.argv[1]).resolve()

    import bootcamp

    package = Path(bootcamp.__file__).resolve()
    assert package.is_relative_to(site), f"imported {package}, not the wheel in {site}"

    from flask_migrate import upgrade

    from bootcamp import create_app

    app = create_app()
    assert Path(app.template_folder).resolve().is_relative_to(site), app.template_folder
    with app.app_context():
        upgrade()

    client = app.test_client()
    for path in ("/", "/auth/login", "/static/css/bootcamp.css"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        response.close()
    login = client.get("/auth/login").get_data(as_text=True)
    assert 'type="password"' in login, "the login page has no password field"
    print("served from", package.parent)
    """
)


def _offline_env(**extra: str) -> dict[str, str]:
    """The current environment without anything that could reach a network or a shared DB."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "PYTHONPATH", "SECRET_KEY"}
        and not key.startswith("PIP_")
    }
    env.update(
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{args[:4]} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from the checkout without build isolation."""
    out = tmp_path_factory.mktemp("wheel")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO_ROOT),
        ],
        cwd=out,
        env=_offline_env(),
    )
    wheels = list(out.glob("bootcamp-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contains_templates_static_files_and_migrations(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = [name for name in REQUIRED_FILES if name not in names]
    assert not missing, f"missing from {wheel.name}: {missing}"
    versions = [
        name
        for name in names
        if name.startswith("bootcamp/migrations/versions/") and name.endswith(".py")
    ]
    assert versions, "the wheel carries no migration scripts"
    assert not any("__pycache__" in name for name in names)


def test_wheel_declares_the_bootcamp_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        [entry_points] = [
            n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")
        ]
        text = archive.read(entry_points).decode()
    lines = [line.replace(" ", "") for line in text.splitlines()]
    assert "[console_scripts]" in lines, text
    assert "bootcamp=bootcamp.cli:main" in lines, text


def test_installed_wheel_serves_pages(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = _offline_env()
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-compile",
            "--target",
            str(site),
            str(wheel),
        ],
        cwd=tmp_path,
        env=env,
    )
    assert (site / "bootcamp" / "templates" / "base.html").is_file()

    env.update(PYTHONPATH=str(site), BOOTCAMP_INSTANCE_PATH=str(tmp_path / "instance"))
    result = _run([sys.executable, "-c", SERVE_SCRIPT, str(site)], cwd=tmp_path, env=env)
    assert "served from" in result.stdout
    assert (tmp_path / "instance" / "bootcamp.sqlite3").is_file()
