"""Start the dashboard: `python -m dashboard.serve [streamlit options]` is `streamlit run dashboard/app.py
[options]` with dashboard/server_compat.py's fix in place before the server answers its first request (the
browser asks for /favicon.png as soon as a session starts, before app.py has run). `make run` and the browser
tests start the app this way; a plain `streamlit run` gets the fix from app.py once its first run starts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from dashboard.server_compat import fix_static_responses

APP = Path(__file__).resolve().with_name("app.py")


def main(argv: Optional[list[str]] = None) -> None:
    from streamlit.web import cli

    fix_static_responses()
    cli.main(args=["run", str(APP), *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":
    main()
