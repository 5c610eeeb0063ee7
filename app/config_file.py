"""The legacy ``config.json``: read, with unknown keys named (and a close known one suggested)
and dropped; a syntax error names the line and column. ``app.config`` reads it as the source
below the environment."""

from __future__ import annotations

import json
import logging
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from app.errors import ConfigError
from app.summaries.settings import AISummary

log = logging.getLogger("app.config")


class LegacyConfigSource(PydanticBaseSettingsSource):
    """Reads the legacy ``config.json``; unknown keys are logged and dropped."""

    def __init__(self, settings_cls: type[BaseSettings], path: str | Path | None) -> None:
        super().__init__(settings_cls)
        self.explicit = path is not None
        self.path = Path(path) if path is not None else Path("config.json")

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: ``__call__`` returns the whole file at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """The file's known keys, or nothing when there is no file."""
        if not self.path.is_file():
            if self.explicit:
                raise ConfigError(f"config file {str(self.path)!r} does not exist")
            return {}
        data = read_config_file(self.path)
        known = set(self.settings_cls.model_fields) - {"config_file"}
        for key in sorted(set(data) - known):
            log.warning("%s: ignoring unknown key %r%s", self.path, key, did_you_mean(key, known))
            del data[key]
        summary = data.get("ai_summary")
        if isinstance(summary, dict):
            fields = set(AISummary.model_fields)
            for key in sorted(set(summary) - fields):
                guess = did_you_mean(key, fields)
                log.warning("%s: ignoring unknown key 'ai_summary.%s'%s", self.path, key, guess)
                del summary[key]
        return data


def did_you_mean(key: str, known: set[str]) -> str:
    """`` (did you mean 'keywords'?)`` for a key close to a known one, else nothing."""
    close = get_close_matches(key.lower(), sorted(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse ``config.json``; a syntax error names the line and column."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must hold a JSON object, found {type(data).__name__}")
    return data
