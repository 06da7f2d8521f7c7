"""Candor's core: the product's rules, platform-neutral. Imports storage/, never a platform SDK,
an adapter, or a platform's name (tests/unit/test_layering.py holds it to that)."""
