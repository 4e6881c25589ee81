"""`python -m carekb`: the same as the `carekb` command."""

from carekb.cli.main import main

if __name__ == "__main__":
    main(prog_name="carekb")
