"""Candor on Microsoft Teams, on the Microsoft 365 Agents SDK: the adapter and app with its routes,
dialogs (task modules), Adaptive Card rendering, conversation references, the app package and the
outbox's Teams sender. Every import of the Teams SDK stays in this folder."""
