"""Marketing algorithms: segment rules, sends, attribution, triggers (plain Python, no frappe)."""
