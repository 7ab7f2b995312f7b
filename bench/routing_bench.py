"""Loads the same documents into a routed and a plain collection, then times the same filtered searches on both.

Usage: routing_bench.py URL DOCS CATEGORIES QUERIES SHARDS SLOTS (run by bench/routing, which starts the server).
Categories follow a Zipf law (s = 1), so the first is hot; queries pick categories uniformly, one at a time (closed
loop, one client), each a keyword search for a common word filtered with eq (70%) or in of two values (30%).
"""
import http.client
import json
import random
import statistics
import sys
import time
from urllib.parse import urlparse

url, docs, categories, queries, shards, slots = sys.argv[1], *map(int, sys.argv[2:7])
target = urlparse(url)
conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)


def call(method, path, body=None, content_type="application/json"):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={"Content-Type": content_type} if data else {})
    response = conn.getresponse()
    text = response.read()
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: {response.status} {text[:300]!r}")
    return json.loads(text) if text else None


rng = random.Random(42)
names = [f"c{i:03d}" for i in range(categories)]
weights = [1 / (i + 1) for i in range(categories)]
words = ["alpha", "beta", "gamma", "delta", "common"]
rows = [(f"d{i}", rng.choices(names, weights)[0], " ".join(rng.choices(words, k=6))) for i in range(docs)]

fields = {"category": "keyword"}
call("PUT", "/collections/routed", {"shards": shards, "fields": fields, "routing": {"field": "category", "slots": slots}})
call("PUT", "/collections/plain", {"shards": shards, "fields": fields})
token = {}
for collection in ("routed", "plain"):
    started = time.perf_counter()
    for at in range(0, docs, 2000):
        lines = "\n".join(json.dumps({"id": i, "text": t, "fields": {"category": c}}) for i, c, t in rows[at:at + 2000])
        token[collection] = call("POST", f"/collections/{collection}/docs:bulk", lines.encode(), "application/x-ndjson")["token"]
    print(f"load {collection}: {docs} docs in {time.perf_counter() - started:.1f} s")

# Every shard applied everything before timing starts.
for collection in ("routed", "plain"):
    call("POST", f"/collections/{collection}/search", {"query": "common", "top_k": 1, "consistency": {"after": token[collection]}, "timeout_ms": 60000})

plan = []
for _ in range(queries):
    values = rng.sample(names, 2) if rng.random() < 0.3 else [rng.choice(names)]
    plan.append({"field": "category", "in": values} if len(values) > 1 else {"field": "category", "eq": values[0]})

answers = {}
report = []
for collection in ("routed", "plain"):
    for f in plan[:50]:  # warm-up
        call("POST", f"/collections/{collection}/search", {"query": "common", "top_k": 10, "filter": f})
    latencies, visited, hits = [], [], []
    started = time.perf_counter()
    for f in plan:
        t0 = time.perf_counter()
        answer = call("POST", f"/collections/{collection}/search", {"query": "common", "top_k": 10, "filter": f, "include": []})
        latencies.append((time.perf_counter() - t0) * 1000)
        visited.append(answer["shards"]["total"])
        hits.append(sorted(h["id"] for h in answer["hits"]))
    elapsed = time.perf_counter() - started
    latencies.sort()
    answers[collection] = hits
    report.append((collection, statistics.mean(visited), latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)], len(plan) / elapsed))

same = sum(a == b for a, b in zip(answers["routed"], answers["plain"]))
stats = call("GET", "/collections/routed")
hot = names[0]
print()
print(f"{docs} docs, {categories} categories (Zipf; hottest '{hot}' holds {sum(c == hot for _, c, _ in rows)}), {shards} shards, slots {slots}, {queries} queries")
print()
print("| collection | shards visited (mean) | p50 ms | p99 ms | QPS (1 client) |")
print("|---|---|---|---|---|")
for collection, mean_visited, p50, p99, qps in report:
    print(f"| {collection} | {mean_visited:.2f} of {shards} | {p50:.2f} | {p99:.2f} | {qps:.0f} |")
print()
print(f"same top-10 ids (ties aside) in {same} of {len(plan)} queries")
print("routed per-shard doc counts: " + ", ".join(str(s["doc_count"]) for s in stats.get("shard_stats", [])))
