"""The development console (`candor console`): Candor in a terminal, acting as any roster person,
on the same service as Slack and Teams. May import bot/ and storage/; never a platform SDK."""
