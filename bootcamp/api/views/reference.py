"""API: the reference page, rendered on this server from the generated OpenAPI document."""

from __future__ import annotations

from flask import render_template

from bootcamp.api import bp
from bootcamp.api.reference import models, operations
from bootcamp.api.spec import spec


@bp.get("/docs")
def reference():
    """Every operation with its scope, parameters and answers, and every model: readable
    without a token (it describes the API, it gives access to nothing), with no script and
    nothing fetched from elsewhere."""
    document = spec.spec
    return render_template("api/reference.html", info=document["info"],
                           operations=operations(document), models=models(document))
