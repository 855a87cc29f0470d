"""The Streamlit app. Pages lay out widgets and charts and call analysis/; they compute nothing."""
