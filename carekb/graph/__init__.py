"""Layer 2, the knowledge graph: load kb/ (Turtle) into the model with a content-hash cache
(kbload), offices as RDF (office_rdf), and what a SPARQL query may do (sparql_safety)."""
