"""The web reader (``edossier serve``): judges read, search and verify dossiers; parties submit online.

A wiring layer like ``edossier.pipeline``: it reads the store and calls stages and
the pipeline; no stage imports it.
"""
