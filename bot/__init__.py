"""Candor's core: the product's rules, platform-neutral. Imports storage/, never a platform SDK."""
