#!/usr/bin/env python3
"""Score Understudy's text redaction (and Microsoft Presidio) on the labelled set.

    evaluate.py --dataset FILE --understudy BIN [--presidio] [--show-errors]
                [--presidio-threshold 0] [--limit N] [--json-out FILE] [--strict]

FILE is the JSONL written by make_dataset.py. At least one of --understudy
and --presidio is needed. Prints, per gold kind and overall, precision,
recall and F1 of each engine side by side, the share of negative-only
documents in which an engine flagged anything, documents per second, and
the targets: Understudy overall recall >= 99% and precision >= 95%, and
above Presidio on both (strictly above, or both at 100%).

Understudy contract
    BIN is run ONCE as `BIN redact --jsonl` (BIN may carry its own leading
    arguments; it is split like a shell word list). Its stdin gets one line
    {"text": "..."} per document (UTF-8 JSON, non-ASCII not escaped); its
    stdout must give exactly one line per document, in order:
    {"text": "<redacted text>", "spans": [{"start": S, "end": E, "what": KIND}]}
    with S < E offsets into the ORIGINAL text in Unicode code points (not
    UTF-16 units, not grapheme clusters), end exclusive. A non-zero exit, a
    wrong line count, or an out-of-range span is an error, not a score.
    Kinds map to gold kinds as: email, phone, credit_card, iban, ssn, secret
    -> the same; password -> secret (the gold `secret` kind includes values
    after password=/passwd:); custom -> ip_address (IPv4/IPv6 are configured
    as custom patterns). Any other kind is ignored and counted.
    Docs/second includes process start-up and JSON I/O.

Presidio
    presidio-analyzer's predefined pattern recognizers are instantiated
    directly, without an NLP engine and so without any spaCy model:
    EmailRecognizer, PhoneRecognizer (python-phonenumbers, its default
    regions US GB DE FR IL IN CA BR), CreditCardRecognizer, IbanRecognizer,
    UsSsnRecognizer, UkNinoRecognizer and IpRecognizer, each called as
    recognizer.analyze(text, recognizer.supported_entities, None). Then, as
    AnalyzerEngine does, results below the score threshold are dropped
    (default 0, AnalyzerEngine's own default_score_threshold, so even the
    0.05 "very weak" SSN patterns count) and EntityRecognizer.remove_duplicates
    removes zero-score and contained duplicates. Context-word enhancement
    needs NLP artifacts and is skipped; at threshold 0 it could only raise
    scores, not change which spans are returned. tldextract (used by the
    email validator) is pointed at its bundled public-suffix snapshot, which
    is what it falls back to offline anyway, so no network is touched.
    Entity mapping: EMAIL_ADDRESS->email, PHONE_NUMBER->phone,
    CREDIT_CARD->credit_card, IBAN_CODE->iban, US_SSN and UK_NINO->ssn,
    IP_ADDRESS->ip_address. Presidio has no recognizer for API keys, tokens,
    passwords or private keys, so it predicts no `secret` spans. Entity types
    with no gold kind (PERSON, DATE_TIME, URL, US_BANK_NUMBER, CRYPTO, ...)
    are ignored for both engines, i.e. neither rewarded nor penalised, so
    their recognizers are not run; this matches how Understudy kinds outside
    the gold set are treated.

Scoring (per kind, micro-averaged for "overall")
    Identical predicted spans (same start, end, kind) are counted once.
    recall    = fraction of gold spans for which some predicted span of the
                same kind overlaps it AND the union of same-kind predicted
                spans covers >= 90% of the gold span's code points.
    precision = fraction of predicted spans (of kinds that exist in gold)
                that overlap a gold span of the same kind.
    F1        = harmonic mean of the two.
    "overall" pools every kind (the targets use it); "no secret" pools all
    but `secret`, the kinds both engines attempt.
    A prediction of the right kind reaching past the gold span is fine; a
    right value labelled with another kind (e.g. the password@host part of a
    credentials URL called an email) is a miss for the gold kind and a false
    positive for the predicted kind. Gold spans are the value only (not
    "api_key="), IPs without port or prefix length, credential URLs whole.
"""

import argparse
import json
import logging
import os
import shlex
import subprocess
import sys
import time
from collections import Counter

GOLD_KINDS = ("email", "phone", "credit_card", "iban", "ssn", "ip_address", "secret")

UNDERSTUDY_TO_GOLD = {
    "email": "email", "phone": "phone", "credit_card": "credit_card",
    "iban": "iban", "ssn": "ssn", "secret": "secret", "password": "secret",
    "custom": "ip_address",
}

PRESIDIO_TO_GOLD = {
    "EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "credit_card",
    "IBAN_CODE": "iban", "US_SSN": "ssn", "UK_NINO": "ssn", "IP_ADDRESS": "ip_address",
}

TARGET_RECALL = 0.99
TARGET_PRECISION = 0.95


class EngineRun:
    def __init__(self, name, preds, seconds, ignored):
        self.name = name
        self.preds = preds          # per document: sorted list of (start, end, gold_kind)
        self.seconds = seconds
        self.ignored = ignored      # Counter of engine kinds with no gold kind
        self.notes = []


def load_dataset(path, limit=None):
    docs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            d = json.loads(line)
            spans = [(s["start"], s["end"], s["what"]) for s in d["spans"]]
            for s, e, k in spans:
                if k not in GOLD_KINDS or not 0 <= s < e <= len(d["text"]):
                    sys.exit("%s:%d: bad gold span %r" % (path, n, (s, e, k)))
            docs.append({"id": d["id"], "text": d["text"], "gold": sorted(spans)})
            if limit and len(docs) >= limit:
                break
    return docs


# ------------------------------------------------------------------ engines

def run_understudy(cmd, docs, timeout):
    argv = shlex.split(cmd) + ["redact", "--jsonl"]
    payload = "".join(json.dumps({"text": d["text"]}, ensure_ascii=False) + "\n"
                      for d in docs).encode("utf-8")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(argv, input=payload, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout)
    except FileNotFoundError:
        sys.exit("understudy: cannot run %r" % argv[0])
    except subprocess.TimeoutExpired:
        sys.exit("understudy: no answer within %ds" % timeout)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit("understudy: %s exited %d\n%s" % (" ".join(argv), proc.returncode,
                                                    proc.stderr.decode("utf-8", "replace")[-2000:]))
    lines = [l for l in proc.stdout.decode("utf-8").split("\n") if l.strip()]
    if len(lines) != len(docs):
        sys.exit("understudy: %d output lines for %d documents" % (len(lines), len(docs)))
    preds, ignored, unredacted = [], Counter(), 0
    for d, line in zip(docs, lines):
        try:
            obj = json.loads(line)
        except ValueError as err:
            sys.exit("understudy: document %s: output is not JSON (%s): %.200s" % (d["id"], err, line))
        if not isinstance(obj.get("text"), str) or not isinstance(obj.get("spans"), list):
            sys.exit("understudy: document %s: need \"text\" and \"spans\": %.200s" % (d["id"], line))
        mine, n = set(), len(d["text"])
        for sp in obj["spans"]:
            s, e, k = sp.get("start"), sp.get("end"), sp.get("what")
            if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= n):
                sys.exit("understudy: document %s: span %r outside [0, %d) (offsets must be code points)"
                         % (d["id"], sp, n))
            if k in UNDERSTUDY_TO_GOLD:
                mine.add((s, e, UNDERSTUDY_TO_GOLD[k]))
            else:
                ignored[k] += 1
            original = d["text"][s:e]
            if len(original) >= 6 and original in obj["text"]:
                unredacted += 1
        preds.append(sorted(mine))
    run = EngineRun("Understudy", preds, seconds, ignored)
    if unredacted:
        run.notes.append("%d reported spans still appear verbatim in the redacted text" % unredacted)
    return run


def run_presidio(docs, threshold):
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    try:
        import tldextract
        from presidio_analyzer import EntityRecognizer
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer, EmailRecognizer, IbanRecognizer, IpRecognizer,
            PhoneRecognizer, UkNinoRecognizer, UsSsnRecognizer)
    except ImportError as err:
        sys.exit("presidio: %s (pip install presidio-analyzer into the bench venv)" % err)
    # Offline: the bundled public-suffix snapshot, as tldextract uses when it cannot fetch.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    recognizers = [EmailRecognizer(), PhoneRecognizer(), CreditCardRecognizer(),
                   IbanRecognizer(), UsSsnRecognizer(), UkNinoRecognizer(), IpRecognizer()]
    preds, ignored = [], Counter()
    t0 = time.perf_counter()
    for d in docs:
        results = []
        for rec in recognizers:
            results.extend(rec.analyze(d["text"], rec.supported_entities, None) or [])
        results = [x for x in results if x.score >= threshold]
        results = EntityRecognizer.remove_duplicates(results)
        mine = set()
        for x in results:
            k = PRESIDIO_TO_GOLD.get(x.entity_type)
            if k is None:
                ignored[x.entity_type] += 1
            elif x.end > x.start:
                mine.add((x.start, x.end, k))
        preds.append(sorted(mine))
    seconds = time.perf_counter() - t0
    run = EngineRun("Presidio", preds, seconds, ignored)
    run.notes.append("presidio-analyzer %s, score threshold %g, pattern recognizers only"
                     % (_version("presidio-analyzer"), threshold))
    return run


def _version(dist):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return "?"


# ------------------------------------------------------------------ scoring

def covered(start, end, spans):
    """Code points of [start, end) covered by the union of spans."""
    n, cur = 0, start
    for s, e in sorted(spans):
        s, e = max(s, cur), min(e, end)
        if e > s:
            n += e - s
            cur = e
    return n


def score(docs, run):
    st = {k: Counter() for k in GOLD_KINDS}
    misses, fps = [], []
    neg_docs = neg_flagged = 0
    for d, pred in zip(docs, run.preds):
        gold = d["gold"]
        if not gold:
            neg_docs += 1
            neg_flagged += bool(pred)
        for s, e, k in gold:
            same = [(ps, pe) for ps, pe, pk in pred if pk == k and ps < e and pe > s]
            ok = bool(same) and covered(s, e, same) * 10 >= 9 * (e - s)
            st[k]["gold"] += 1
            st[k]["recalled"] += ok
            if not ok:
                misses.append((d, s, e, k, [p for p in pred if p[0] < e and p[1] > s]))
        for ps, pe, pk in pred:
            hit = any(gk == pk and gs < pe and ge > ps for gs, ge, gk in gold)
            st[pk]["pred"] += 1
            st[pk]["tp"] += hit
            if not hit:
                fps.append((d, ps, pe, pk, [g for g in gold if g[0] < pe and g[1] > ps]))
    total, no_secret = Counter(), Counter()
    for k in GOLD_KINDS:
        total.update(st[k])
        if k != "secret":
            no_secret.update(st[k])
    st["overall"] = total
    st["no secret"] = no_secret
    return {"stats": st, "misses": misses, "fps": fps,
            "neg_docs": neg_docs, "neg_flagged": neg_flagged}


def prf(c):
    p = c["tp"] / c["pred"] if c["pred"] else None
    r = c["recalled"] / c["gold"] if c["gold"] else None
    if r is None:
        f = None
    elif p is None or p + r == 0:
        f = 0.0
    else:
        f = 2 * p * r / (p + r)
    return p, r, f


# ------------------------------------------------------------------ output

def pct(x):
    return "   n/a" if x is None else "%6.1f%%" % (100 * x)


def cell(c):
    p, r, f = prf(c)
    return "%s %-11s %s %-11s %s" % (pct(p), "(%d/%d)" % (c["tp"], c["pred"]),
                                      pct(r), "(%d/%d)" % (c["recalled"], c["gold"]), pct(f))


def print_table(docs, scored):
    names = list(scored)
    head = "%-12s %5s" % ("kind", "gold")
    sub = "%-12s %5s" % ("", "")
    width = len(cell(Counter()))
    for n in names:
        head += " | " + n.center(width)
        sub += " | " + ("%7s %-11s %7s %-11s %7s" % ("P", "", "R", "", "F1"))
    print(head)
    print(sub)
    print("-" * len(head))
    for k in GOLD_KINDS + ("overall", "no secret"):
        if k == "overall":
            print("-" * len(head))
        row = "%-12s %5d" % (k, scored[names[0]]["stats"][k]["gold"])
        for n in names:
            row += " | " + cell(scored[n]["stats"][k])
        print(row)
    row = "%-12s %5s" % ("neg. docs", "")
    for n in names:
        s = scored[n]
        txt = "flagged %d of %d negative-only documents" % (s["neg_flagged"], s["neg_docs"])
        row += " | " + txt.ljust(width)
    print(row)


def show(text, s, e, room=40):
    a, b = max(0, s - room), min(len(text), e + room)
    frag = text[a:s] + "[[" + text[s:e] + "]]" + text[e:b]
    frag = frag.replace("\r", "\\r").replace("\n", "\\n")
    if len(frag) > 220:
        frag = frag[:150] + " … " + frag[-60:]
    return ("…" if a else "") + frag + ("…" if b < len(text) else "")


def spread(items, n=10):
    """Up to n items, taken round-robin across kinds so every kind shows."""
    by_kind = {}
    for it in items:
        by_kind.setdefault(it[3], []).append(it)
    out, i = [], 0
    while len(out) < n and any(i < len(v) for v in by_kind.values()):
        for k in GOLD_KINDS:
            if i < len(by_kind.get(k, [])) and len(out) < n:
                out.append(by_kind[k][i])
        i += 1
    return out


def secret_shape(v):
    for prefix, name in (("AKIA", "aws key id"), ("ghp_", "github ghp_"),
                         ("github_pat_", "github_pat_"), ("glpat-", "gitlab glpat-"),
                         ("xoxb-", "slack xoxb-"), ("xoxp-", "slack xoxp-"),
                         ("sk_live_", "stripe sk_live_"), ("rk_live_", "stripe rk_live_"),
                         ("sk-proj-", "openai sk-proj-"), ("sk-", "openai sk-"),
                         ("eyJ", "jwt"), ("-----BEGIN", "pem private key")):
        if v.startswith(prefix):
            return name
    if "://" in v:
        return "url with credentials"
    return "keyword=value / aws secret"


def print_errors(docs, run, s):
    print("\n%s: %d misses, %d false positives" % (run.name, len(s["misses"]), len(s["fps"])))
    for d, a, b, k, near in spread(s["misses"]):
        extra = "; predicted there: " + ", ".join("%s %r" % (pk, d["text"][ps:pe][:40]) for ps, pe, pk in near) if near else ""
        print("  MISS %-11s doc %-5s %s%s" % (k, d["id"], show(d["text"], a, b), extra))
    for d, a, b, k, near in spread(s["fps"]):
        extra = "; gold there: " + ", ".join(gk for _, _, gk in near) if near else ""
        print("  FP   %-11s doc %-5s %s%s" % (k, d["id"], show(d["text"], a, b), extra))
    shapes = {}
    for d in docs:
        for gs, ge, gk in d["gold"]:
            if gk == "secret":
                shapes.setdefault(secret_shape(d["text"][gs:ge]), [0, 0])[0] += 1
    for d, a, b, k, _ in s["misses"]:
        if k == "secret":
            shapes[secret_shape(d["text"][a:b])][1] += 1
    print("  secret recall by shape: " + ", ".join(
        "%s %d/%d" % (name, n - m, n) for name, (n, m) in sorted(shapes.items())))


def verdict(ok):
    return "met" if ok else "NOT met"


def targets(scored):
    lines = []
    u = scored.get("Understudy")
    if u is None:
        return ["Targets: not evaluated (no --understudy)"], False
    up, ur, _ = prf(u["stats"]["overall"])
    up = up or 0.0
    ur = ur or 0.0
    results = []
    lines.append("Targets (Understudy, overall):")
    ok = ur >= TARGET_RECALL
    results.append(ok)
    lines.append("  recall    >= %.0f%%      %s   %s" % (100 * TARGET_RECALL, pct(ur), verdict(ok)))
    ok = up >= TARGET_PRECISION
    results.append(ok)
    lines.append("  precision >= %.0f%%      %s   %s" % (100 * TARGET_PRECISION, pct(up), verdict(ok)))
    p = scored.get("Presidio")
    if p is None:
        lines.append("  above Presidio      not evaluated (run with --presidio)")
        results.append(False)
    else:
        pp, pr, _ = prf(p["stats"]["overall"])
        pp = pp or 0.0
        pr = pr or 0.0
        for name, mine, theirs in (("recall   ", ur, pr), ("precision", up, pp)):
            ok = mine > theirs or (mine == theirs == 1.0)
            results.append(ok)
            lines.append("  %s >  Presidio %s vs %s   %s" % (name, pct(mine), pct(theirs), verdict(ok)))
    return lines, all(results)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Precision/recall of Understudy's redaction vs Presidio.")
    ap.add_argument("--dataset", required=True, help="JSONL from make_dataset.py")
    ap.add_argument("--understudy", metavar="BIN", help="Understudy executable (run as BIN redact --jsonl)")
    ap.add_argument("--presidio", action="store_true", help="also run Presidio's pattern recognizers")
    ap.add_argument("--presidio-threshold", type=float, default=0.0,
                    help="Presidio score threshold (default 0, AnalyzerEngine's default)")
    ap.add_argument("--show-errors", action="store_true",
                    help="list up to 10 misses and 10 false positives per engine")
    ap.add_argument("--limit", type=int, help="only the first N documents")
    ap.add_argument("--timeout", type=int, default=600, help="seconds Understudy may take (default 600)")
    ap.add_argument("--json-out", metavar="FILE", help="also write the numbers as JSON")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is not met")
    a = ap.parse_args(argv)
    if not a.understudy and not a.presidio:
        ap.error("give --understudy BIN and/or --presidio")

    docs = load_dataset(a.dataset, a.limit)
    runs = []
    if a.understudy:
        runs.append(run_understudy(a.understudy, docs, a.timeout))
    if a.presidio:
        runs.append(run_presidio(docs, a.presidio_threshold))
    scored = {r.name: score(docs, r) for r in runs}

    n_gold = sum(len(d["gold"]) for d in docs)
    n_neg = sum(1 for d in docs if not d["gold"])
    print("Dataset %s: %d documents (%d negative-only), %d gold spans"
          % (a.dataset, len(docs), n_neg, n_gold))
    print("P = precision (true/predicted), R = recall (recalled/gold); a gold span is recalled when\n"
          "same-kind predictions overlap it and cover >= 90% of it.\n")
    print_table(docs, scored)
    print()
    for r in runs:
        rate = len(docs) / r.seconds if r.seconds > 0 else float("inf")
        print("%-10s %8.1f documents/second (%.2f s for %d)" % (r.name, rate, r.seconds, len(docs)))
        if r.ignored:
            print("%-10s ignored kinds with no gold kind: %s" % ("", ", ".join(
                "%s x%d" % kv for kv in sorted(r.ignored.items()))))
        for note in r.notes:
            print("%-10s %s" % ("", note))
    print()
    lines, all_met = targets(scored)
    print("\n".join(lines))
    if a.show_errors:
        for r in runs:
            print_errors(docs, r, scored[r.name])
    if a.json_out:
        out = {"dataset": a.dataset, "documents": len(docs), "negative_only": n_neg, "gold_spans": n_gold,
               "engines": {}}
        for r in runs:
            st = scored[r.name]["stats"]
            out["engines"][r.name] = {
                "documents_per_second": len(docs) / r.seconds if r.seconds > 0 else None,
                "negative_docs_flagged": scored[r.name]["neg_flagged"],
                "kinds": {k: dict(zip(("precision", "recall", "f1"), prf(st[k])), **dict(st[k]))
                          for k in GOLD_KINDS + ("overall", "no secret")}}
        with open(a.json_out, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)
    return 1 if a.strict and not all_met else 0


if __name__ == "__main__":
    sys.exit(main())
