"""Renderers: one result object -> table, JSON, markdown, CSV, HTML."""
