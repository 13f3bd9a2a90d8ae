"""Turning analyses into what people and tools read: indices.json and tables."""
