"""arXiv's category taxonomy (https://arxiv.org/category_taxonomy), names only (pure, no I/O).

Every group, archive and category id arXiv currently lists, with its official human-readable
name, transcribed from arXiv's own taxonomy definitions (``arxiv-base``,
``arxiv/taxonomy/definitions.py``). Archives that have subcategories (``cs``, ``math``,
``astro-ph``, ...) appear as an entry of their own with ``is_archive=True``, because arXiv's RSS
accepts a whole archive; archives without subcategories (``hep-th``, ``quant-ph``, ``gr-qc``, ...)
are both an archive and a category, so a single entry with ``is_archive=True``.

Pairs that arXiv keeps as two listed categories (``cs.NA``/``math.NA``, ``cs.SY``/``eess.SY``,
``q-fin.EC``/``econ.GN``, ``math.ST``/``stat.TH``) are both kept. Only the two ids that arXiv
folded into another one and that people still type (``math.IT`` -> ``cs.IT``, ``math.MP`` ->
``math-ph``) are in ``ALIASES``: ``lookup`` accepts them and answers with the current category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

__all__ = [
    "ALIASES",
    "CATEGORIES",
    "CATEGORY_RE",
    "Category",
    "is_well_formed",
    "lookup",
    "suggest",
]


@dataclass(frozen=True, slots=True)
class Category:
    """One arXiv category id (or a whole archive) with its official name."""

    id: str
    """``"cs.AI"``, ``"hep-th"`` or, for a whole archive, ``"cs"``."""
    name: str
    """Official human-readable name, e.g. ``"Artificial Intelligence"``."""
    archive: str
    """The archive the id belongs to, e.g. ``"cs"`` (itself for an archive)."""
    group: str
    """The group of the archive, e.g. ``"Computer Science"``."""
    is_archive: bool
    """True for a whole archive (``"cs"``, ``"astro-ph"``) and for ``"hep-th"``-like archives."""


# group -> archive -> (archive name, {category id suffix: category name}). Groups, archives and
# suffixes are listed in the order ``CATEGORIES`` keeps them (suffixes are sorted on build).
_TAXONOMY: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    "Computer Science": {
        "cs": (
            "Computer Science",
            {
                "AI": "Artificial Intelligence",
                "AR": "Hardware Architecture",
                "CC": "Computational Complexity",
                "CE": "Computational Engineering, Finance, and Science",
                "CG": "Computational Geometry",
                "CL": "Computation and Language",
                "CR": "Cryptography and Security",
                "CV": "Computer Vision and Pattern Recognition",
                "CY": "Computers and Society",
                "DB": "Databases",
                "DC": "Distributed, Parallel, and Cluster Computing",
                "DL": "Digital Libraries",
                "DM": "Discrete Mathematics",
                "DS": "Data Structures and Algorithms",
                "ET": "Emerging Technologies",
                "FL": "Formal Languages and Automata Theory",
                "GL": "General Literature",
                "GR": "Graphics",
                "GT": "Computer Science and Game Theory",
                "HC": "Human-Computer Interaction",
                "IR": "Information Retrieval",
                "IT": "Information Theory",
                "LG": "Machine Learning",
                "LO": "Logic in Computer Science",
                "MA": "Multiagent Systems",
                "MM": "Multimedia",
                "MS": "Mathematical Software",
                "NA": "Numerical Analysis",
                "NE": "Neural and Evolutionary Computing",
                "NI": "Networking and Internet Architecture",
                "OH": "Other Computer Science",
                "OS": "Operating Systems",
                "PF": "Performance",
                "PL": "Programming Languages",
                "RO": "Robotics",
                "SC": "Symbolic Computation",
                "SD": "Sound",
                "SE": "Software Engineering",
                "SI": "Social and Information Networks",
                "SY": "Systems and Control",
            },
        ),
    },
    "Economics": {
        "econ": (
            "Economics",
            {
                "EM": "Econometrics",
                "GN": "General Economics",
                "TH": "Theoretical Economics",
            },
        ),
    },
    "Electrical Engineering and Systems Science": {
        "eess": (
            "Electrical Engineering and Systems Science",
            {
                "AS": "Audio and Speech Processing",
                "IV": "Image and Video Processing",
                "SP": "Signal Processing",
                "SY": "Systems and Control",
            },
        ),
    },
    "Mathematics": {
        "math": (
            "Mathematics",
            {
                "AC": "Commutative Algebra",
                "AG": "Algebraic Geometry",
                "AP": "Analysis of PDEs",
                "AT": "Algebraic Topology",
                "CA": "Classical Analysis and ODEs",
                "CO": "Combinatorics",
                "CT": "Category Theory",
                "CV": "Complex Variables",
                "DG": "Differential Geometry",
                "DS": "Dynamical Systems",
                "FA": "Functional Analysis",
                "GM": "General Mathematics",
                "GN": "General Topology",
                "GR": "Group Theory",
                "GT": "Geometric Topology",
                "HO": "History and Overview",
                "KT": "K-Theory and Homology",
                "LO": "Logic",
                "MG": "Metric Geometry",
                "NA": "Numerical Analysis",
                "NT": "Number Theory",
                "OA": "Operator Algebras",
                "OC": "Optimization and Control",
                "PR": "Probability",
                "QA": "Quantum Algebra",
                "RA": "Rings and Algebras",
                "RT": "Representation Theory",
                "SG": "Symplectic Geometry",
                "SP": "Spectral Theory",
                "ST": "Statistics Theory",
            },
        ),
    },
    "Physics": {
        "astro-ph": (
            "Astrophysics",
            {
                "CO": "Cosmology and Nongalactic Astrophysics",
                "EP": "Earth and Planetary Astrophysics",
                "GA": "Astrophysics of Galaxies",
                "HE": "High Energy Astrophysical Phenomena",
                "IM": "Instrumentation and Methods for Astrophysics",
                "SR": "Solar and Stellar Astrophysics",
            },
        ),
        "cond-mat": (
            "Condensed Matter",
            {
                "dis-nn": "Disordered Systems and Neural Networks",
                "mes-hall": "Mesoscale and Nanoscale Physics",
                "mtrl-sci": "Materials Science",
                "other": "Other Condensed Matter",
                "quant-gas": "Quantum Gases",
                "soft": "Soft Condensed Matter",
                "stat-mech": "Statistical Mechanics",
                "str-el": "Strongly Correlated Electrons",
                "supr-con": "Superconductivity",
            },
        ),
        "gr-qc": ("General Relativity and Quantum Cosmology", {}),
        "hep-ex": ("High Energy Physics - Experiment", {}),
        "hep-lat": ("High Energy Physics - Lattice", {}),
        "hep-ph": ("High Energy Physics - Phenomenology", {}),
        "hep-th": ("High Energy Physics - Theory", {}),
        "math-ph": ("Mathematical Physics", {}),
        "nlin": (
            "Nonlinear Sciences",
            {
                "AO": "Adaptation and Self-Organizing Systems",
                "CD": "Chaotic Dynamics",
                "CG": "Cellular Automata and Lattice Gases",
                "PS": "Pattern Formation and Solitons",
                "SI": "Exactly Solvable and Integrable Systems",
            },
        ),
        "nucl-ex": ("Nuclear Experiment", {}),
        "nucl-th": ("Nuclear Theory", {}),
        "physics": (
            "Physics",
            {
                "acc-ph": "Accelerator Physics",
                "ao-ph": "Atmospheric and Oceanic Physics",
                "app-ph": "Applied Physics",
                "atm-clus": "Atomic and Molecular Clusters",
                "atom-ph": "Atomic Physics",
                "bio-ph": "Biological Physics",
                "chem-ph": "Chemical Physics",
                "class-ph": "Classical Physics",
                "comp-ph": "Computational Physics",
                "data-an": "Data Analysis, Statistics and Probability",
                "ed-ph": "Physics Education",
                "flu-dyn": "Fluid Dynamics",
                "gen-ph": "General Physics",
                "geo-ph": "Geophysics",
                "hist-ph": "History and Philosophy of Physics",
                "ins-det": "Instrumentation and Detectors",
                "med-ph": "Medical Physics",
                "optics": "Optics",
                "plasm-ph": "Plasma Physics",
                "pop-ph": "Popular Physics",
                "soc-ph": "Physics and Society",
                "space-ph": "Space Physics",
            },
        ),
        "quant-ph": ("Quantum Physics", {}),
    },
    "Quantitative Biology": {
        "q-bio": (
            "Quantitative Biology",
            {
                "BM": "Biomolecules",
                "CB": "Cell Behavior",
                "GN": "Genomics",
                "MN": "Molecular Networks",
                "NC": "Neurons and Cognition",
                "OT": "Other Quantitative Biology",
                "PE": "Populations and Evolution",
                "QM": "Quantitative Methods",
                "SC": "Subcellular Processes",
                "TO": "Tissues and Organs",
            },
        ),
    },
    "Quantitative Finance": {
        "q-fin": (
            "Quantitative Finance",
            {
                "CP": "Computational Finance",
                "EC": "Economics",
                "GN": "General Finance",
                "MF": "Mathematical Finance",
                "PM": "Portfolio Management",
                "PR": "Pricing of Securities",
                "RM": "Risk Management",
                "ST": "Statistical Finance",
                "TR": "Trading and Market Microstructure",
            },
        ),
    },
    "Statistics": {
        "stat": (
            "Statistics",
            {
                "AP": "Applications",
                "CO": "Computation",
                "ME": "Methodology",
                "ML": "Machine Learning",
                "OT": "Other Statistics",
                "TH": "Statistics Theory",
            },
        ),
    },
}


def _build() -> dict[str, Category]:
    out: dict[str, Category] = {}
    for group, archives in _TAXONOMY.items():
        for archive, (archive_name, subcategories) in archives.items():
            out[archive] = Category(archive, archive_name, archive, group, is_archive=True)
            for suffix in sorted(subcategories):
                cid = f"{archive}.{suffix}"
                out[cid] = Category(cid, subcategories[suffix], archive, group, is_archive=False)
    return out


CATEGORIES: dict[str, Category] = _build()
"""Every valid id -> its ``Category``, by group, then archive, then category id."""

ALIASES: dict[str, str] = {
    "math.IT": "cs.IT",
    "math.MP": "math-ph",
}
"""Ids arXiv folded into another category -> the current id (accepted by ``lookup``)."""

CATEGORY_RE: re.Pattern[str] = re.compile(
    r"\A(?=[A-Za-z.-]{1,32}\Z)[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z][A-Za-z-]{0,10}[A-Za-z])?\Z"
)
"""The shape of a category id, anchored: a lowercase archive (words joined by ``-``), then
optionally ``.`` and 2-12 letters or ``-`` (starting and ending with a letter); 32 chars at most.
``cs``, ``hep-th``, ``cs.AI``, ``cond-mat.mes-hall`` match."""

_FOLDED: dict[str, list[str]] = {}
for _cid in (*CATEGORIES, *ALIASES):
    _FOLDED.setdefault(_cid.casefold(), []).append(_cid)
del _cid

_SUGGEST_MAX_INPUT = 64
_SUGGEST_CUTOFF = 0.6


_SIZES: dict[str, int] = {}
for _cat in CATEGORIES.values():
    if not _cat.is_archive:
        _SIZES[_cat.archive] = _SIZES.get(_cat.archive, 0) + 1
del _cat


def size(category: str) -> int:
    """How many categories ``category`` stands for: an archive its subcategories (``cs``: 40),
    anything else 1."""
    return _SIZES.get(category, 1)


def is_well_formed(category: str) -> bool:
    """True when ``category`` has the shape of an arXiv category id (known or not)."""
    return CATEGORY_RE.match(category) is not None


def lookup(category: str) -> Category | None:
    """The category for an exact id or alias, else for an unambiguous case-insensitive match.

    ``None`` when ``category`` is unknown (aliases resolve to their current category).
    """
    found = CATEGORIES.get(category)
    if found is not None:
        return found
    target = ALIASES.get(category)
    if target is not None:
        return CATEGORIES[target]
    matches = _FOLDED.get(category.casefold(), [])
    resolved = {ALIASES.get(m, m) for m in matches}
    if len(resolved) == 1:
        return CATEGORIES[resolved.pop()]
    return None


def suggest(category: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` valid ids close to ``category`` (best first), for error messages."""
    if limit <= 0:
        return []
    known = lookup(category)
    if known is not None:
        return [known.id]
    needle = category.strip()[:_SUGGEST_MAX_INPUT].casefold()
    if not needle:
        return []
    matcher = SequenceMatcher(autojunk=False)
    matcher.set_seq2(needle)
    scored: list[tuple[float, int, str]] = []
    for index, cid in enumerate(CATEGORIES):
        matcher.set_seq1(cid.casefold())
        if (
            matcher.real_quick_ratio() >= _SUGGEST_CUTOFF
            and matcher.quick_ratio() >= _SUGGEST_CUTOFF
            and (score := matcher.ratio()) >= _SUGGEST_CUTOFF
        ):
            scored.append((-score, index, cid))
    scored.sort()
    return [cid for _, _, cid in scored[:limit]]
