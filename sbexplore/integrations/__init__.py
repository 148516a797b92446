"""Adapters for other training frameworks (optional extras): `integrations.lightning`."""
