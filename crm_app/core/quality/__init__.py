"""Data quality: normalised keys, duplicate detection and completeness; plain Python, no frappe."""
