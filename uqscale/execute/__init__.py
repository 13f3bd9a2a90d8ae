"""Running batches of samples on a Dask cluster."""
