"""Calling an OpenAI-compatible endpoint: the client (``client``), its settings (``settings``)
and the embeddings it answers (``embeddings``)."""
