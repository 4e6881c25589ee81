"""The web shell (`carekb serve`): the SPARQL endpoint and the JSON API over carekb.app."""
