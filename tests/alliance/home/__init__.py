"""The home pages: the clinician's caseload, a page at a time, and the patient's own home."""
