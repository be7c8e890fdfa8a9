#!/usr/bin/python3
"""Generates the firewall part of bench/firewall.sh's rampart configs.

  firewall_rules.py VARIANT RULES OUTDIR

writes, in OUTDIR:
  top.yaml    top-level `lists:` and `firewall:` (config-wide rules), to append to a config
  site.yaml   `firewall:` for the benchmarked site, indented to sit inside its map
  lists/*.txt the list files `lists:` refers to (relative to the config's directory)
  probes.tsv  requests that must be blocked: status<TAB>path<TAB>header (or empty)
  summary.txt one line: what the rules are

Half the rules are config-wide, half belong to the site. No rule matches the benchmark
request (GET /app/item/42?ref=home from 127.0.0.1 with a browser User-Agent, a
`session=...` cookie and Accept headers), so every request is checked against all of
them and forwarded. The output depends only on the arguments (fixed random seed).

Variants: none; mixed (the realistic mix); worst (prefix, wildcard and contains rules,
the kinds the index handles least cheaply); unindexed (ends_with and matches rules,
which no index helps: the linear cost); only-KIND with KIND one of the kinds below (all
rules of one kind, to find which kind is expensive).
"""
import os
import random
import sys

# Kinds of rules. Each makes (expression, probe) for rule number i; probe is a request
# (path, header) the rule blocks, or None when loopback cannot send one (ip.src).
HDR_FORMS = [
    ('http.request.headers["x-api-key"] eq "revoked-{i}"', ("/", "X-Api-Key: revoked-{i}")),
    ('http.request.cookies["session"] eq "stolen-{i}"', ("/", "Cookie: session=stolen-{i}")),
    ('http.request.uri.args["token"] eq "leaked-{i}"', ("/?token=leaked-{i}", "")),
    ('http.referer contains "spam-{i}.example"', ("/", "Referer: http://spam-{i}.example/")),
    ('any(http.request.headers["x-forwarded-host"][*] eq "evil-{i}.example")',
     ("/", "X-Forwarded-Host: evil-{i}.example")),
]


def ip_rule(i, rng, nlists):
    if i % 5 == 0:
        return f"ip.src in $bad_networks_{(i // 5) % nlists}", None
    cidrs = " ".join(random_cidr(rng) for _ in range(8))
    return f"ip.src in {{{cidrs}}}", None


def random_cidr(rng):
    if rng.random() < 0.1:
        return f"2001:db8:{rng.randrange(65536):x}::/48"
    first = rng.choice([o for o in range(1, 224) if o not in (0, 10, 127)])
    prefix = rng.choice([16, 20, 22, 24, 24, 24, 28, 32])
    addr = (first << 24) | rng.randrange(1 << 24)
    addr &= (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    dotted = ".".join(str((addr >> s) & 255) for s in (24, 16, 8, 0))
    return dotted if prefix == 32 else f"{dotted}/{prefix}"


KINDS = {
    # indexable: `field eq constant` / `field in {...}` guards
    "eq": lambda i, rng, n: (
        (f'http.request.uri.path eq "/admin/{i}" and not ip.src in $office', (f"/admin/{i}", ""))
        if i % 10 == 0 else
        (f'http.request.uri.path eq "/blocked/{i}"', (f"/blocked/{i}", ""))),
    "in": lambda i, rng, n: (
        "http.request.uri.path in {" + " ".join(f'"/old/{i}/{k}.php"' for k in range(8)) + "}",
        (f"/old/{i}/3.php", "")),
    # indexed by prefix (starts_with, wildcard) and by one literal scan (contains)
    "prefix": lambda i, rng, n: (f'starts_with(http.request.uri.path, "/private/{i}/")',
                                 (f"/private/{i}/x", "")),
    "wildcard": lambda i, rng, n: (f'http.request.uri.path wildcard "/tenant-{i}/*"',
                                   (f"/tenant-{i}/x", "")),
    "ua": lambda i, rng, n: (f'http.user_agent contains "badbot-{i}"',
                             ("/", f"User-Agent: Mozilla/5.0 badbot-{i}/1.0")),
    "hdr": lambda i, rng, n: (HDR_FORMS[i % len(HDR_FORMS)][0].format(i=i),
                              tuple(s.format(i=i) for s in HDR_FORMS[i % len(HDR_FORMS)][1])),
    "ip": ip_rule,
    # not indexable: every one runs for every request
    "suffix": lambda i, rng, n: (f'ends_with(http.request.uri.path, "/gone-{i}")',
                                 (f"/x/gone-{i}", "")),
    "regex": lambda i, rng, n: (f'http.request.uri.query matches "^secret-{i}="',
                                (f"/?secret-{i}=1", "")),
}

MIXES = {  # parts per 1000
    "mixed": {"eq": 500, "in": 100, "prefix": 100, "wildcard": 100, "ua": 100, "hdr": 50, "ip": 50},
    "worst": {"prefix": 350, "wildcard": 300, "ua": 350},
    "unindexed": {"suffix": 500, "regex": 500},
}
NLISTS = 5            # bad_networks_0..4, list files
LIST_ENTRIES = 800    # entries per list file


def main():
    variant, total, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = random.Random(20261121)
    if variant == "none":
        mix = {}
    elif variant in MIXES:
        mix = MIXES[variant]
    elif variant.startswith("only-") and variant[5:] in KINDS:
        mix = {variant[5:]: 1000}
    else:
        sys.exit(f"unknown variant {variant!r}: none, mixed, worst, unindexed, only-{{{','.join(KINDS)}}}")
    counts = {k: total * v // 1000 for k, v in mix.items()}
    if counts:  # rounding: the rest goes to the largest kind
        counts[max(mix, key=mix.get)] += total - sum(counts.values())

    rules = []  # (kind, i)
    for kind, n in counts.items():
        rules += [(kind, i) for i in range(n)]
    rng.shuffle(rules)
    rulesets = {"global": [], "site": []}
    probes = {}
    for pos, (kind, i) in enumerate(rules):
        expr, probe = KINDS[kind](i, rng, NLISTS)
        where = "global" if pos % 2 == 0 else "site"
        action = "log" if pos % 200 == 199 else "block"
        rulesets[where].append((f"{where}-{kind}-{i}", expr, action))
        if probe and action == "block" and (kind, where) not in probes:
            probes[(kind, where)] = probe

    os.makedirs(os.path.join(out, "lists"), exist_ok=True)
    uses_lists = any("$bad_networks" in e for rs in rulesets.values() for _, e, _ in rs)
    with open(os.path.join(out, "top.yaml"), "w") as f:
        if rules:
            f.write("lists:\n  office:\n    items: [192.0.2.0/24, 198.51.100.0/24, \"2001:db8:1::/48\"]\n")
        for k in range(NLISTS if uses_lists else 0):
            name = f"bad_networks_{k}"
            with open(os.path.join(out, "lists", name + ".txt"), "w") as lf:
                lf.write(f"# {LIST_ENTRIES} generated networks\n")
                lf.writelines(random_cidr(rng) + "\n" for _ in range(LIST_ENTRIES))
            f.write(f"  {name}:\n    file: lists/{name}.txt\n")
        f.write(rules_yaml(rulesets["global"], ""))
    with open(os.path.join(out, "site.yaml"), "w") as f:
        f.write(rules_yaml(rulesets["site"], "    "))
    with open(os.path.join(out, "probes.tsv"), "w") as f:
        for (path, header) in probes.values():
            f.write(f"403\t{path}\t{header}\n")
    logs = sum(1 for rs in rulesets.values() for _, _, a in rs if a == "log")
    desc = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    with open(os.path.join(out, "summary.txt"), "w") as f:
        if not rules:
            f.write("no rules\n")
            return
        f.write(f"{len(rulesets['global'])} config-wide + {len(rulesets['site'])} site rules"
                f" ({desc}; {logs} log, the rest block)"
                + (f"; lists: {NLISTS} files x {LIST_ENTRIES} CIDRs" if uses_lists else "") + "\n")


def rules_yaml(rules, indent):
    if not rules:
        return ""
    lines = [f"{indent}firewall:", f"{indent}  rules:"]
    for rid, expr, action in rules:
        lines += [f"{indent}    - id: {rid}", f"{indent}      expression: '{expr}'",
                  f"{indent}      action: {action}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
