"""Run the Frappe CLI on the suite's site in a subprocess, as a user would, and read what it committed."""

import subprocess
import sys

import frappe

from .conftest import BENCH, SITE


def bench(*args: str) -> subprocess.CompletedProcess:
	return subprocess.run(
		[sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", SITE, *args],
		cwd=BENCH / "sites",
		capture_output=True,
		text=True,
		timeout=900,
	)


def fresh_read() -> None:
	"""Read what the subprocess committed, with the hooks a new request would load."""
	frappe.db.rollback()
	# clear_cache reloads hooks (its own clear_cache hooks) before it empties the request cache, and would
	# store this process's old hooks again: empty that cache first.
	if hasattr(frappe.local, "request_cache"):
		frappe.local.request_cache.clear()
	frappe.clear_cache()
	frappe.local.doc_events_hooks = None  # kept per process, and clear_cache leaves it
