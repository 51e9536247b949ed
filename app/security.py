"""Security headers on every response, the per-request CSP nonce, and the trusted-proxy setting.

The Content-Security-Policy allows scripts only from this site (plus inline scripts carrying the
request's nonce, which Flask-Admin's templates print as `admin_csp_nonce_attribute`), so an
injected `<script>` or `onclick=` never runs. Inline *style attributes* stay allowed
(`style-src-attr 'unsafe-inline'`): our templates and the progress bars set widths with them, and
they cannot run code; `<style>` elements and foreign stylesheets are refused.
"""

import secrets

from flask import g
from werkzeug.middleware.proxy_fix import ProxyFix

CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self' 'nonce-{nonce}'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    # Bootstrap draws its check marks and arrows with data: SVG images.
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csp_nonce() -> str:
    """Return this request's CSP nonce, made on first use (Flask-Admin's `csp_nonce_generator`)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def content_security_policy(nonce: str) -> str:
    """Return the Content-Security-Policy header value for a response whose inline scripts carry `nonce`."""
    return "; ".join(CSP_DIRECTIVES).format(nonce=nonce)


def add_security_headers(response):
    """Set the security headers on a response (pages, errors, redirects, static files alike)."""
    response.headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def trust_proxies(app, count: int) -> None:
    """Take the client's address and scheme from the last `count` proxies' X-Forwarded-For/-Proto headers."""
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def init_app(app) -> None:
    """Wire the trusted proxies (TRUSTED_PROXIES) and the security headers into the application."""
    trust_proxies(app, int(app.config.get("TRUSTED_PROXIES") or 0))
    app.after_request(add_security_headers)
