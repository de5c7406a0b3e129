"""wfm-planner application layer: the only place the stages are chained."""

__version__ = "0.1.0"
