"""Figures: pure functions from runs to plotly Figures, in one paper style (see `style`)."""
