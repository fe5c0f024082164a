"""Renderers: one per medium, each turning a Report into text. No logic here."""
