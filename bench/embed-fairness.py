#!/usr/bin/env python3
"""Embedding fairness: latency of a small embedding request and of a semantic search, alone and while one large
POST /v1/embeddings runs on the same server.

Usage: bench/embed-fairness.py CLI_DLL [LARGE_TEXTS] [WORDS_PER_TEXT]
Starts `mosaic serve` on 127.0.0.1 with the embedding cache off (every text is a model run), measures, stops it.
LARGE_TEXTS (default 160) texts of WORDS_PER_TEXT (default 120, past the model's 512-token window) make the large
request; the small one is one short sentence, the search a `query` on a 20-document `embed: minilm` collection.
"""
import json, statistics, sys, threading, time, urllib.request

from cache import start  # the same `mosaic serve` on a free port

def call(base, path, body, method="POST"):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=900) as r:
        return json.loads(r.read() or b"null")

SUBJECTS = ["the harbour", "a violinist", "our neighbour", "the old library", "a mountain guide", "the bakery"]
def sentence(i): return f"{SUBJECTS[i % 6]} visited the lighthouse number {i} in {1900 + i % 123}."
def long_text(i, words): return " ".join(f"{SUBJECTS[(i + j) % 6]} item{i}x{j}" for j in range(words // 3))

def timed(f):
    t = time.perf_counter(); f(); return (time.perf_counter() - t) * 1000

def summary(ms): return f"n={len(ms)} p50={statistics.median(ms):.0f} ms max={max(ms):.0f} ms" if ms else "n=0"

def main():
    dll = sys.argv[1]
    large_n = int(sys.argv[2]) if len(sys.argv) > 2 else 160
    words = int(sys.argv[3]) if len(sys.argv) > 3 else 120
    proc, base = start(dll, ["--Mosaic:Embedder:CacheEntries=0", "--Mosaic:Embedder:MaxRequestCharacters=10000000"], "mosaic-fairness-bench-")
    try:
        call(base, "/collections/fair", {"embed": {"model": "minilm"}, "shards": 1}, "PUT")
        for i in range(20):
            call(base, f"/collections/fair/docs/d{i}", {"text": sentence(i)}, "PUT")
        seq = iter(range(10_000_000))
        small = lambda: call(base, "/v1/embeddings", {"model": "minilm", "input": sentence(100_000 + next(seq))})
        search = lambda: call(base, "/collections/fair/search", {"mode": "vector", "query": sentence(200_000 + next(seq)), "timeout_ms": 60_000})
        for _ in range(3):
            small(); search()
        alone_small = [timed(small) for _ in range(20)]
        alone_search = [timed(search) for _ in range(20)]

        done = threading.Event(); large_ms = []
        def large():
            large_ms.append(timed(lambda: call(base, "/v1/embeddings", {"model": "minilm", "input": [long_text(i, words) for i in range(large_n)]})))
            done.set()
        t = threading.Thread(target=large); t.start()
        time.sleep(1.0)
        during_small, during_search, before_large = [], [], 0
        while not done.is_set():
            during_small.append(timed(small))
            before_large += not done.is_set()
            if not done.is_set():
                during_search.append(timed(search))
        t.join()
        print(f"large request: {large_n} texts x ~{words} words: {large_ms[0] / 1000:.1f} s")
        print(f"small embed, alone:       {summary(alone_small)}")
        print(f"small embed, during:      {summary(during_small)} ({before_large} answered before the large request)")
        print(f"semantic search, alone:   {summary(alone_search)}")
        print(f"semantic search, during:  {summary(during_search)}")
    finally:
        proc.terminate(); proc.wait()

main()
