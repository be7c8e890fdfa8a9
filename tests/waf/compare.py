#!/usr/bin/env python3
"""Compares two WAF results files (JSON Lines as written by run_modsecurity.py and
run_rampart.py): the reference (nginx + ModSecurity) and a candidate (rampart).

For every request id in the reference:
  verdict   blocked (status 403, or --block-status) or not; the same on both sides?
  rule ids  the set of matched rule ids; the same on both sides?
Prints both percentages overall and per category, then every difference (id, category,
status and rule ids on each side, which ids only one side matched). A request missing from
the candidate counts as different on both measures.

    /usr/bin/python3 tests/waf/compare.py REFERENCE CANDIDATE [--min-verdict 99]
        [--min-rules 97] [--ignore-rules 200002,200003] [--json-out FILE] [--max-list N]

Exit status: 0 when both percentages reach their minimum, 1 when one does not, 2 on bad input.
The issue's targets (issue 7) are the defaults: same verdict on >= 99% of requests, same
rule ids on >= 97%.
"""

import argparse
import json
import sys
from collections import OrderedDict


def load(path):
    out = OrderedDict()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
                out[r["id"]] = r
            except (ValueError, KeyError) as exc:
                raise SystemExit("%s:%d: not a results line (%s)" % (path, n, exc))
    return out


def compare(ref, cand, ignore=frozenset(), block_statuses=frozenset({403})):
    """Returns (totals, per-category stats, differences). A request counts as blocked when its
    status is one of block_statuses."""
    stats = OrderedDict()
    diffs = []
    for rid, r in ref.items():
        c = cand.get(rid)
        cat = r.get("category", "?")
        s = stats.setdefault(cat, {"n": 0, "verdict": 0, "rules": 0, "ref_blocked": 0, "cand_blocked": 0})
        s["n"] += 1
        ref_blocked = r["status"] in block_statuses
        s["ref_blocked"] += ref_blocked
        rr = set(r["rule_ids"]) - ignore
        if c is None:
            diffs.append({"id": rid, "category": cat, "missing": True, "ref_status": r["status"],
                          "ref_rules": sorted(rr)})
            continue
        cand_blocked = c["status"] in block_statuses
        s["cand_blocked"] += cand_blocked
        cr = set(c["rule_ids"]) - ignore
        same_v = ref_blocked == cand_blocked
        same_r = rr == cr
        s["verdict"] += same_v
        s["rules"] += same_r
        if not (same_v and same_r):
            diffs.append({"id": rid, "category": cat, "verdict_differs": not same_v, "ref_status": r["status"],
                          "cand_status": c["status"], "ref_rules": sorted(rr), "cand_rules": sorted(cr),
                          "only_ref": sorted(rr - cr), "only_cand": sorted(cr - rr)})
    total = {"n": sum(s["n"] for s in stats.values())}
    for k in ("verdict", "rules", "ref_blocked", "cand_blocked"):
        total[k] = sum(s[k] for s in stats.values())
    return total, stats, diffs


def pct(a, n):
    return 100.0 * a / n if n else 100.0


def report(total, stats, diffs, extra_ids, max_list, out=sys.stdout):
    w = out.write
    w("%-12s %6s %9s %9s %12s %12s\n" % ("category", "n", "verdict%", "rules%", "ref blocked", "cand blocked"))
    for cat, s in list(stats.items()) + [("TOTAL", total)]:
        w("%-12s %6d %8.2f%% %8.2f%% %12d %12d\n" % (cat, s["n"], pct(s["verdict"], s["n"]),
                                                    pct(s["rules"], s["n"]), s["ref_blocked"], s["cand_blocked"]))
    if extra_ids:
        w("\n%d ids in the candidate are not in the reference (ignored), e.g. %s\n" % (
            len(extra_ids), ", ".join(extra_ids[:5])))
    w("\n%d differences%s\n" % (len(diffs), "" if len(diffs) <= max_list else " (first %d listed)" % max_list))
    for d in diffs[:max_list]:
        if d.get("missing"):
            w("  %-16s %-10s MISSING from the candidate; reference %s %s\n" % (
                d["id"], d["category"], d["ref_status"], d["ref_rules"]))
            continue
        w("  %-16s %-10s %s ref %s %s | cand %s %s | only ref %s only cand %s\n" % (
            d["id"], d["category"], "VERDICT" if d["verdict_differs"] else "rules  ", d["ref_status"],
            d["ref_rules"], d["cand_status"], d["cand_rules"], d["only_ref"], d["only_cand"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reference")
    ap.add_argument("candidate")
    ap.add_argument("--min-verdict", type=float, default=99.0, help="minimum same-verdict %% (default 99)")
    ap.add_argument("--min-rules", type=float, default=97.0, help="minimum same-rule-ids %% (default 97)")
    ap.add_argument("--ignore-rules", default="",
                    help="comma-separated rule ids left out of both sides' sets (e.g. rules of "
                         "modsecurity.conf the candidate does not load)")
    ap.add_argument("--block-status", default="403",
                    help="comma-separated statuses that count as blocked (default 403; e.g. 403,400 "
                         "to count modsecurity.conf's 400 denials of unparsable bodies too)")
    ap.add_argument("--json-out", help="also write the totals, categories and differences as JSON")
    ap.add_argument("--max-list", type=int, default=100000, help="list at most N differences")
    args = ap.parse_args(argv)
    try:
        ignore = frozenset(int(x) for x in args.ignore_rules.split(",") if x.strip())
    except ValueError:
        print("--ignore-rules: not a list of integers", file=sys.stderr)
        return 2
    try:
        block = frozenset(int(x) for x in args.block_status.split(",") if x.strip())
    except ValueError:
        print("--block-status: not a list of integers", file=sys.stderr)
        return 2
    ref, cand = load(args.reference), load(args.candidate)
    if not ref:
        print("the reference has no results", file=sys.stderr)
        return 2
    total, stats, diffs = compare(ref, cand, ignore, block)
    extra = [i for i in cand if i not in ref]
    report(total, stats, diffs, extra, args.max_list)
    v, r = pct(total["verdict"], total["n"]), pct(total["rules"], total["n"])
    ok = v >= args.min_verdict and r >= args.min_rules
    print("\nsame verdict %.2f%% (minimum %.2f%%), same rule ids %.2f%% (minimum %.2f%%): %s" % (
        v, args.min_verdict, r, args.min_rules, "PASS" if ok else "FAIL"))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump({"total": total, "categories": stats, "differences": diffs,
                       "same_verdict_pct": v, "same_rules_pct": r, "pass": ok}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
