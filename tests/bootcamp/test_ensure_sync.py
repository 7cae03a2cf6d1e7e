"""The app's remembered ensure_sync: the same answers as Flask's, and nothing kept alive."""

from __future__ import annotations

import gc
import weakref

import pytest
from flask import Flask


def test_sync_functions_come_back_as_they_are_and_coroutines_wrapped(app):
    def view() -> str:
        return "ok"

    async def coroutine() -> str:
        return "ok"

    assert app.ensure_sync(view) is view and app.ensure_sync(view) is view
    # A coroutine goes to Flask's async_to_sync, here refused: Flask's async extra is absent.
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(coroutine)
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(coroutine)
    assert app.ensure_sync(len) is len  # a builtin, not weakly referable: Flask's answer


def test_a_closure_per_request_is_not_kept_alive(app):
    def make():
        def closure() -> None:
            return None
        return closure

    closure = make()
    gone = weakref.ref(closure)
    assert app.ensure_sync(closure) is closure
    del closure
    gc.collect()
    assert gone() is None
    assert isinstance(app, Flask)
