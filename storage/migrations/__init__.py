"""Alembic's migrations of Candor's schema (versions/, one file a revision, in chain order); run
by `storage.migrate`. A migration imports storage/ at most, never bot/ or adapters/."""
