#!/usr/bin/env python3
"""Fails when a dashboard panel or an alert rule queries a metric that no binary exports.

A panel on a metric nobody exports shows "No data" forever, and an alert on one never fires;
both look fine until the day they are needed. A metric counts as exported when its family name
(without the histogram suffixes _bucket, _sum and _count) appears in one of the server binaries
given with --binary (prometheus-cpp registers families by their literal name), or when
Prometheus makes the series itself (up, scrape_*, ALERTS), or when a recording rule of the rule
files given with --rules defines it.

  check_metrics.py --binary build/services/events/events ... \
      --rules deploy/prometheus/alerts.yml \
      --dashboard deploy/grafana/homecoming-overview.json

With --expect-unknown NAME the check must fail and name exactly NAME (the negative fixture's
test: proves the check can fail).

Only the standard library: CI's Debian has python3 but not necessarily PyYAML, so expressions
are taken from the rule files line by line.
"""

import argparse
import json
import re
import sys

# Series Prometheus writes itself, whatever the targets export.
PROMETHEUS_OWN = {"up", "ALERTS", "ALERTS_FOR_STATE"}
PROMETHEUS_OWN_PREFIXES = ("scrape_",)
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "bool", "offset", "inf", "nan", "atan2",
}
IDENT = r"[A-Za-z_:][A-Za-z0-9_:]*"


def metric_names(expr):
    """The metric names a PromQL expression selects (a lexical scan, enough for our rules)."""
    text = re.sub(r"#[^\n]*", " ", expr)  # comments
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', " ", text)  # strings
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    # Label lists of aggregations and vector matching.
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # Grafana variables ($job, $__rate_interval)
    names = set()
    for match in re.finditer(r"(?<![A-Za-z0-9_.])(" + IDENT + r")(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        # Numbers with exponents or durations such as 5m never start with a letter here.
        names.add(name)
    return names


def rule_file_exprs(path):
    """(kind, name, expr) for every rule; `expr:` is either one line or a `|` block."""
    rules = []
    lines = open(path, encoding="utf-8").read().split("\n")
    name = kind = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*-\s+(alert|record):\s*(\S+)", line)
        if m:
            kind, name = m.group(1), m.group(2)
        m = re.match(r"(\s*)expr:\s*(.*)$", line)
        if m and name:
            indent, rest = len(m.group(1)), m.group(2).strip()
            if rest in ("|", "|-", ">", ">-"):
                body = []
                i += 1
                while i < len(lines) and (
                    not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
                ):
                    body.append(lines[i])
                    i += 1
                rules.append((kind, name, "\n".join(body)))
                continue
            rules.append((kind, name, rest))
        i += 1
    return rules


def dashboard_exprs(path):
    """(panel title, expr) of every target of every panel, rows' nested panels included."""
    found = []

    def walk(panels):
        for panel in panels or []:
            for target in panel.get("targets", []) or []:
                if target.get("expr"):
                    found.append((panel.get("title", "?"), target["expr"]))
            walk(panel.get("panels"))

    with open(path, encoding="utf-8") as f:
        walk(json.load(f).get("panels"))
    return found


def exported(name, binaries, recorded):
    if name in PROMETHEUS_OWN or name.startswith(PROMETHEUS_OWN_PREFIXES) or name in recorded:
        return True
    candidates = [name] + [name[: -len(s)] for s in HISTOGRAM_SUFFIXES if name.endswith(s)]
    for candidate in candidates:
        # The family name as a NUL-terminated string literal, not the tail of a longer name.
        needle = candidate.encode() + b"\x00"
        for blob in binaries:
            at = blob.find(needle)
            while at != -1:
                if at == 0 or not (chr(blob[at - 1]).isalnum() or blob[at - 1] in b"_:"):
                    return True
                at = blob.find(needle, at + 1)
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", action="append", default=[], required=True)
    parser.add_argument("--rules", action="append", default=[])
    parser.add_argument("--dashboard", action="append", default=[])
    parser.add_argument("--expect-unknown")
    args = parser.parse_args()

    binaries = []
    for path in args.binary:
        try:
            with open(path, "rb") as f:
                binaries.append(f.read())
        except OSError as e:
            print(f"cannot read binary {path}: {e} (build the servers first)", file=sys.stderr)
            return 1

    queries = []  # (where, expr)
    recorded = set()
    for path in args.rules:
        for kind, name, expr in rule_file_exprs(path):
            if kind == "record":
                recorded.add(name)
            queries.append((f"{path}: {kind} {name}", expr))
    for path in args.dashboard:
        for title, expr in dashboard_exprs(path):
            queries.append((f"{path}: panel '{title}'", expr))
    if not queries:
        print("no expressions found: wrong file given?", file=sys.stderr)
        return 1

    unknown = {}  # name -> [where]
    checked = set()
    for where, expr in queries:
        for name in metric_names(expr):
            checked.add(name)
            if not exported(name, binaries, recorded):
                unknown.setdefault(name, []).append(where)
    for name, wheres in sorted(unknown.items()):
        for where in wheres:
            print(f"{where}: queries {name}, which no binary exports", file=sys.stderr)
    print(f"{len(queries)} expressions, {len(checked)} metric names, {len(unknown)} unknown")

    if args.expect_unknown:
        if set(unknown) == {args.expect_unknown}:
            print(f"as expected, the check fails on {args.expect_unknown}")
            return 0
        print(f"expected the check to fail on exactly {args.expect_unknown}, "
              f"got {sorted(unknown) or 'no failure'}", file=sys.stderr)
        return 1
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
