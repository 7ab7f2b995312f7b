#!/usr/bin/env python3
"""Result cache: hit p50 vs miss p50, and QPS at a Zipf query mix with the cache on and off.

Usage: bench/cache.py CLI_DLL [DOCS] [REQUESTS]
Starts `mosaic serve` twice on 127.0.0.1 (cache on, then Mosaic:Cache:Results:Enabled=false), loads DOCS keyword
documents, and measures with 4 client threads. Stops by itself; everything stays on this machine.
"""
import json, os, random, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def call(base, method, path, body=None, ctype="application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")

def start(dll, extra, prefix="mosaic-cache-bench-"):
    port, data = free_port(), tempfile.mkdtemp(prefix=prefix)
    proc = subprocess.Popen(["dotnet", dll, "serve", "--port", str(port), "--data", data, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/ready", timeout=2); return proc, base
        except Exception:
            time.sleep(0.2)
    proc.kill(); raise SystemExit("server did not start")

WORDS = [f"w{i}" for i in range(2000)]

def load(base, docs, rng):
    call(base, "PUT", "/collections/b", {"dimension": 0, "shards": 4})
    lines = []
    for i in range(docs):
        lines.append(json.dumps({"id": f"d{i}", "text": " ".join(rng.choice(WORDS) for _ in range(12))}))
        if len(lines) == 1000 or i == docs - 1:
            call(base, "POST", "/collections/b/docs:bulk", ("\n".join(lines) + "\n").encode(), "application/x-ndjson"); lines = []

def search(base, q):
    t = time.perf_counter()
    a = call(base, "POST", "/collections/b/search", {"mode": "keyword", "query": q, "top_k": 10})
    return (time.perf_counter() - t) * 1000, a["cached"]

def zipf_queries(rng, n, distinct=1000, s=1.1):
    weights = [1 / (k ** s) for k in range(1, distinct + 1)]
    qs = [f"{WORDS[k % len(WORDS)]} {WORDS[(k * 7 + 3) % len(WORDS)]}" for k in range(distinct)]
    return rng.choices(qs, weights=weights, k=n)

def run_mix(base, queries, threads=4):
    chunks = [queries[i::threads] for i in range(threads)]
    hits = [0]; lock = threading.Lock()
    def work(chunk):
        for q in chunk:
            _, cached = search(base, q)
            if cached:
                with lock: hits[0] += 1
    t = time.perf_counter()
    ts = [threading.Thread(target=work, args=(c,)) for c in chunks]
    [x.start() for x in ts]; [x.join() for x in ts]
    return len(queries) / (time.perf_counter() - t), hits[0] / len(queries)

def main():
    dll = sys.argv[1]; docs = int(sys.argv[2]) if len(sys.argv) > 2 else 20000; n = int(sys.argv[3]) if len(sys.argv) > 3 else 4000
    rng = random.Random(7)
    for label, extra in [("on", []), ("off", ["--Mosaic:Cache:Results:Enabled=false"])]:
        proc, base = start(dll, extra)
        try:
            load(base, docs, rng)
            for q in zipf_queries(random.Random(1), 200):  # warm-up (JIT, connections)
                search(base, q + " warm")
            if label == "on":
                miss, hit = [], []
                for i in range(300):
                    q = f"{WORDS[i]} {WORDS[i + 1000]}"
                    ms, cached = search(base, q); assert not cached; miss.append(ms)
                    ms, cached = search(base, q); assert cached; hit.append(ms)
                print(f"hit p50 {statistics.median(hit):.2f} ms, miss p50 {statistics.median(miss):.2f} ms (300 each, one client)")
            qps, hit_rate = run_mix(base, zipf_queries(random.Random(2), n))
            print(f"cache {label}: Zipf(1.1) over 1000 queries, {n} searches, 4 clients: {qps:.0f} QPS, hit rate {hit_rate:.2f}")
        finally:
            proc.terminate(); proc.wait()

if __name__ == "__main__":
    main()
