"""Layer 1, the model: the compiled rules and an office as plain data (types), the one error type
(errors).  No I/O, no imports from any other layer."""
