"""Ranking: keyword matching (``keywords``), scoring and ordering (``rank``)."""
