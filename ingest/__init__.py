"""Intake: sniff, read and rasterise what a clerk hands over, within configured limits."""
