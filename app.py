"""Dash entry point: ``python app.py`` serves the planner on http://127.0.0.1:8050."""

from __future__ import annotations

from planner.ui.app import DEFAULT_HOST, DEFAULT_PORT, create_app

app = create_app()
server = app.server  # for a WSGI server in a team deployment

if __name__ == "__main__":
    app.run(host=DEFAULT_HOST, port=DEFAULT_PORT, debug=False)
