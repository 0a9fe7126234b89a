"""Hostile input: huge and malformed webhook bodies, hostile console requests, hostile CSV files."""
