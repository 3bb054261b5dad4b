"""The books side of a deal, in plain Python: what ERPNext's documents say about a deal and a customer."""
