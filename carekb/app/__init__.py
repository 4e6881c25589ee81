"""Layer 5, the application API: what a user asks (gap, tiers, explain, whatif, plan, batch,
sparql, guidance, visit), answered with the solver and returned as the JSON contract of
docs/profile.md.  The shells (cli/, web/) only parse arguments and present these results."""
