"""Instruments and scoring."""
