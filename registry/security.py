"""Response headers every page carries: no inline script, no framing, no sniffing.

Behind a reverse proxy (nginx in front of gunicorn) every request would come from the
proxy's address, so the per-address login limit would lock a whole office out at once:
``TRUSTED_PROXIES`` (the number of proxies in front of the app) makes the app read the
client address from ``X-Forwarded-For`` — only as many hops as configured, never more,
so a client cannot forge its address.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def install(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
