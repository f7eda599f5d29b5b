"""Shared Streamlit UI parts: filters, Plotly figure builders, cached data access."""
