"""Tests for app.arxiv.taxonomy: names, shapes, aliases, case folding and suggestions."""

from __future__ import annotations

import dataclasses

import pytest

from app.arxiv.taxonomy import (
    ALIASES,
    CATEGORIES,
    CATEGORY_RE,
    Category,
    is_well_formed,
    lookup,
    suggest,
)

GROUPS = {
    "Computer Science",
    "Economics",
    "Electrical Engineering and Systems Science",
    "Mathematics",
    "Physics",
    "Quantitative Biology",
    "Quantitative Finance",
    "Statistics",
}


@pytest.mark.parametrize(
    ("cid", "name", "archive", "group"),
    [
        ("cs.AI", "Artificial Intelligence", "cs", "Computer Science"),
        ("cs.LG", "Machine Learning", "cs", "Computer Science"),
        ("cs.CL", "Computation and Language", "cs", "Computer Science"),
        ("cs.DC", "Distributed, Parallel, and Cluster Computing", "cs", "Computer Science"),
        ("cs.AR", "Hardware Architecture", "cs", "Computer Science"),
        ("stat.ML", "Machine Learning", "stat", "Statistics"),
        ("math.AG", "Algebraic Geometry", "math", "Mathematics"),
        ("hep-th", "High Energy Physics - Theory", "hep-th", "Physics"),
        ("quant-ph", "Quantum Physics", "quant-ph", "Physics"),
        ("astro-ph.CO", "Cosmology and Nongalactic Astrophysics", "astro-ph", "Physics"),
        ("cond-mat.mes-hall", "Mesoscale and Nanoscale Physics", "cond-mat", "Physics"),
        ("q-bio.NC", "Neurons and Cognition", "q-bio", "Quantitative Biology"),
        ("econ.EM", "Econometrics", "econ", "Economics"),
        ("eess.SP", "Signal Processing", "eess", "Electrical Engineering and Systems Science"),
        ("physics.optics", "Optics", "physics", "Physics"),
        ("q-fin.TR", "Trading and Market Microstructure", "q-fin", "Quantitative Finance"),
    ],
)
def test_known_ids_resolve_with_official_names(
    cid: str, name: str, archive: str, group: str
) -> None:
    cat = lookup(cid)
    assert cat is not None
    assert cat == CATEGORIES[cid]
    assert (cat.id, cat.name, cat.archive, cat.group) == (cid, name, archive, group)


@pytest.mark.parametrize("cid", ["cs.AI", "astro-ph.CO", "cond-mat.mes-hall", "math.AG"])
def test_subcategories_are_not_archives(cid: str) -> None:
    assert CATEGORIES[cid].is_archive is False


@pytest.mark.parametrize(
    ("cid", "name"),
    [
        ("cs", "Computer Science"),
        ("math", "Mathematics"),
        ("physics", "Physics"),
        ("astro-ph", "Astrophysics"),
        ("cond-mat", "Condensed Matter"),
        ("hep-th", "High Energy Physics - Theory"),
        ("gr-qc", "General Relativity and Quantum Cosmology"),
    ],
)
def test_archives_are_present(cid: str, name: str) -> None:
    cat = CATEGORIES[cid]
    assert cat.is_archive is True
    assert cat.archive == cid
    assert cat.name == name


def test_pairs_arxiv_lists_twice_are_both_kept() -> None:
    pairs = [("cs.NA", "math.NA"), ("cs.SY", "eess.SY"), ("q-fin.EC", "econ.GN")]
    pairs.append(("math.ST", "stat.TH"))
    for a, b in pairs:
        assert a in CATEGORIES, a
        assert b in CATEGORIES, b
        assert CATEGORIES[a].name == CATEGORIES[b].name or {a, b} == {"q-fin.EC", "econ.GN"}


def test_aliases_resolve_to_current_category() -> None:
    assert "math.IT" not in CATEGORIES
    assert "math.MP" not in CATEGORIES
    it = lookup("math.IT")
    mp = lookup("math.MP")
    assert it is not None
    assert it.id == "cs.IT"
    assert mp is not None
    assert mp.id == "math-ph"
    for alias, target in ALIASES.items():
        assert target in CATEGORIES
        assert is_well_formed(alias)


def test_size_and_groups() -> None:
    assert len(CATEGORIES) >= 150
    assert {c.group for c in CATEGORIES.values()} == GROUPS
    # arXiv's taxonomy page lists 155 categories; two of them are ALIASES here.
    assert sum(1 for c in CATEGORIES.values() if "." in c.id) + 9 + len(ALIASES) == 155


def test_every_key_is_well_formed_and_consistent() -> None:
    for cid, cat in CATEGORIES.items():
        assert CATEGORY_RE.match(cid), cid
        assert is_well_formed(cid), cid
        assert cat.id == cid
        assert cat.name
        assert cat.name == cat.name.strip()
        if "." in cid:
            assert cid.split(".", 1)[0] == cat.archive
        else:
            assert cat.is_archive, cid


def test_every_archive_is_itself_an_archive_entry() -> None:
    for cat in CATEGORIES.values():
        parent = CATEGORIES.get(cat.archive)
        assert parent is not None, cat.id
        assert parent.is_archive is True
        assert parent.group == cat.group


def test_order_is_group_then_archive_then_id() -> None:
    keys = list(CATEGORIES)
    groups = [CATEGORIES[k].group for k in keys]
    assert groups == sorted(groups)
    # within a group: archives contiguous and sorted, the archive entry first, then ids sorted
    archives = [CATEGORIES[k].archive for k in keys]
    assert archives == sorted(archives, key=lambda a: (CATEGORIES[a].group, a))
    for archive in set(archives):
        ids = [k for k in keys if CATEGORIES[k].archive == archive]
        assert ids[0] == archive
        assert ids[1:] == sorted(ids[1:])


def test_category_is_frozen() -> None:
    cat = CATEGORIES["cs.AI"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cat.name = "x"  # type: ignore[misc]
    assert isinstance(cat, Category)


@pytest.mark.parametrize(
    "good", ["cs", "a", "hep-th", "cs.AI", "cs.XY", "cond-mat.mes-hall", "physics.space-ph"]
)
def test_well_formed(good: str) -> None:
    assert is_well_formed(good)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        " ",
        "cs.AI/../x",
        "cs AI",
        " cs.AI",
        "cs.AI ",
        "cs.AI\n",
        "http://x",
        "cs.AI+cs.LG",
        "cs.AI,cs.LG",
        "a" * 40,
        "cs." + "A" * 29,
        "cs.",
        ".AI",
        "cs..AI",
        "cs.A",
        "cs.ABCDEFGHIJKLM",
        "cs.AI.LG",
        "1cs.AI",
        "cs1.AI",
        "cs.A1",
        "CS.AI",
        "-cs",
        "cs-",
        "hep--th",
        "cond-mat.-mes",
        "cond-mat.mes-",
        "cs.AI%00",
        "cs_AI",
        "ćs.AI",
    ],
)
def test_malformed_rejected(bad: str) -> None:
    assert not is_well_formed(bad)
    if bad != "CS.AI":  # a case variant: not the official shape, but lookup() accepts it
        assert lookup(bad) is None


@pytest.mark.parametrize("unknown", ["cs.XY", "math.ZZ", "hep-xx", "foo", "cond-mat.meshall"])
def test_unknown_well_formed_ids_give_none(unknown: str) -> None:
    assert is_well_formed(unknown)
    assert lookup(unknown) is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("CS.ai", "cs.AI"),
        ("cs.ai", "cs.AI"),
        ("Cs.Lg", "cs.LG"),
        ("HEP-TH", "hep-th"),
        ("Cond-Mat.Mes-Hall", "cond-mat.mes-hall"),
        ("ASTRO-PH", "astro-ph"),
        ("math.it", "cs.IT"),
        ("STAT.ml", "stat.ML"),
    ],
)
def test_case_insensitive_lookup(query: str, expected: str) -> None:
    cat = lookup(query)
    assert cat is not None
    assert cat.id == expected


def test_lookup_is_exact_first() -> None:
    # "cs.GT" and "math.GT" differ only by archive, never confused
    gt = lookup("cs.gt")
    assert gt is not None
    assert gt.id == "cs.GT"
    assert lookup("") is None
    assert lookup("cs.AI ") is None


def test_suggestions_for_unknown_ids() -> None:
    s = suggest("cs.A")
    assert len(s) == 3
    assert s[:2] == ["cs.AI", "cs.AR"]
    assert suggest("mat.AG")[0] == "math.AG"
    assert suggest("qant-ph")[0] == "quant-ph"
    assert suggest("cond-mat.meshall")[0] == "cond-mat.mes-hall"
    assert suggest("hep-tx")[:2] == ["hep-ex", "hep-th"]
    assert suggest("physics.optic")[0] == "physics.optics"
    assert suggest("astroph.CO")[0] == "astro-ph.CO"


def test_suggestions_are_valid_ids_and_bounded() -> None:
    for query in ("cs.A", "mat.AG", "qant-ph", "stat", "x" * 10_000, "cs.AI/../x"):
        out = suggest(query, limit=4)
        assert len(out) <= 4
        assert all(cid in CATEGORIES for cid in out)
    assert suggest("cs.A", limit=0) == []
    assert suggest("cs.A", limit=1) == ["cs.AI"]
    assert suggest("") == []
    assert suggest("zzzzzzzzzz") == []


def test_suggest_for_known_or_alias_returns_it() -> None:
    assert suggest("cs.AI") == ["cs.AI"]
    assert suggest("CS.ai") == ["cs.AI"]
    assert suggest("math.MP") == ["math-ph"]
