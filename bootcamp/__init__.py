"""Bootcamp: training and qualification for data-annotation workforces.

This package holds the app factory, configuration, extensions, accounts and auth, the event
log, the platform API, the CLI and the static assets.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property
from inspect import iscoroutinefunction
from pathlib import Path
from weakref import WeakKeyDictionary

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from bootcamp import config as settings
from bootcamp import mail
from bootcamp.extensions import compress, csrf, db, limiter, login_manager, migrate


class BootcampFlask(Flask):
    """Flask, remembering which hooks and views are coroutines. Flask asks
    inspect.iscoroutinefunction of every hook and the view on each request (a dozen times:
    ~0.02 ms of every API lookup); a function's answer never changes. Kept weakly: a
    class-based view or copy_current_request_context hands it a new bound method or closure
    on every request, which must not outlive it."""

    def ensure_sync(self, func: Callable) -> Callable:
        try:
            sync = self._sync_functions[func]
        except KeyError:  # a bool, not func itself: a value must not keep its key alive
            sync = self._sync_functions[func] = not iscoroutinefunction(func)
        except TypeError:  # not weakly referable (a builtin): asked each time
            return super().ensure_sync(func)
        return func if sync else super().ensure_sync(func)

    @cached_property
    def _sync_functions(self) -> WeakKeyDictionary[Callable, bool]:
        return WeakKeyDictionary()


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides what the environment provides."""
    app = BootcampFlask(
        __name__,
        instance_path=_instance_path(),
        template_folder=str(settings.resource_dir("templates")),
    )
    configure_app(app, config)
    configure_extensions(app)
    configure_blueprints(app)
    configure_hooks(app)
    return app


def _instance_path() -> str | None:
    path = os.environ.get("BOOTCAMP_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else None


def configure_app(app: Flask, config: dict | None) -> None:
    """Environment first, then explicit overrides (tests pass a dict)."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.load_config(app.instance_path))
    app.config.update(config or {})
    mail.check_base_url(app.config)
    hops = app.config["PROXY_HOPS"]
    if hops:
        # Trust that many proxies' X-Forwarded-* headers, so rate limits see real addresses.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def configure_extensions(app: Flask) -> None:
    """Bind every extension to this app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(settings.resource_dir("migrations")))
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    mail.init_app(app)


@login_manager.user_loader
def load_user(token: str):
    """The cookie carries the token of a server-side session: ending the session ends it."""
    from bootcamp.auth.sessions import load_user as load_session_user

    return load_session_user(token)


def configure_blueprints(app: Flask) -> None:
    """Mount each feature's blueprint."""
    from bootcamp import admin, auth, home
    from bootcamp.api import init_api
    from courses.views import bp as courses_bp
    from exams.views import bp as exams_bp

    app.register_blueprint(home.bp)
    app.register_blueprint(courses_bp, url_prefix="/courses")
    app.register_blueprint(exams_bp)
    app.register_blueprint(auth.bp, url_prefix="/auth")
    app.register_blueprint(admin.bp, url_prefix="/admin")
    init_api(app)


def configure_hooks(app: Flask) -> None:
    """Headers, error pages, template helpers and CLI commands."""
    from bootcamp.cli import register_commands
    from bootcamp.errors import init_errors
    from bootcamp.page_reads import init_page_reads
    from bootcamp.security import init_security
    from bootcamp.static_files import init_static
    from bootcamp.templating import init_templating

    init_security(app)
    init_page_reads(app)
    init_static(app)
    init_errors(app)
    init_templating(app)
    register_commands(app)
