"""Keeping secrets out of responses and logs.

``redact`` hides the credentials a URL may carry anywhere in a text: the password (or token)
of its user info, and the values of query parameters whose names say they are credentials
(``api_key``, ``token``, ``auth``, ``key``, ``sig``, ``password``, ``secret``, ...).

``validation_problems`` describes a pydantic ``ValidationError`` by where and which rule, and
shows what was given only when it cannot be a secret: a scalar value (or a list of them) of a
field whose name has none of key, secret, password, token or url as a word (webhook URLs carry
their token in the path), never a dict, nor a string that stands for a whole block of settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

_USERINFO = re.compile(r"(?<=://)([^/\s?#]*)@")  # up to the last @ of the authority
SECRET_PARAMS = (
    "api[-_]?key", "apikey", "key", "token", "access[-_]?token", "refresh[-_]?token",
    "id[-_]?token", "auth", "authorization", "sig", "signature", "x-amz-signature",
    "x-goog-signature", "password", "passwd", "pass", "pwd", "secret", "client[-_]?secret",
    "session", "sessionid", "credential", "credentials", "code",
)  # fmt: skip
_SECRET_PARAM = re.compile(r"(?i)((?:[?&;]|^)(?:" + "|".join(SECRET_PARAMS) + r")=)[^&;#\s'\"]*")
SECRET_FIELD = re.compile(r"(?i)(?:^|_)(?:key|secret|password|token|url)(?:$|_)")
# the input of these errors is a stand-in for a whole block (a dict, a list, a JSON string)
_BLOCK_ERRORS = re.compile(r"^(model|dict|list|tuple|set|frozen_set|iterable|json|mapping)_")
MAX_SHOWN = 60


def redact(text: str) -> str:
    """``text`` with URL credentials replaced by ``***``.

    ``scheme://user:password@host`` keeps the user (``user:***@``), ``scheme://token@host``
    becomes ``***@``, and ``?api_key=...&page=2`` becomes ``?api_key=***&page=2``.
    """

    def hide(m: re.Match[str]) -> str:
        user, colon, _ = m[1].partition(":")
        return f"{user}:***@" if colon else "***@"

    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(hide, text))


def validation_problems(errors: Sequence[ErrorDetails], root: str) -> list[str]:
    """``where: rule`` for each error (``root`` when it concerns the whole model), with
    ``(got ...)`` only when the input is safe to show (see the module docstring)."""
    lines = []
    for err in errors:
        where = ".".join(str(p) for p in err["loc"]) or root
        lines.append(f"{where}: {redact(err['msg'])}{_shown(err)}")
    return lines


def _shown(err: ErrorDetails) -> str:
    value = err.get("input")
    names = [p for p in err["loc"] if isinstance(p, str)]
    if (
        not names  # a model's own rule: its input is everything it was given
        or err["type"] == "extra_forbidden"  # an unknown key: nothing says what it holds
        or _BLOCK_ERRORS.match(err["type"])
        or any(SECRET_FIELD.search(name) for name in names)
        or not _scalars(value)
    ):
        return ""
    text = repr(value)
    return f" (got {redact(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + '...')})"


def _scalars(value: object) -> bool:
    """A string, number or boolean, or a list of them."""
    items = value if isinstance(value, list) else [value]
    return all(isinstance(v, str | int | float | bool) for v in items)
