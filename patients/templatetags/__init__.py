"""Template tags of the patients app."""
