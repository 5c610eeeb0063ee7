"""Keeping secrets out of responses and logs.

``redact`` hides the credentials a URL may carry anywhere in a text: the password (or token)
of its user info, and the values of query parameters whose names say they are credentials
(``api_key``, ``token``, ``auth``, ``key``, ``sig``, ``password``, ``secret``, ...).
"""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?<=://)([^/\s@?#]*)@")
SECRET_PARAMS = (
    "api[-_]?key", "apikey", "key", "token", "access[-_]?token", "refresh[-_]?token",
    "id[-_]?token", "auth", "authorization", "sig", "signature", "x-amz-signature",
    "x-goog-signature", "password", "passwd", "pass", "pwd", "secret", "client[-_]?secret",
    "session", "sessionid", "credential", "credentials", "code",
)  # fmt: skip
_SECRET_PARAM = re.compile(r"(?i)((?:[?&;]|^)(?:" + "|".join(SECRET_PARAMS) + r")=)[^&;#\s'\"]*")


def redact(text: str) -> str:
    """``text`` with URL credentials replaced by ``***``.

    ``scheme://user:password@host`` keeps the user (``user:***@``), ``scheme://token@host``
    becomes ``***@``, and ``?api_key=...&page=2`` becomes ``?api_key=***&page=2``.
    """

    def hide(m: re.Match[str]) -> str:
        user, colon, _ = m[1].partition(":")
        return f"{user}:***@" if colon else "***@"

    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(hide, text))
