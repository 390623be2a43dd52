"""Rule engines for the text itself (no torch): attribute roles, the fact gate, the realiser."""
