"""Batch archive conversion: many cases, many workers, on dramatiq; resumable at any point."""
