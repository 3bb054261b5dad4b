"""Whether a read replica may answer reads now.

A replica answers reads only while it is reachable, both replication threads run, and it is no more than
`max_lag` seconds behind the primary. Anything unknown (no replication configured, a lag the server does
not report, a status we may not read) counts as unhealthy: reads then go to the primary, which is always
right, only slower.
"""

from dataclasses import dataclass

DEFAULT_MAX_LAG = 30  # seconds; site config `cx_replica_max_lag`


@dataclass(frozen=True)
class ReplicaState:
	"""What a probe of the replica found. `status` is its SHOW SLAVE STATUS row (None: not a replica)."""

	reachable: bool
	status: dict | None = None
	error: str = ""


@dataclass(frozen=True)
class Verdict:
	usable: bool
	reason: str


def max_lag(configured) -> int:
	"""The configured lag limit in whole seconds; the default when unset or not a number."""
	if configured in (None, "") or isinstance(configured, bool):
		return DEFAULT_MAX_LAG
	try:
		return max(0, int(float(configured)))
	except (TypeError, ValueError):
		return DEFAULT_MAX_LAG


def verdict(state: ReplicaState, lag_limit: int) -> Verdict:
	if not state.reachable:
		return Verdict(False, f"unreachable: {state.error}" if state.error else "unreachable")
	if state.error:
		return Verdict(False, f"replication status unreadable: {state.error}")
	status = state.status
	if not status:
		return Verdict(False, "not replicating (no replication configured)")
	for thread in ("Slave_IO_Running", "Slave_SQL_Running"):
		if status.get(thread) != "Yes":
			return Verdict(False, f"{thread} = {status.get(thread)}")
	lag = status.get("Seconds_Behind_Master")
	if lag is None:
		return Verdict(False, "lag unknown")
	if int(lag) > lag_limit:
		return Verdict(False, f"{lag} s behind (limit {lag_limit} s)")
	return Verdict(True, f"{lag} s behind")
