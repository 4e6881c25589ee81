"""The analyst query library: SPARQL files (*.rq) run by `carekb sparql --query-name NAME`."""
