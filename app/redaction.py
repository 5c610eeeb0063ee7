"""Keeping secrets out of responses and logs."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?<=://)([^/\s]*)@")


def redact(text: str) -> str:
    """``text`` with the password of any ``scheme://user:password@host`` replaced by ``***``."""

    def hide(m: re.Match[str]) -> str:
        user, colon, _ = m[1].partition(":")
        return f"{user}:***@" if colon else "***@"

    return _USERINFO.sub(hide, text)
