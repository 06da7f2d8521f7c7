"""Candor on Slack: the Bolt app (app.py), its Block Kit rendering (render.py) and the outbox's
Slack sender (sender.py). Every import of a Slack SDK stays in this folder."""
