"""Everything that faces the outside world: platforms, console, HTTP server, CLI, composition.
May import bot/ and storage/; runs no SQL of its own (a use case in bot/ opens the unit of work)."""
