"""Wiring: the only package that knows every stage; runs them in-process or on workers."""
