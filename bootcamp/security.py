"""Security headers sent with every response."""

from __future__ import annotations

from flask import Flask, Response, current_app

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


# (lower-case name, name, value): what the hook compares against, once, not per response.
_LOWERED = tuple((name.lower(), name, value) for name, value in HEADERS.items())


def add_security_headers(response: Response) -> Response:
    """Set the headers once, here, for every response the app sends; a header the view set
    itself stays. One pass over the response's headers: every API answer pays this hook."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    headers.extend([(name, value) for lowered, name, value in _LOWERED
                    if lowered not in present])
    if current_app.config.get("HSTS_ENABLED") and "strict-transport-security" not in present:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if "cache-control" not in present and response.mimetype == "text/html":
        # Pages show personal data: never let a shared cache keep them.
        headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask) -> None:
    """Register the header hook."""
    app.after_request(add_security_headers)
