"""Layer 3, inputs: office profiles, rosters, effort files and tables, read and checked against
the KB and bound to a rule period (profile, roster, effort, tabular, shapes)."""
