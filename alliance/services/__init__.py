"""Writes. Each module is one part of the product; views import the function they need."""
