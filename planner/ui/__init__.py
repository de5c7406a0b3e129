"""The Dash web app: ``create_app`` in :mod:`planner.ui.app`; pure figure builders beside it."""
