"""``redact``: credentials in any URL, in user info or in the query, never pass through."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from app.redaction import redact, validation_problems


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://u:pw@h/x", "https://u:***@h/x"),
        ("https://tok123@h/x", "https://***@h/x"),
        ("https://h/x?api_key=abc&page=2", "https://h/x?api_key=***&page=2"),
        ("https://h/x?apikey=abc", "https://h/x?apikey=***"),
        ("https://h/x?page=1&token=t0k", "https://h/x?page=1&token=***"),
        ("https://h/x?auth=a1", "https://h/x?auth=***"),
        ("https://h/x?key=k1#top", "https://h/x?key=***#top"),
        ("https://h/x?sig=s1;x=2", "https://h/x?sig=***;x=2"),
        ("https://h/x?X-Amz-Signature=s1", "https://h/x?X-Amz-Signature=***"),
        ("https://h/x?Access_Token=s1", "https://h/x?Access_Token=***"),
        ("rediss://:pw@kv:6380/0?password=q", "rediss://:***@kv:6380/0?password=***"),
        ("redis://u:p@ss@kv:6379/0 down", "redis://u:***@kv:6379/0 down"),
        ("error at https://h/x?client_secret=c9 now", "error at https://h/x?client_secret=*** now"),
        ("https://h/x?monkey=1&keyboard=2", "https://h/x?monkey=1&keyboard=2"),
    ],
)
def test_credentials_in_urls_are_hidden(text: str, shown: str) -> None:
    assert redact(text) == shown


class Hook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    timeout: float = 1.0


class Block(BaseModel):
    count: int = 1
    keywords: list[str] = []
    hooks: list[Hook] = []
    secret_env: int = 0

    @model_validator(mode="after")
    def _rule(self) -> Block:
        if self.count == 7:
            raise ValueError("seven is not allowed")
        return self


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ({"count": "x"}, "count: Input should be a valid integer, unable to parse string as an "
                         "integer (got 'x')"),
        ({"keywords": ["a", 2]}, "keywords.1: Input should be a valid string (got 2)"),
        ({"count": 7, "keywords": ["hunter2"]}, "block: Value error, seven is not allowed"),
        ({"hooks": [{"url": 5}]}, "hooks.0.url: Input should be a valid string"),
        ({"hooks": [{"url": "https://h/tok", "token": "hunter2"}]},
         "hooks.0.token: Extra inputs are not permitted"),
        ({"hooks": '[{"url": "https://h/hunter2"'}, "hooks: Input should be a valid list"),
        ({"hooks": ["https://h/hunter2"]}, "hooks.0: Input should be a valid dictionary or "
                                           "instance of Hook"),
        ({"secret_env": "hunter2"}, "secret_env: Input should be a valid integer, unable to "
                                    "parse string as an integer"),
    ],
)  # fmt: skip
def test_validation_problems_show_only_inputs_that_cannot_be_secrets(
    data: dict[str, object], line: str
) -> None:
    with pytest.raises(ValidationError) as info:
        Block.model_validate(data)
    assert validation_problems(info.value.errors(), "block") == [line]
