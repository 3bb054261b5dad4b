"""crm_app/replica.py on a site without a replica: the hook does nothing unless `read_from_replica` is set,
and a configured replica that is closed or is no replica at all sends the request's reads to the primary."""

import socket

import frappe
import pytest

from crm_app import replica

REPLICA_KEYS = ("read_from_replica", "replica_host", "replica_db_port", "cx_replica_max_lag")


@pytest.fixture
def conf():
	"""frappe.local.conf with the replica keys restored afterwards, and no cached verdict either side."""
	saved = {key: frappe.local.conf.get(key) for key in REPLICA_KEYS}
	yield frappe.local.conf
	for key, value in saved.items():
		if value is None:
			frappe.local.conf.pop(key, None)
		else:
			frappe.local.conf[key] = value
	frappe.cache.delete_keys("crm_app:replica_verdict:")


def closed_port() -> int:
	with socket.socket() as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]


def point_at(conf, port: int) -> None:
	frappe.cache.delete_keys("crm_app:replica_verdict:")
	conf.update({"read_from_replica": 1, "replica_host": "127.0.0.1", "replica_db_port": port})


def test_hook_does_nothing_without_read_from_replica(conf, monkeypatch):
	conf.pop("read_from_replica", None)
	monkeypatch.setattr(replica, "probe", lambda conf: pytest.fail("probed without a replica"))
	replica.before_request()
	replica.before_job(method="x", kwargs={}, transaction_type="job")
	assert not conf.get("read_from_replica")


def test_unreachable_replica_sends_reads_to_the_primary(conf):
	point_at(conf, closed_port())
	replica.before_request()
	assert conf.read_from_replica is False
	verdict = replica.current_verdict(conf)
	assert not verdict["usable"] and verdict["reason"].startswith("unreachable")


def test_reports_and_figures_answer_after_the_fallback(conf):
	point_at(conf, closed_port())
	replica.before_job(method="x", kwargs={}, transaction_type="job")
	from crm_app.cx_insights.figures import number_card_result

	card = {"document_type": "CX Lead", "function": "Count"}
	assert number_card_result(card, []) >= 0
	assert frappe.local.db is getattr(frappe.local, "primary_db", frappe.local.db)


def test_server_that_is_not_a_replica_is_not_used(conf):
	# The primary itself: the site's user may not read its replication status, and it replicates nothing.
	point_at(conf, int(conf.db_port or 3306))
	replica.before_request()
	assert conf.read_from_replica is False
	assert not replica.current_verdict(conf)["usable"]


def test_verdict_is_cached_for_a_few_seconds(conf, monkeypatch):
	point_at(conf, closed_port())
	replica.current_verdict(conf)
	monkeypatch.setattr(replica, "probe", lambda conf: pytest.fail("probed again within the cache time"))
	assert not replica.current_verdict(conf)["usable"]
