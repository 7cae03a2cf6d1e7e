"""Security headers sent with every response."""

from __future__ import annotations

from flask import Flask, Response, current_app
from werkzeug.datastructures import Headers

# No inline scripts or styles anywhere: every script and stylesheet is a local file.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# (lower-case name, (name, value)): what the hook compares against and adds, made once, not
# per response; the values checked once, here, by Werkzeug (no newline in any).
_LOWERED = tuple((pair[0].lower(), pair) for pair in Headers(HEADERS).to_wsgi_list())


def add_security_headers(response: Response) -> Response:
    """Set the headers once, here, for every response the app sends; a header the view set
    itself stays. One pass over the response's headers, and the constant pairs appended to
    Werkzeug's list as they are (Headers.extend would check each value again, ~45 Python
    calls): every API answer pays this hook."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    headers._list.extend([pair for lowered, pair in _LOWERED if lowered not in present])
    if current_app.config.get("HSTS_ENABLED") and "strict-transport-security" not in present:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if "cache-control" not in present and response.mimetype == "text/html":
        # Pages show personal data: never let a shared cache keep them.
        headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask) -> None:
    """Register the header hook."""
    app.after_request(add_security_headers)
