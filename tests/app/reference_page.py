"""The speed reference for the browser test: the smallest Streamlit page with a Plotly
chart (a title and one three-point line). Its fresh-tab render is what Streamlit's and
Plotly's JavaScript cost on this machine before any of our work."""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Reference", layout="wide")
st.title("Reference")
st.plotly_chart(go.Figure(go.Scatter(y=[1, 3, 2])))
