"""Reads, always scoped to the person asking. One module per part of the product."""
