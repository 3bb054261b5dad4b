"""Knowledge-base search figures, printed (never asserted). Pure Python, no site needed:
	python3 benchmarks/kb_search.py [--docs 10000] [--seed 7]

(a) Quality on the labelled set (tests/unit/data/kb_articles.json, kb_questions.json): recall@5, hit@5
    and MRR per question language and overall. Goal: recall@5 >= 0.9.
(b) Speed against a synthetic collection of published articles (labelled ones recombined with filler
    vocabulary): the core's part of one suggestion, i.e. analysing the query plus ranking the postings of
    its terms, as the shell would fetch them, in p50/p95 ms. Goal: under 100 ms including the shell's SQL.
    Measured for the questions and for issue-sized texts (subject + a 100-200 word description).
"""

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_app.core.service.articles import (
	Index,
	analyse,
	document_terms,
	focus_terms,
	issue_query,
	rank,
	strip_html,
)

DATA = Path(__file__).resolve().parent.parent / "tests" / "unit" / "data"
K = 5


def load() -> tuple[list[dict], list[dict]]:
	articles = json.loads((DATA / "kb_articles.json").read_text(encoding="utf-8"))
	questions = json.loads((DATA / "kb_questions.json").read_text(encoding="utf-8"))
	return articles, questions


def quality(articles: list[dict], questions: list[dict]) -> None:
	index = Index()
	for article in articles:
		index.add(article["id"], article["title"], article["body"], article["language"], article["category"])
	by_language: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
	misses = []
	for question in questions:
		found = [doc_id for doc_id, _ in index.search(question["question"], limit=K)]
		relevant = set(question["relevant"])
		recall = len(relevant & set(found)) / len(relevant)
		hit = 1.0 if relevant & set(found) else 0.0
		first = next((rank_ + 1 for rank_, doc_id in enumerate(found) if doc_id in relevant), None)
		by_language[question["language"]].append((recall, hit, 1 / first if first else 0.0))
		if recall < 1:
			misses.append(f"  {question['id']}: {question['question']!r} -> {found}")

	print(f"(a) Labelled set: {len(articles)} articles, {len(questions)} questions")
	print(f"  {'language':<10}{'questions':>10}{'recall@5':>10}{'hit@5':>8}{'MRR':>7}")
	rows = [*sorted(by_language.items()), ("all", [row for rows in by_language.values() for row in rows])]
	for language, rows_ in rows:
		recall, hit, mrr = (statistics.fmean(column) for column in zip(*rows_, strict=True))
		print(f"  {language:<10}{len(rows_):>10}{recall:>10.3f}{hit:>8.3f}{mrr:>7.3f}")
	print("  not fully found:" if misses else "  every relevant article found")
	print("\n".join(misses))


def filler_vocabulary(rng: random.Random, size: int) -> list[str]:
	"""Pseudo-words in Latin and Cyrillic letters, so the collection has a long tail of rare terms."""
	latin, cyrillic = "aeioubcdfghklmnprstwz", "аеиоуібвгдзклмнпрстх"
	words = []
	for i in range(size):
		letters = latin if i % 2 else cyrillic
		words.append("".join(rng.choice(letters) for _ in range(rng.randint(4, 10))))
	return words


def synthetic_collection(articles: list[dict], n_docs: int, rng: random.Random) -> list[tuple]:
	"""Articles made of sentences of the labelled ones (same language) plus Zipf-distributed filler."""
	sentences: dict[str, list[str]] = defaultdict(list)
	for article in articles:
		text = strip_html(article["body"])
		sentences[article["language"]] += [s.strip() for s in text.split(". ") if s.strip()]
	filler = filler_vocabulary(rng, 30_000)
	weights = [1 / (rank_ + 1) for rank_ in range(len(filler))]
	docs = []
	for i in range(n_docs):
		base = articles[i % len(articles)]
		language = base["language"]
		body = " ".join(rng.sample(sentences[language], k=min(5, len(sentences[language]))))
		body += " " + " ".join(rng.choices(filler, weights=weights, k=rng.randint(40, 120)))
		title_words = base["title"].split()
		title = " ".join(rng.sample(title_words, k=max(1, len(title_words) - 1)) + rng.choices(filler, k=2))
		docs.append((f"syn-{i}", title, body, language, base["category"]))
	return docs


def percentiles(values: list[float]) -> str:
	values = sorted(values)
	p50 = values[len(values) // 2]
	p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
	return f"p50 {p50:7.2f}  p95 {p95:7.2f}  max {values[-1]:7.2f}"


def speed(articles: list[dict], questions: list[dict], n_docs: int, seed: int) -> None:
	rng = random.Random(seed)
	docs = synthetic_collection(articles, n_docs, rng)
	started = time.perf_counter()
	index = Index()
	for doc_id, title, body, language, category in docs:
		index.add_terms(doc_id, document_terms(title, body, language, category=category))
	build = time.perf_counter() - started
	doc_freqs = index.doc_freqs()
	# The shell's worker holds no such index; keep the collector from walking it during the timings.
	gc.collect()
	gc.freeze()
	print(
		f"\n(b) Synthetic collection: {len(index)} articles, {len(doc_freqs)} terms, "
		f"{sum(doc_freqs.values())} postings"
	)
	print(f"  analysing and indexing them: {build:.1f} s ({build / len(index) * 1000:.2f} ms per article)")

	bodies = [strip_html(article["body"]) for article in articles]
	issues = [
		(question["question"], " ".join(rng.sample(bodies, 2)) + " " + question["question"])
		for question in questions
	]
	scenarios = {
		"question (search box)": [(lambda q=q: analyse(q["question"])) for q in questions],
		"issue subject + description": [(lambda s=s, d=d: issue_query(s, d)) for s, d in issues],
		"same, 24 most telling terms": [
			(lambda s=s, d=d: focus_terms(issue_query(s, d), doc_freqs, len(index))) for s, d in issues
		],
	}
	print("  per query, ms (core = analyse + rank; the shell's SQL fetch of these rows comes on top):")
	for name, makers in scenarios.items():
		core, analyse_ms, rank_ms, rows = [], [], [], []
		for _ in range(3):
			for make_query in makers:
				t0 = time.perf_counter()
				query = make_query()
				t1 = time.perf_counter()
				postings = index.postings_for(query)
				t2 = time.perf_counter()
				rank(query, postings, index.doc_lengths, len(index), index.avg_len, limit=K)
				t3 = time.perf_counter()
				analyse_ms.append((t1 - t0) * 1000)
				rank_ms.append((t3 - t2) * 1000)
				core.append((t1 - t0 + t3 - t2) * 1000)
				rows.append(sum(len(entries) for entries in postings.values()))
		print(f"  {name}:")
		print(f"    analyse  {percentiles(analyse_ms)}")
		print(f"    rank     {percentiles(rank_ms)}")
		print(f"    core     {percentiles(core)}")
		print(f"    postings rows fetched: p50 {sorted(rows)[len(rows) // 2]}, max {max(rows)}")


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--docs", type=int, default=10_000)
	parser.add_argument("--seed", type=int, default=7)
	args = parser.parse_args()
	articles, questions = load()
	quality(articles, questions)
	speed(articles, questions, args.docs, args.seed)


if __name__ == "__main__":
	main()
