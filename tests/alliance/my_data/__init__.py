"""A patient's download of their own data."""
