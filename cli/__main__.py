"""`python -m carekb.cli`."""

from carekb.cli.main import main

main()
