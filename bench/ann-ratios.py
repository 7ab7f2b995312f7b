#!/usr/bin/env python3
"""Ratios between the variants of one bench/ann MOSAIC_BENCH_COMPARE run, read from its printed lines.

usage: bench/ann-ratios.py LOG [LOG...] [--base=NAME] [--targets=0.9,0.95]

For each variant: CPU-us per query and QPS at each recall target, log-interpolated between the measured ef points
the way ../shared/bench/compare.py does for QPS ('-' when never reached), and both as ratios to NAME (default the
first variant): CPU-us baseline/variant, QPS variant/baseline. The variants of one run were measured in turn, so they
saw the same background load; with several LOGs of the same command each (variant, ef) keeps its best CPU-us and QPS
over all of them (the best of all their loops, as one run keeps the best of its RUNS).
"""
import math, re, sys

LINE = re.compile(r"^\[(?P<name>[^\]]+)\] ef=\s*(?P<ef>\d+) recall@\d+=(?P<recall>[\d.]+) (?P<cpu>[\d.]+) CPU-us/query, (?P<qps>\d+) qps")


def at(points, target, value):
    pts = sorted((p["recall"], p[value]) for p in points)
    for (r0, v0), (r1, v1) in zip(pts, pts[1:]):
        if r0 <= target <= r1:
            if r1 == r0:
                return v0
            t = (target - r0) / (r1 - r0)
            return math.exp(math.log(v0) + t * (math.log(v1) - math.log(v0)))
    # Reached at the first point already: the cheapest point that reaches it (as compare.py takes the best QPS).
    over = [v for r, v in pts if r >= target]
    if not over:
        return None
    return min(over) if value == "cpu" else max(over)


def main():
    logs = [a for a in sys.argv[1:] if not a.startswith("--")]
    options = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
    targets = [float(t) for t in options.get("targets", "0.9,0.95").split(",")]
    best = {}
    for log in logs:
        for line in open(log):
            m = LINE.match(line)
            if m:
                key = (m["name"], int(m["ef"]))
                point = best.setdefault(key, {"recall": float(m["recall"]), "cpu": float(m["cpu"]), "qps": float(m["qps"])})
                point["cpu"] = min(point["cpu"], float(m["cpu"]))
                point["qps"] = max(point["qps"], float(m["qps"]))
    variants = {}
    for (name, _), point in best.items():
        variants.setdefault(name, []).append(point)
    base = options.get("base", next(iter(variants)))
    fmt = lambda v, f: "-" if v is None else f.format(v)
    for t in targets:
        print(f"recall {t}: variant | CPU-us | QPS | CPU ratio | QPS ratio (to {base})")
        bc, bq = at(variants[base], t, "cpu"), at(variants[base], t, "qps")
        for name, pts in variants.items():
            c, q = at(pts, t, "cpu"), at(pts, t, "qps")
            rc = bc / c if c and bc else None
            rq = q / bq if q and bq else None
            print(f"  {name} | {fmt(c, '{:.1f}')} | {fmt(q, '{:.0f}')} | {fmt(rc, '{:.2f}x')} | {fmt(rq, '{:.2f}x')}")


if __name__ == "__main__":
    main()
