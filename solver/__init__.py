"""The gap solver: compile a period's rules to a monotone DNF and find minimum-effort action sets.

`rules` compiles tier expressions (with pledges and office conditions) into terms;
`workplace` prices the workplace-item part of a term exactly; `gap` ranks tiers and builds the
targets; `explain` says why a tier fails; `csp` is the same search as a python-constraint model
(the general path, and a cross-check); `yen` turns rates into money.
"""
