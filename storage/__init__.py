"""Candor's records: tables and vocabulary, the unit of work, envelope encryption, the audit log.
Imports nothing of bot/ or adapters/ (tests/unit/test_layering.py holds it to that)."""
