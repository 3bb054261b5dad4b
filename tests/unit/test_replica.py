import pytest

from crm_app.core.replica import DEFAULT_MAX_LAG, ReplicaState, max_lag, verdict

HEALTHY = {"Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes", "Seconds_Behind_Master": 0}


def status(**changes):
	return {**HEALTHY, **changes}


def test_replica_in_step_is_used():
	assert verdict(ReplicaState(True, status()), 30).usable


def test_lag_up_to_the_limit_is_accepted():
	assert verdict(ReplicaState(True, status(Seconds_Behind_Master=30)), 30).usable


def test_lag_beyond_the_limit_falls_back():
	found = verdict(ReplicaState(True, status(Seconds_Behind_Master=31)), 30)
	assert not found.usable
	assert "31 s behind" in found.reason


def test_unreachable_replica_falls_back_and_says_why():
	found = verdict(ReplicaState(False, error="Connection refused"), 30)
	assert not found.usable
	assert "Connection refused" in found.reason


@pytest.mark.parametrize(
	"changes",
	[
		{"Slave_SQL_Running": "No", "Seconds_Behind_Master": None},  # STOP SLAVE SQL_THREAD
		{"Slave_IO_Running": "Connecting"},  # primary unreachable from the replica: lag unknowable
		{"Slave_IO_Running": "No"},
		{"Seconds_Behind_Master": None},
	],
)
def test_stopped_or_unknown_replication_falls_back(changes):
	assert not verdict(ReplicaState(True, status(**changes)), 30).usable


def test_server_that_is_not_a_replica_is_not_used():
	assert not verdict(ReplicaState(True, None), 30).usable


def test_unreadable_status_is_not_trusted():
	found = verdict(ReplicaState(True, None, error="Access denied; you need SLAVE MONITOR"), 30)
	assert not found.usable
	assert "unreadable" in found.reason


@pytest.mark.parametrize(
	"configured, expected",
	[
		(None, DEFAULT_MAX_LAG),
		("", DEFAULT_MAX_LAG),
		("ten", DEFAULT_MAX_LAG),
		(True, DEFAULT_MAX_LAG),
		(5, 5),
		("12", 12),
		(2.7, 2),
		(-3, 0),
	],
)
def test_max_lag_from_site_config(configured, expected):
	assert max_lag(configured) == expected
