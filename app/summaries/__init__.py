"""LLM work on papers: summaries of the top papers and relevance ratings, each cached."""
