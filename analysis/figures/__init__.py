"""Every plotly figure, shared by the dashboard pages and the HTML report.

One module per capability (pii.py, risk.py, attacks.py, ...). Functions take result objects and
return `plotly.graph_objects.Figure`; they compute no metric (that lives in the capability module).

One number format per kind, here: shares are percents. Axis ticks use PERCENT_TICKS (d3's `~` drops
trailing zeros, so ticks 0.25% apart read "0.25% 0.5% 0.75%", never "0% 0% 1%"); values in hover and on bars
use PERCENT (one decimal). Text from the table (column names, values) goes through
`analysis.text_safety.plot_text`: plotly reads `<a href>` and `<br>` in labels.
"""

PERCENT_TICKS = ".3~%"
PERCENT = ".1%"
