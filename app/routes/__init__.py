"""HTTP routes: thin functions that parse the request, run the pipeline and pick a renderer."""
