"""Scanner drivers behind one small interface (SANE, eSCL, hot folder)."""
