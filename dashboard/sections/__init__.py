"""Reusable parts of dashboard pages (widgets and layout only; no computation)."""
