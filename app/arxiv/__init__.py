"""arXiv: the taxonomy, fetching listings politely, and parsing them."""
