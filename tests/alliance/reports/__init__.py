"""Clinic reports."""
