"""Followed-author matching: initials, accents, particles, name order; property tests."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.ranking.authors import PARTICLES, SUFFIXES, fold, follow, parse_name, same_person


@pytest.mark.parametrize(
    "variant",
    ["Y. LeCun", "Yann Le Cun", "Yann LeCun", "LeCun, Yann", "Yann Lécun", "YANN LECUN", "Y LeCun"],
)
def test_lecun_variants_match(variant: str) -> None:
    assert same_person("Yann LeCun", variant)
    assert same_person(variant, "Y. Le Cun")


@pytest.mark.parametrize("other", ["Yann Leclerc", "J. LeCun", "Jacques LeCun", "Yann Cun"])
def test_other_people_do_not_match(other: str) -> None:
    assert not same_person("Yann LeCun", other)


def test_family_name_alone_matches_any_given_name() -> None:
    assert same_person("LeCun", "Yann LeCun")  # nothing given to disagree about
    assert not same_person("", "Yann LeCun")


def test_hyphenated_given_names_and_dropped_particles() -> None:
    assert same_person("Jean-Pierre Serre", "J.-P. Serre")
    assert same_person("J. P. Serre", "Jean-Pierre Serre")
    assert not same_person("Jean-Paul Serre", "Jean-Pierre Serre")
    assert same_person("Ludwig van Beethoven", "L. Beethoven")
    assert same_person("Beethoven, Ludwig van", "L. van Beethoven")
    assert same_person("Erwin Schrödinger", "E. Schrodinger")
    assert same_person("C. Balázs", "Csaba Balazs")


def test_follow_returns_configured_names_in_order() -> None:
    followed = follow(["Geoffrey Hinton", "Y. LeCun", "  ", "Y. LeCun"])
    assert len(followed.names) == 2
    assert followed.match(["A. Person", "Yann Le Cun", "G. E. Hinton"]) == [
        "Geoffrey Hinton",
        "Y. LeCun",
    ]
    assert followed.match(["Yann Leclerc"]) == []
    assert not follow([])
    assert follow([]).match(["Yann LeCun"]) == []


_letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèüöñç", min_size=2, max_size=9)


def _cap(word: str) -> str:
    return word[0].upper() + word[1:]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@given(_letters, st.sampled_from([*sorted(PARTICLES - {"st"}), ""]), _letters)
def test_property_written_forms_of_one_name_match(
    given_name: str, particle: str, family: str
) -> None:
    assume(not {fold(given_name), fold(family)} & (PARTICLES | SUFFIXES))
    full = " ".join(w for w in (_cap(given_name), particle, _cap(family)) if w)
    forms = [
        f"{given_name[0].upper()}. {particle} {_cap(family)}".replace("  ", " "),
        f"{_cap(given_name)} {_cap(particle)}{family}" if particle else full,
        f"{particle} {_cap(family)}, {_cap(given_name)}".strip(),
        _strip_accents(full),
        full.upper(),
    ]
    for form in forms:
        assert same_person(full, form), form
        assert same_person(form, full), form


@given(_letters, _letters, _letters)
def test_property_a_different_family_name_never_matches(
    given_name: str, family: str, other: str
) -> None:
    assume(fold(family) != fold(other))
    assume(not {fold(family), fold(other)} & (PARTICLES | SUFFIXES))
    assert not same_person(
        f"{_cap(given_name)} {_cap(family)}", f"{_cap(given_name)} {_cap(other)}"
    )
    assert follow([f"{given_name} {family}"]).match([f"{given_name} {other}"]) == []


@given(_letters, _letters, _letters)
def test_property_different_first_initial_never_matches(a: str, b: str, family: str) -> None:
    assume(fold(a)[0] != fold(b)[0])
    assume(not {fold(a), fold(b), fold(family)} & (PARTICLES | SUFFIXES))
    assert not same_person(f"{a[0]}. {family}", f"{b} {family}")


def test_parse_name_keys() -> None:
    name = parse_name("Yann Le Cun")
    assert (name.family, name.core, name.given) == ("lecun", "cun", ("yann",))
    assert parse_name("Martin Luther King Jr.").family == "king"


def test_an_initial_that_spells_a_particle_is_still_an_initial() -> None:
    assert not same_person("D. Smith", "Anna Smith")
    assert same_person("D. Smith", "David Smith")
    assert parse_name("Beethoven, Ludwig van").family == "vanbeethoven"
