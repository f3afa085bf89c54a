"""Training runs: regimes and heads, step budgets, DAPT, the PEFT sweep, learning-curve points."""
