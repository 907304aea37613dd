"""`python -m streams.cli` is `newswatch`."""

from streams.cli import main

main()
