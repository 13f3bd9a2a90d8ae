"""Running the model graph: Python callables, external programs (``command`` steps)
and the wiring between steps."""
