"""Domain errors and the HTTP error pages.

Services raise a ``RegistryError`` subclass with a message in Chinese that can be shown
to the user as it is; views turn it into a flash message or a form error.
"""
from __future__ import annotations

from flask import render_template


class RegistryError(Exception):
    """A rule of the registry was broken; ``message`` is user-facing Chinese text."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(RegistryError):
    """Input that can never be accepted as given (bad USCC, negative capital …)."""


class ConflictError(RegistryError):
    """The input clashes with a record that exists (duplicate USCC, stale edit …)."""


class NotFound(RegistryError):
    """The record does not exist or is outside the actor's scope (shown as 404)."""


def register_error_handlers(app) -> None:
    def page(code: int, title: str, text: str):
        return render_template("errors/error.html", code=code, title=title, text=text), code

    from flask_wtf.csrf import CSRFError

    app.register_error_handler(
        CSRFError, lambda e: page(400, "请求已失效", "页面已过期或缺少安全校验信息，请刷新页面后重试。")
    )
    app.register_error_handler(400, lambda e: page(400, "请求无效", "请求的内容无效，请刷新页面后重试。"))
    app.register_error_handler(403, lambda e: page(403, "无权访问", "您没有访问此页面的权限。"))
    app.register_error_handler(404, lambda e: page(404, "页面不存在", "您访问的页面或记录不存在。"))
    app.register_error_handler(413, lambda e: page(413, "文件过大", "上传的文件超过了允许的大小。"))
    app.register_error_handler(
        500, lambda e: page(500, "服务器错误", "服务器处理请求时出错，请稍后重试或联系管理员。")
    )
    app.register_error_handler(NotFound, lambda e: page(404, "页面不存在", e.message))
