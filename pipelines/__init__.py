"""Tickerlake pipelines: sources, historical steps, realtime worker, simulator and the CLI."""
