"""Incoming webhook handling: the @on_webhook registry, sources, validation and dispatch."""
