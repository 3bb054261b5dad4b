"""Where reads and writes go on a site reading from a replica (scripts/replica.sh), told by MariaDB itself.

	~/frappe-bench/env/bin/python benchmarks/replica/check.py --site bench-books.localhost

It serves the site (`frappe serve`, Frappe's own request path) and, over HTTP as Administrator, runs every
CX script report, the workspace's number cards and dashboard charts, and three writes (a lead, a deal's stage
move, a call log). Around each step it reads both servers' per-user counters (INFORMATION_SCHEMA.
USER_STATISTICS with `userstat` on, restored afterwards) for the site's database user only, so other sites
and replication's own applier do not count. Then it stops the replica's SQL thread (a replica falling
behind), then the whole replica server, and does the writes and reads again: the writes land on the primary
and the reads answer from it (after the 5 s a verdict is kept: within it, reads of a replica that just
died fail). Primary counters include anything else the site does meanwhile (scheduler, workers, other
clients); the replica has no other client. The replica is started again and caught up at the end. It prints; it never
asserts (a counter table is the evidence).
"""

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
REPORTS = (
	"CX Sales Funnel",
	"CX Pipeline Forecast",
	"CX Rep Performance",
	"CX Stale Pipeline",
	"CX Lost Opportunity Analysis",
	"CX Deals and Invoices",
)
REPORT_FILTERS = {"from_date": "2025-12-01", "to_date": "2026-11-30", "view": "Deals", "group_by": "Reason"}
STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation")
VERDICT_CACHE = 6  # seconds: crm_app/replica.py keeps a verdict 5 s
COUNTERS = ("SELECT_COMMANDS", "ROWS_READ", "ROWS_INSERTED", "ROWS_UPDATED")


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="bench-books.localhost")
	parser.add_argument("--bench", default=os.path.expanduser("~/frappe-bench"))
	parser.add_argument("--port", type=int, default=8011)
	parser.add_argument("--password", default="admin", help="Administrator's password")
	args = parser.parse_args()
	conf = json.loads((Path(args.bench) / "sites" / args.site / "site_config.json").read_text())
	if not conf.get("read_from_replica"):
		sys.exit(f"{args.site} does not read from a replica: run scripts/replica.sh {args.bench} {args.site}")
	servers = {
		"primary": Server(["-h127.0.0.1", "-P3306", "-uroot", "-proot"], conf["db_name"]),
		"replica": Server(["-uroot", "-S/run/mysqld-replica/mysqld.sock"], conf["db_name"]),
	}
	userstat = {name: server.scalar("select @@userstat") for name, server in servers.items()}
	for server in servers.values():
		server.sql("set global userstat = 1")
	serve = start_site(args)
	rows = []
	try:
		site = Site(args.port, args.password)
		measure = Measure(servers, rows)
		run_everything(site, measure, "replica healthy")

		servers["replica"].sql("stop slave sql_thread")
		measure("stop slave sql_thread", lambda: "")
		time.sleep(VERDICT_CACHE)
		run_everything(site, measure, "replica SQL thread stopped")

		replica_script(args, "stop")
		servers["replica"].down = True
		time.sleep(VERDICT_CACHE)  # a replica that dies between two probes fails reads until the next one
		run_everything(site, measure, "replica server stopped")
	finally:
		serve.terminate()
		serve.wait()
		replica_script(args, "start")
		servers["replica"].down = False
		servers["replica"].sql("start slave")
		for name, server in servers.items():
			server.sql(f"set global userstat = {userstat[name] or 0}")
		print_table(rows)
	print()
	print(servers["replica"].status())


def run_everything(site, measure, phase):
	print(f"-- {phase}", flush=True)
	measure(f"[{phase}]", lambda: "")
	for report in REPORTS:
		measure(f"report {report}", lambda report=report: site.report(report))
	for card in site.workspace("number_cards", "number_card_name"):
		measure(f"card {card}", lambda card=card: site.card(card))
	for chart in site.workspace("charts", "chart_name"):
		measure(f"chart {chart}", lambda chart=chart: site.chart(chart))
	lead = {}
	measure("write: insert CX Lead", lambda: lead.update(name=site.insert_lead()) or lead["name"])
	measure("write: move a deal's stage", site.move_deal)
	measure("write: log a call", lambda: site.log_call(lead.get("name")))


class Server:
	def __init__(self, login: list[str], user: str):
		self.login, self.user, self.down = login, user, False

	def sql(self, query: str) -> str:
		done = subprocess.run(
			["mariadb", *self.login, "-N", "-B", "-e", query], capture_output=True, text=True, check=False
		)
		if done.returncode:
			raise RuntimeError(done.stderr.strip())
		return done.stdout.strip()

	def scalar(self, query: str) -> str:
		return self.sql(query).split("\n")[0]

	def counters(self) -> dict:
		if self.down:
			return dict.fromkeys(COUNTERS)
		found = self.sql(
			f"select {', '.join(COUNTERS)} from information_schema.user_statistics where user = '{self.user}'"
		)
		return (
			dict(zip(COUNTERS, map(int, found.split()), strict=False))
			if found
			else dict.fromkeys(COUNTERS, 0)
		)

	def status(self) -> str:
		return self.sql(
			"select concat('replica after the run: IO=', (select variable_value from information_schema."
			"global_status where variable_name='slave_running'), ' gtid_slave_pos=', @@gtid_slave_pos)"
		)


class Measure:
	"""Calls a step and keeps what each server counted for the site's user meanwhile."""

	def __init__(self, servers: dict, rows: list):
		self.servers, self.rows = servers, rows

	def __call__(self, label: str, step) -> None:
		before = {name: server.counters() for name, server in self.servers.items()}
		started = time.perf_counter()
		try:
			outcome = str(step())[:28] or "-"
		except Exception as error:  # a failed step is a row of the table, not the end of the run
			outcome = f"FAILED {str(error)[:60]}"
		elapsed = time.perf_counter() - started
		after = {name: server.counters() for name, server in self.servers.items()}
		self.rows.append(
			(
				label,
				outcome,
				elapsed,
				delta(before["primary"], after["primary"]),
				delta(before["replica"], after["replica"]),
			)
		)


def delta(before: dict, after: dict) -> dict:
	return {
		key: None if after[key] is None or before[key] is None else after[key] - before[key]
		for key in COUNTERS
	}


class Site:
	def __init__(self, port: int, password: str):
		self.base = f"http://127.0.0.1:{port}"
		self.http = requests.Session()
		self.post("/api/method/login", data={"usr": "Administrator", "pwd": password})

	def post(self, path: str, **kwargs):
		response = self.http.post(self.base + path, timeout=300, **kwargs)
		if response.status_code != 200:
			raise RuntimeError(f"HTTP {response.status_code} {response.text[:200]}")
		return response.json()

	def get(self, path: str, **params):
		response = self.http.get(self.base + path, params=params, timeout=60)
		response.raise_for_status()
		return response.json()

	def call(self, method: str, **data):
		return self.post(f"/api/method/{method}", data=data).get("message")

	def report(self, name: str) -> str:
		filters = json.dumps(REPORT_FILTERS)
		found = self.call(
			"frappe.desk.query_report.run", report_name=name, filters=filters, ignore_prepared_report=1
		)
		return f"{len(found.get('result') or [])} rows"

	def workspace(self, table: str, field: str) -> list[str]:
		return [row[field] for row in self.get("/api/resource/Workspace/Customer Relations")["data"][table]]

	def card(self, name: str) -> str:
		card = self.get(f"/api/resource/Number Card/{name}")["data"]
		method = "frappe.desk.doctype.number_card.number_card.get_result"
		return str(self.call(method, doc=json.dumps(card), filters=card.get("filters_json") or "[]"))

	def chart(self, name: str) -> str:
		method = "frappe.desk.doctype.dashboard_chart.dashboard_chart.get"
		data = self.call(method, chart_name=name, refresh=1) or {}
		return f"{len(data.get('labels') or [])} points"

	def insert_lead(self) -> str:
		token = uuid.uuid4().hex[:8]
		lead = {
			"first_name": "Replica",
			"last_name": f"Check {token}",
			"email_id": f"replica-{token}@example.com",
		}
		return self.post("/api/resource/CX Lead", json=lead)["data"]["name"]

	def move_deal(self) -> str:
		deals = self.get(
			"/api/resource/CX Opportunity",
			filters=json.dumps([["status", "=", "Open"]]),
			fields=json.dumps(["name", "sales_stage"]),
			limit_page_length=1,
		)["data"]
		deal = deals[0]
		stage = next(stage for stage in STAGES if stage != deal["sales_stage"])
		self.call(
			"frappe.client.set_value",
			doctype="CX Opportunity",
			name=deal["name"],
			fieldname="sales_stage",
			value=stage,
		)
		return f"{deal['name']} -> {stage}"

	def log_call(self, lead: str | None) -> str:
		call = {
			"reference_doctype": "CX Lead",
			"reference_name": lead,
			"direction": "Outgoing",
			"outcome": "Connected",
			"call_start": "2026-11-30 10:00:00",
			"summary": "replica check",
		}
		return self.post("/api/resource/CX Call Log", json=call)["data"]["name"]


def start_site(args) -> subprocess.Popen:
	"""`frappe serve` on the port: one process, one thread, Frappe's whole request path."""
	command = [
		f"{args.bench}/env/bin/python", "-m", "frappe.utils.bench_helper", "frappe", "--site", args.site,
		"serve", "--port", str(args.port), "--noreload", "--nothreading",
	]  # fmt: skip
	log = open(f"/tmp/replica-check-{args.port}.log", "w")
	serve = subprocess.Popen(command, cwd=f"{args.bench}/sites", stdout=log, stderr=subprocess.STDOUT)
	for _ in range(60):
		try:
			requests.get(f"http://127.0.0.1:{args.port}/api/method/ping", timeout=2)
			return serve
		except requests.ConnectionError:
			time.sleep(1)
	serve.terminate()
	sys.exit(f"frappe serve did not answer on port {args.port}; see {log.name}")


def replica_script(args, action: str) -> None:
	print(f"-- scripts/replica.sh {action}", flush=True)
	subprocess.run(
		[str(REPO / "scripts/replica.sh"), args.bench, args.site, action],
		check=True,
		stdout=subprocess.DEVNULL,
	)


def print_table(rows) -> None:
	def cell(counts: dict) -> str:
		if counts["SELECT_COMMANDS"] is None:
			return f"{'(down)':>27}"
		written = counts["ROWS_INSERTED"] + counts["ROWS_UPDATED"]
		return f"{counts['SELECT_COMMANDS']:>6} {counts['ROWS_READ']:>10} {written:>9}"

	print()
	print(
		"Per step, MariaDB's USER_STATISTICS for the site's database user: selects, rows read, rows written"
	)
	head = f"{'selects':>6} {'rows read':>10} {'written':>9}"
	print(f"{'step':<52} {'answer':<30} {'s':>6} | primary {head} | replica {head}")
	for label, outcome, elapsed, primary, replica in rows:
		if label.startswith(("[", "stop")):
			print(f"{label}")
			continue
		print(
			f"{label[:52]:<52} {outcome[:30]:<30} {elapsed:6.2f} |         {cell(primary)} |         {cell(replica)}"
		)


if __name__ == "__main__":
	main()
