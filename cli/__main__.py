"""`python -m carekb.cli`."""

from .main import main

main()
