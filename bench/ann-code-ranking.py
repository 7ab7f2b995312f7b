#!/usr/bin/python3
"""How well quantized codes of each width rank a data set by themselves (a numpy model, brute force, no graph):
per query, the fraction of the exact top-10 (groundtruth.ivecs) among the 10 / 20 / 40 rows with the best estimates.

usage: bench/ann-code-ranking.py DATA_DIR [QUERIES=300]     (Debian's python3 with python3-numpy; ip data sets)

Codes as a RaBitQ-style binary index makes them: rows centred on the data mean, unit-normalised, rotated by a random
orthogonal matrix, then per coordinate 1 bit (the sign) or B bits (uniform levels over +-a few standard deviations of
the row, clipped); the estimate of <o - c, q> is |o - c| <ô, Pq> / <ô, Po'>, with the query exact. Mosaic's binary
codec (4-bit query planes, per-coordinate weights) ranks a little better than the 1-bit line here. The numbers tell
how many rows a walk would have to rescore for a recall whatever the graph does: bench/README.md, "Binary at 384-d on
real embeddings".
"""
import sys

import numpy as np


def vecs(path, dtype):
    a = np.fromfile(path, dtype=np.int32)
    return a.reshape(-1, a[0] + 1)[:, 1:].view(dtype)


def main():
    data, nq = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300
    base, query = vecs(f"{data}/base.fvecs", np.float32), vecs(f"{data}/query.fvecs", np.float32)[:nq]
    truth = vecs(f"{data}/groundtruth.ivecs", np.int32)[:nq, :10]
    dim = base.shape[1]
    rotation, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((dim, dim)))
    centred = base - base.mean(0)
    norms = np.linalg.norm(centred, axis=1)
    rows = (centred / norms[:, None]) @ rotation.T
    q = query @ rotation.T
    # Clip levels at about this many standard deviations of a row (chosen by hand for the best top-10 here).
    clip = {2: 1.5, 3: 2.2, 4: 2.8}
    for bits in (1, 2, 3, 4):
        if bits == 1:
            code = np.sign(rows)
        else:
            levels = 2 ** bits
            half = np.minimum(np.abs(rows).max(1, keepdims=True), clip[bits] * rows.std(1, keepdims=True) * (levels - 1) / levels)
            step = 2 * half / (levels - 1)
            code = np.clip(np.round((rows + half) / step), 0, levels - 1) * step - half
        # <c, q> is the same for every row of a query, so it is left out of the ranking.
        estimate = norms * (q @ code.T) / (code * rows).sum(1)
        found = []
        for top in (10, 20, 40):
            best = np.argpartition(-estimate, top, axis=1)[:, :top]
            found.append(np.mean([len(set(truth[i]) & set(best[i])) / 10 for i in range(len(truth))]))
        print(f"{bits}-bit codes: true top-10 among the best 10 / 20 / 40 estimates: " + " / ".join(f"{f:.3f}" for f in found))


if __name__ == "__main__":
    main()
