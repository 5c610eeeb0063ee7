"""The generated reference pages are up to date, and every setting has a description."""

from __future__ import annotations

from scripts.gen_reference import PAGES, description, models, render


def test_the_committed_reference_pages_are_up_to_date() -> None:
    for name, text in render().items():
        committed = PAGES[name].read_text(encoding="utf-8")
        assert committed == text, f"{PAGES[name]} is stale: run python -m scripts.gen_reference"


def test_every_setting_is_described() -> None:
    missing = [
        f"{model.__name__}.{name}"
        for model in models()
        for name, field in model.model_fields.items()
        if not description(model, name, field)
    ]
    assert missing == [], "describe these in Field(description=...) or NOTES"


def test_the_reference_names_every_setting_and_route() -> None:
    from app.config import Settings
    from app.main import create_app

    pages = render()
    for name in Settings.model_fields:
        assert f"| `{name}` |" in pages["configuration"], name
    for path in create_app().openapi()["paths"]:
        assert f" {path}`" in pages["http-api"], path
