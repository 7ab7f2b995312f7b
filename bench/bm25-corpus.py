#!/usr/bin/env python3
"""Builds a real-English keyword corpus from text that Debian ships (the Python 3 documentation sources of
package python3-doc, then the English manual pages under /usr/share/man/man*, troff markup stripped), as ../shared/bench/LuceneBm25.java reads it:
  bm25-corpus.py OUT_DIR [MAX_DOCS] [QUERIES] [SEED]
writes OUT_DIR/docs.jsonl ({"id", "text"} per line: prose paragraphs, short ones joined to ~400 B) and
OUT_DIR/queries.json (a list of 1-4 word queries, words drawn from random documents, so frequent words are
frequent in queries too). Deterministic for a seed."""
import glob, json, os, random, re, sys

out, max_docs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 64000
nq, seed = (int(sys.argv[3]) if len(sys.argv) > 3 else 2000), (int(sys.argv[4]) if len(sys.argv) > 4 else 7)
roots = sorted(glob.glob("/usr/share/doc/python3*/html/_sources"))
if not roots:
    sys.exit("no Python documentation found: apt-get install -y python3-doc")
files = sorted(glob.glob(os.path.join(roots[-1], "**", "*.txt"), recursive=True))
markup = re.compile(r"[`*|]|:[a-z]+:|\.\. [a-z-]+::.*|^\s*[=\-~^\"#+]{3,}\s*$", re.M)
troff = re.compile(r"\\f(\[[^\]]*\]|\(..|.)|\\\(..|\\\[[a-z]+\]|\\[-&e|^0 ]|\\s[-+]?\d|\\\*.")


def man_text(path):
    import gzip
    lines = []
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith((".\\\"", "'\\\"")):
                continue
            if line.startswith((".", "'")):
                parts = line.split(None, 1)
                line = "\n" if line[1:3] in ("PP", "P\n", "LP", "SH", "SS", "TP", "IP", "sp", "br") else parts[1] if len(parts) > 1 else ""
            lines.append(troff.sub("", line))
    return "".join(lines)


def texts():
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            yield f.read()
    for path in sorted(glob.glob("/usr/share/man/man[1-8]/*.gz")):
        yield man_text(path)


docs, pending = [], ""
for whole in texts():
    if len(docs) >= max_docs:
        break
    for para in re.split(r"\n\s*\n", whole):
        text = " ".join(markup.sub(" ", para).split())
        if len(re.findall(r"[A-Za-z]{2,}", text)) < 5:  # code, tables, headings: not prose
            continue
        pending = (pending + " " + text).strip()
        if len(pending) >= 300:
            docs.append(pending)
            pending = ""
if pending:
    docs.append(pending)
docs = docs[:max_docs]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "docs.jsonl"), "w", encoding="utf-8") as f:
    for i, text in enumerate(docs):
        f.write(json.dumps({"id": f"d{i}", "text": text}) + "\n")
rng = random.Random(seed)
words = [re.findall(r"[A-Za-z][a-z]{2,}", d) for d in docs]
queries = []
while len(queries) < nq:
    pool = words[rng.randrange(len(words))]
    if pool:
        queries.append(" ".join(rng.choice(pool).lower() for _ in range(rng.randint(1, 4))))
with open(os.path.join(out, "queries.json"), "w", encoding="utf-8") as f:
    json.dump(queries, f)
print(f"corpus: {len(docs)} docs, {sum(map(len, docs)) / 1e6:.1f} MB of text, {len(queries)} queries -> {out}")
