"""carekb's command line (click): `carekb --help`."""
