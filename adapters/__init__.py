"""Everything that faces the outside world: platforms, console, HTTP server, CLI, composition."""
