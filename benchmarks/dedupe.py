"""Duplicate detection over generated contacts: time, memory, precision and recall, printed (never asserted).

No site needed; run with a python that has the app's dependencies (the bench's does):
	~/frappe-bench/env/bin/python benchmarks/dedupe.py            # 1,000,000 contacts
	~/frappe-bench/env/bin/python benchmarks/dedupe.py --count 100000

The contacts come from crm_app/core/quality/synthetic.py: realistic people of four cultures, a fifth of
them duplicates with typos, transliteration between Cyrillic and Latin, phone and email formatting,
swapped names and missing fields. Goals (issue 10): under 120 s for a million on this 2-core machine,
precision and recall both at least 0.95.
Precision and recall are pairwise: a pair of records is "found" when they end in one group.
"""

import argparse
import resource
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_app.core.quality.matching import DEFAULT_THRESHOLD, Party, find_duplicates, prepare
from crm_app.core.quality.synthetic import generate, true_pairs


def as_party(record) -> Party:
	return Party(
		ref=record.id,
		person=f"{record.first_name} {record.last_name}".strip(),
		organisation=record.company,
		emails=(record.email,) if record.email else (),
		phones=(record.phone,) if record.phone else (),
		city=record.city,
	)


def peak_rss_mb() -> float:
	return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
	parser = argparse.ArgumentParser(
		description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
	)
	parser.add_argument("--count", type=int, default=1_000_000)
	parser.add_argument("--seed", type=int, default=0)
	parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
	parser.add_argument("--misses", type=int, default=0, help="print this many missed and wrong pairs")
	args = parser.parse_args()

	started = time.perf_counter()
	records = generate(args.count, seed=args.seed)
	parties = [as_party(record) for record in records]
	print(f"generated {len(records):,} contacts in {time.perf_counter() - started:.1f} s (not counted)")
	by_id = {record.id: record for record in records}
	expected = true_pairs(records)
	del records
	baseline_mb = peak_rss_mb()

	started = time.perf_counter()
	prepared = [prepare(party) for party in parties]
	prepared_in = time.perf_counter() - started
	groups = find_duplicates((), threshold=args.threshold, prepared=prepared)
	elapsed = time.perf_counter() - started

	found = {tuple(sorted(pair)) for group in groups for pair in combinations(group.refs, 2)}
	hits = len(found & expected)
	precision = hits / len(found) if found else 1.0
	recall = hits / len(expected) if expected else 1.0
	sizes = Counter(min(len(group.refs), 5) for group in groups)

	print(f"contacts                {args.count:,}")
	print(f"detection               {elapsed:.1f} s (normalise and key {prepared_in:.1f} s), goal < 120 s")
	print(f"rate                    {args.count / elapsed:,.0f} contacts/s")
	print(f"groups                  {len(groups):,} (sizes: {dict(sorted(sizes.items()))}, 5 = five or more)")
	print(f"pairs found / expected  {len(found):,} / {len(expected):,}")
	print(f"precision               {precision:.4f}, goal >= 0.95")
	print(f"recall                  {recall:.4f}, goal >= 0.95")
	print(
		f"peak memory             {peak_rss_mb():,.0f} MB ({peak_rss_mb() - baseline_mb:,.0f} MB above the input)"
	)

	if args.misses:
		missed = sorted(expected - found)[: args.misses]
		wrong = sorted(found - expected)[: args.misses]
		for title, pairs in (("missed", missed), ("wrong", wrong)):
			print(f"\n{title}:")
			for left, right in pairs:
				a, b = by_id[left], by_id[right]
				print(f"  {b.mutations or a.mutations}")
				for r in (a, b):
					print(
						f"    {r.first_name} {r.last_name} | {r.email} | {r.phone} | {r.company} | {r.city}"
					)


if __name__ == "__main__":
	main()
