"""Tickerlake lake: storage config, table contracts, Delta IO, on-demand queries and pure
analytics."""
