"""Statistics only: forecasting models, calendar, backtests and model selection."""
