"""Ensemble data assimilation: analysis steps between cycles of ensemble forecasts."""
