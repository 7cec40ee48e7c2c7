"""The password policy, in one place: every path that sets a password checks it here
(the own-password change, activation, administration), so the rule cannot drift.

Passwords are hashed by ``User.set_password`` with werkzeug's scrypt (memory-hard, salted).
"""
from __future__ import annotations

import re

from registry.errors import ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 128
#: Character classes (letters, digits, others) a password must mix: ``MIN_CLASSES`` of them.
CLASSES = (re.compile(r"[a-zA-Z]"), re.compile(r"[0-9]"), re.compile(r"[^a-zA-Z0-9]"))
MIN_CLASSES = 2
POLICY_TEXT = f"至少{MIN_LENGTH}个字符，且包含字母、数字、符号中的至少两类"


def check_password_policy(password: str | None, *, field: str = "new", username: str = "") -> str:
    """Return ``password`` if it meets the policy; ValidationError (Chinese, on ``field``)."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"密码至少需要{MIN_LENGTH}个字符", field=field)
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"密码不能超过{MAX_LENGTH}个字符", field=field)
    kinds = sum(1 for pattern in CLASSES if pattern.search(password))
    if kinds < MIN_CLASSES:
        raise ValidationError("密码过于简单：" + POLICY_TEXT, field=field)
    if username and password.lower() == username.lower():
        raise ValidationError("密码不能与用户名相同", field=field)
    return password
