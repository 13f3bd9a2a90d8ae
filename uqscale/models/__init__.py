"""Running the model graph: Python callables and the wiring between steps."""
