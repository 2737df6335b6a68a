"""``python -m hwsim`` runs the CLI."""

from hwsim.cli import main

main()
