"""Every plotly figure, shared by the dashboard pages and the HTML report.

One module per capability (pii.py, risk.py, attacks.py, ...). Functions take result objects and
return `plotly.graph_objects.Figure`; they compute no metric (that lives in the capability module).
"""
