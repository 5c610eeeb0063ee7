"""Personalization: what a profile's library, likes and followed authors, or a request's
``like=``/``dislike=``/``authors=``, say of each candidate. The I/O side of that ranking (liked
papers looked up on arXiv, the profile read from the store, the embeddings endpoint asked, the
scorers kept); the scoring itself is pure and lives in ``app.ranking``."""
