"""The load test: a sales floor against a site served as in production, figures printed, data checked.

	python3 benchmarks/load/run.py --site bench-load.localhost                  # 50 people, 3-10 s pauses, 5 min
	python3 benchmarks/load/run.py --site bench-load.localhost --saturate       # no pauses, users raised until p95 > 1 s

Uses the bench named by CRM_APP_BENCH (default ~/frappe-bench) with its MariaDB and Redis running
(scripts/services.sh) and a site that has data (demo data or the benchmarks' loads). It starts gunicorn
(--workers), RQ workers (--rq-workers) and the scheduler from the bench, makes API users
(prepare.py), runs locust headless from a virtualenv of its own (benchmarks/load/.venv, locust pinned
in requirements.txt), prints throughput, p50/p95/p99 per action and the error rate, then runs the data
check (check.py) and stops what it started. Never on a production site: it adds users, leads, calls
and conversions, and turns Restrict Sales Users on.
"""

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench"))
VENV = HERE / ".venv"


def locust_binary() -> Path:
	binary = VENV / "bin" / "locust"
	if not binary.exists():
		subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
		subprocess.run(
			[str(VENV / "bin" / "pip"), "install", "-q", "-r", str(HERE / "requirements.txt")], check=True
		)
	return binary


def bench_python(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
	return subprocess.run(
		[str(BENCH / "env" / "bin" / "python"), *args], cwd=BENCH / "sites", text=True, check=check, **kwargs
	)


def start(command: list[str], log: Path) -> subprocess.Popen:
	return subprocess.Popen(
		command, cwd=BENCH / "sites", stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
	)


def serve(args, logs: Path) -> list[subprocess.Popen]:
	python = str(BENCH / "env" / "bin" / "python")
	frappe = [python, "-m", "frappe.utils.bench_helper", "frappe"]
	processes = [
		start(
			[
				str(BENCH / "env" / "bin" / "gunicorn"),
				"--bind",
				f"127.0.0.1:{args.port}",
				"--workers",
				str(args.workers),
				"--threads",
				"1",
				"--timeout",
				"120",
				"--preload",
				"frappe.app:application",
			],
			logs / "gunicorn.log",
		)
	]
	for index in range(args.rq_workers):
		processes.append(
			start([*frappe, "worker", "--queue", "short,default,long"], logs / f"worker{index}.log")
		)
	processes.append(start([python, "-c", ONE_SITE_SCHEDULER, args.site], logs / "scheduler.log"))
	for _ in range(120):
		try:
			urllib.request.urlopen(
				urllib.request.Request(
					f"http://127.0.0.1:{args.port}/api/method/ping", headers={"X-Frappe-Site-Name": args.site}
				),
				timeout=2,
			)
			return processes
		except OSError:
			time.sleep(0.5)
	stop(processes)
	raise SystemExit("gunicorn did not answer on /api/method/ping; see " + str(logs / "gunicorn.log"))


# Frappe's scheduler process enqueues the due jobs of every site on the bench (here, sites holding a
# million records whose daily jobs would run during the test); a production bench for this site runs
# the same loop for it alone.
ONE_SITE_SCHEDULER = """
import sys
import time
import frappe
from frappe.utils.scheduler import enqueue_events

while True:
	frappe.init(site=sys.argv[1], sites_path=".")
	frappe.connect()
	try:
		enqueue_events(site=sys.argv[1])
		frappe.db.commit()
	finally:
		frappe.destroy()
	time.sleep(60)
"""

PENDING_JOBS = """
import sys
import frappe
from frappe.utils.background_jobs import get_queues
from frappe.utils.scheduler import enqueue_events

frappe.init(site=sys.argv[1], sites_path=".")
if sys.argv[2] == "enqueue":
	frappe.connect()
	enqueue_events(site=sys.argv[1])
	frappe.db.commit()
print(sum(queue.count + queue.started_job_registry.count for queue in get_queues()))
frappe.destroy()
"""


def settle(site: str, due_jobs: bool = True, limit: int = 900) -> None:
	"""Wait until the background jobs have run. Before the clock starts, with the scheduler's due jobs: a
	site whose scheduler was off (every bench site here) has a day's jobs due at once, which no running
	site has; during the test the scheduler keeps running and its jobs come at their usual pace. After
	the run, so that the data check sees what the jobs the run queued wrote."""
	started = time.monotonic()
	command = ["-c", PENDING_JOBS, site, "enqueue" if due_jobs else "count"]
	while time.monotonic() - started < limit:
		pending = int(bench_python(*command, capture_output=True).stdout.strip().splitlines()[-1])
		if not pending:
			what = "scheduler jobs due at start" if due_jobs else "jobs queued by the run"
			print(f"{what} ran in {time.monotonic() - started:.0f} s")
			return
		command[-1] = "count"
		time.sleep(5)
	print(f"background jobs still pending after {limit} s; starting anyway")


def stop(processes: list[subprocess.Popen]) -> None:
	for process in processes:
		try:
			os.killpg(process.pid, signal.SIGTERM)
		except ProcessLookupError:
			pass
	for process in processes:
		try:
			process.wait(timeout=30)
		except subprocess.TimeoutExpired:
			os.killpg(process.pid, signal.SIGKILL)


def swarm(
	args, users_file: Path, out_dir: Path, users: int, seconds: int, pause: str, tag: str
) -> list[dict]:
	"""One headless locust run; returns its per-action rows (name, requests, failures, p50, p95, p99, rps)."""
	prefix = out_dir / tag
	env = {
		**os.environ,
		"CRM_LOAD_USERS": str(users_file),
		"CRM_LOAD_SITE": args.site,
		"CRM_LOAD_PAUSE": pause,
		"CRM_LOAD_OUT": str(out_dir / f"{tag}-written.json"),
	}
	subprocess.run(
		[
			str(locust_binary()),
			"-f",
			str(HERE / "locustfile.py"),
			"--headless",
			"--users",
			str(users),
			"--spawn-rate",
			str(max(users // 10, 1)),
			"--run-time",
			f"{seconds}s",
			"--host",
			f"http://127.0.0.1:{args.port}",
			"--csv",
			str(prefix),
			"--only-summary",
			"--loglevel",
			"WARNING",
		],
		env=env,
		check=False,
	)
	with open(f"{prefix}_stats.csv") as file:
		return [
			{
				"name": row["Name"],
				"requests": int(row["Request Count"]),
				"failures": int(row["Failure Count"]),
				"p50": float(row["50%"] or 0),
				"p95": float(row["95%"] or 0),
				"p99": float(row["99%"] or 0),
				"rps": float(row["Requests/s"] or 0),
			}
			for row in csv.DictReader(file)
			if not row["Name"].startswith("(setup)")
		]


def report(title: str, rows: list[dict]) -> None:
	print(f"\n{title}")
	print(
		f"  {'action':<18} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}"
	)
	for row in rows:
		print(
			f"  {row['name']:<18} {row['requests']:>9} {row['failures']:>7} {row['p50']:>8.0f} "
			f"{row['p95']:>8.0f} {row['p99']:>8.0f} {row['rps']:>7.1f}"
		)
	total = next((row for row in rows if row["name"] == "Aggregated"), None)
	if total:  # without the setup requests, which locust's own total counts
		total = {
			"requests": sum(row["requests"] for row in rows if row["name"] != "Aggregated"),
			"failures": sum(row["failures"] for row in rows if row["name"] != "Aggregated"),
			"rps": sum(row["rps"] for row in rows if row["name"] != "Aggregated"),
		}
	if total:
		rate = 100 * total["failures"] / max(total["requests"], 1)
		print(f"  error rate {rate:.2f} %, throughput {total['rps']:.1f} requests/s")


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--users", type=int, default=50)
	parser.add_argument("--minutes", type=float, default=5)
	parser.add_argument("--pause", default="3,10", help="seconds between one person's actions: min,max")
	parser.add_argument("--saturate", action="store_true", help="no pauses; raise users until p95 > 1 s")
	parser.add_argument(
		"--steps", default="5,10,20,40,80,160", help="user counts the saturation run tries, in order"
	)
	parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
	parser.add_argument("--rq-workers", type=int, default=2)
	parser.add_argument("--port", type=int, default=8091)
	args = parser.parse_args()

	out_dir = Path(tempfile.mkdtemp(prefix="crm-load-"))
	prepared = bench_python(str(HERE / "prepare.py"), args.site, capture_output=True).stdout
	users_file = out_dir / "users.json"
	users_file.write_text(prepared.strip().splitlines()[-1])
	print(
		f"site {args.site}; gunicorn workers {args.workers}, RQ workers {args.rq_workers}; output in {out_dir}"
	)
	processes = serve(args, out_dir)
	failed_checks = 0
	try:
		settle(args.site)
		if not args.saturate:
			rows = swarm(args, users_file, out_dir, args.users, int(args.minutes * 60), args.pause, "floor")
			report(f"{args.users} people, pauses {args.pause} s, {args.minutes:g} min", rows)
			settle(args.site, due_jobs=False)
			failed_checks += bench_python(
				str(HERE / "check.py"), args.site, str(out_dir / "floor-written.json"), check=False
			).returncode
		else:
			held, best = None, None
			for users in (int(step) for step in args.steps.split(",")):
				rows = swarm(args, users_file, out_dir, users, 60, "0,0", f"saturate-{users}")
				report(f"{users} users without pauses, 60 s", rows)
				total = next(row for row in rows if row["name"] == "Aggregated")
				if total["p95"] > 1000:
					break
				held = (users, total["rps"])
				best = max(best or held, held, key=lambda step: step[1])
				settle(args.site, due_jobs=False)
				failed_checks += bench_python(
					str(HERE / "check.py"),
					args.site,
					str(out_dir / f"saturate-{users}-written.json"),
					check=False,
				).returncode
			if held:
				print(
					f"\nthroughput held with p95 under 1 s: {best[1]:.1f} requests/s at {best[0]} users (the best "
					f"step); {held[1]:.1f} requests/s at {held[0]} users (the last step before p95 passed 1 s)"
				)
	finally:
		stop(processes)
	raise SystemExit(1 if failed_checks else 0)


if __name__ == "__main__":
	main()
