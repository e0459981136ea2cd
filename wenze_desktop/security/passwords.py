"""Password policy (at least 8 characters for 秘密级 machines; an administrator may raise it, e.g. 10 for 机密级)."""

from __future__ import annotations

from wenze_desktop.errors import ValidationError


def check_password(password: str, min_length: int = 8, username: str = "") -> None:
    if len(password) < min_length:
        raise ValidationError(f"密码至少需要 {min_length} 个字符。")
    if password.strip() != password:
        raise ValidationError("密码首尾不能是空格。")
    if username and password.lower() == username.lower():
        raise ValidationError("密码不能与用户名相同。")
    if len(set(password)) < 3:
        raise ValidationError("密码过于简单：请使用多种字符。")
