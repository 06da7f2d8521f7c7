"""`python -m adapters.cli`: the same as the `candor` command (the tests run it this way)."""

from adapters.cli import main

main()
