"""Functional core of crm_app.

Nothing in this package imports frappe: every function takes and returns plain data, so it is
unit-tested without a site and reused by controllers, jobs and benchmarks alike.
"""
