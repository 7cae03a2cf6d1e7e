"""Configuration from the environment."""

from __future__ import annotations

from bootcamp import create_app
from bootcamp.config import database_url, normalise_database_url, secret_key


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_key(str(tmp_path))
    assert len(first) == 64
    assert secret_key(str(tmp_path)) == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert secret_key(str(tmp_path)) == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_database_url_defaults_to_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url(str(tmp_path)) == f"sqlite:///{tmp_path}/bootcamp.sqlite3"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert database_url(str(tmp_path)) == "postgresql+psycopg://u@h/db"


def test_postgres_urls_use_psycopg_3():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_create_app_reads_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOTCAMP_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    app = create_app()
    assert app.instance_path == str(tmp_path / "inst")
    assert app.config["SECRET_KEY"] == (tmp_path / "inst" / "secret_key").read_text()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("inst/bootcamp.sqlite3")
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert create_app({"TESTING": True}).config["TESTING"] is True
