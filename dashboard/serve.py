"""Start the dashboard: `python -m dashboard.serve [streamlit options]` is `streamlit run dashboard/app.py
[options]` with dashboard/server_compat.py's fix in place before the server answers its first request (the
browser asks for /favicon.png as soon as a session starts, before app.py has run). `make run` and the browser
tests start the app this way; a plain `streamlit run` gets the fix from app.py once its first run starts."""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path
from typing import Optional

from dashboard.server_compat import fix_static_responses

APP = Path(__file__).resolve().with_name("app.py")
# What every session's pages load (not TensorFlow, which only some pages load, on demand).
PRELOADED = ("streamlit", "pandas", "plotly.express", "plotly.graph_objects", "sklearn.linear_model",
             "analysis.audit", "analysis.report", "analysis.report.figures", "analysis.report.html",
             "analysis.tables", "dashboard.cache", "dashboard.state")


def freeze_loaded_modules() -> None:
    """Load what every page uses, then take all of it out of the garbage collector's full passes (gc.freeze).

    Streamlit runs a full collection after every script run (runner.postScriptGC, kept on: it hands a
    closed session's memory back). Walking the ~175,000 objects of the loaded libraries took 0.1 s each time,
    holding the interpreter lock, so every session's page stood still while another session's run ended.
    Only module-level objects exist this early; a session's data is never frozen."""
    for name in PRELOADED:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def main(argv: Optional[list[str]] = None) -> None:
    from streamlit.web import cli

    fix_static_responses()
    freeze_loaded_modules()
    cli.main(args=["run", str(APP), *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":
    main()
