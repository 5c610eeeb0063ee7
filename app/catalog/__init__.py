"""The catalog: arXiv's daily listings held per category, the source of every feed.

``fetching`` asks arXiv for a batch of categories in ONE request (claims, stale copies,
pauses after failures); ``scheduler`` batches cold categories, the owner's first, under a daily
budget for strangers' ones; ``assemble`` builds any set of categories from the per-category
views, with the announce types arXiv's own listing of that set would show; ``history`` keeps
each category's announcement days; ``catalog`` ties them together.
"""
