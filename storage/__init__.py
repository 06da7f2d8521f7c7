"""Candor's records: tables and vocabulary, the unit of work, envelope encryption, the audit log."""
