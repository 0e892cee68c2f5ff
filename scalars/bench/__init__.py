"""Benchmarks and demos behind ``python -m scalars demo`` and ``python -m scalars bench``."""
