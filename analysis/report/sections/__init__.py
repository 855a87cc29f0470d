"""One module per report section: each turns one capability's result into a `Section` (plus the facts
the summary rates)."""
