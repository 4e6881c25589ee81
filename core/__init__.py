"""carekb: a knowledge base of Japanese care/welfare addition rules with an exact gap solver.

The package is assembled from the repository's top-level folders: this one (`core/`) is
`carekb`, `solver/` is `carekb.solver`, `cli/` is `carekb.cli`, and `kb/` and `ontology/`
ship as data (`carekb.kb`, `carekb.ontology`).
"""

__version__ = "0.1.0"
