#!/usr/bin/env python3
"""Every alert has a runbook and every runbook an alert.

  check_runbooks.py RULES_FILE RUNBOOK_DIR [RULES_TEST_FILE]

Each `- alert: Name` of RULES_FILE must carry `runbook_url: docs/runbooks/Name.md` and the page
RUNBOOK_DIR/Name.md must exist; each RUNBOOK_DIR/*.md other than README.md must be the page of
an alert, and README.md must link every page. With RULES_TEST_FILE (promtool's unit tests),
every alert must also be tested both firing and staying quiet. Only the standard library (no
PyYAML in CI).
"""

import os
import re
import sys


def main():
    rules_path, runbook_dir = sys.argv[1], sys.argv[2]
    text = open(rules_path, encoding="utf-8").read()
    errors = []
    # One block per rule: from its `- alert:`/`- record:` line to the next.
    blocks = re.split(r"\n(?=\s*- (?:alert|record):)", text)
    alerts = []
    for block in blocks:
        m = re.match(r"\s*- alert:\s*(\S+)", block)
        if not m:
            continue
        name = m.group(1)
        alerts.append(name)
        want = f"docs/runbooks/{name}.md"
        urls = re.findall(r"runbook_url:\s*(\S+)", block)
        if urls != [want]:
            errors.append(f"alert {name}: runbook_url is {urls or 'missing'}, want {want}")
        if not os.path.isfile(os.path.join(runbook_dir, f"{name}.md")):
            errors.append(f"alert {name}: no runbook {runbook_dir}/{name}.md")
    if len(set(alerts)) != len(alerts):
        errors.append("alert names repeat: " + ", ".join(sorted({a for a in alerts if alerts.count(a) > 1})))
    pages = sorted(f[:-3] for f in os.listdir(runbook_dir) if f.endswith(".md") and f != "README.md")
    for page in pages:
        if page not in alerts:
            errors.append(f"runbook {page}.md: no alert of that name in {rules_path}")
    index_path = os.path.join(runbook_dir, "README.md")
    index = open(index_path, encoding="utf-8").read() if os.path.isfile(index_path) else ""
    for page in pages:
        if f"({page}.md)" not in index:
            errors.append(f"{index_path}: does not link {page}.md")
    if len(sys.argv) > 3:
        tests = open(sys.argv[3], encoding="utf-8").read()
        firing, quiet = set(), set()
        for m in re.finditer(r"alertname:\s*(\S+)\s*\n\s*exp_alerts:(\s*\[\s*\])?", tests):
            (quiet if m.group(2) else firing).add(m.group(1))
        for name in alerts:
            if name not in firing:
                errors.append(f"alert {name}: no unit test shows it firing ({sys.argv[3]})")
            if name not in quiet:
                errors.append(f"alert {name}: no unit test shows it staying quiet ({sys.argv[3]})")
    for error in errors:
        print(error, file=sys.stderr)
    print(f"{len(alerts)} alerts, {len(pages)} runbooks, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
