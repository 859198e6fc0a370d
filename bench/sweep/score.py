#!/usr/bin/env python3
"""Score a migrate-guard binary against the hand labels of the real-project corpus.

Usage:
  python3 /tmp/sweep/score.py [--mg PATH/TO/migrate-guard] [--out DIR] [--no-run] [--project NAME ...] [--details] [--labels DIR]

  --mg       migrate-guard executable to run (default /tmp/sweep/venv/bin/migrate-guard). To score newer code:
               git clone /work/main /tmp/x && python -m venv /tmp/x/.v && /tmp/x/.v/bin/pip install -e /tmp/x
               python3 /tmp/sweep/score.py --mg /tmp/x/.v/bin/migrate-guard --out /tmp/x-out
  --out      where detect.json / check.json per project go (default /tmp/sweep/out-score; /tmp/sweep/out is the
             baseline run of the code as cloned at 12:25 UTC)
  --no-run   score the outputs already in --out without running anything
  --details  list every missed op, wrong finding and unjudged finding

It runs, at each project root under /tmp/sweep/corpus/<project>/:
  migrate-guard detect --format json
  migrate-guard check --format json --fail-on never --no-cache
and scores against /tmp/sweep/labels/<project>.json (format: /tmp/sweep/README.md).

Definitions (per stack, and overall):
  precision = right / (right + wrong). A finding is right when it matches a labelled op (same path, rule in the op's
              rule or alt_rules, |line - op.line| <= op.tol, default 3) or a `judged` entry with verdict "right";
              wrong when it matches a `judged` entry with verdict "wrong". Findings matching neither are "unjudged"
              and left out of precision (their count is printed; new code may produce findings nobody labelled).
  recall    = labelled ops caught by at least one matching finding / labelled ops.
  detected  = labelled migration_dirs that appear in some detect project's "migrations" (or lie under one).
"""
import argparse, collections, fnmatch, json, os, subprocess, sys

import os as _os
_HERE = _os.path.dirname(_os.path.abspath(__file__))
# the corpus is downloaded, not kept in the repository (MG_SWEEP_CORPUS, default /tmp/sweep/corpus); labels live here
CORPUS = _os.environ.get("MG_SWEEP_CORPUS", "/tmp/sweep/corpus"); LABELS = _os.path.join(_HERE, "labels")

def run(mg, project, out):
    root = os.path.join(CORPUS, project); od = os.path.join(out, project); os.makedirs(od, exist_ok=True)
    for name, args in (("detect", ["detect", "--format", "json"]),
                       ("check", ["check", "--format", "json", "--fail-on", "never", "--no-cache"])):
        with open(os.path.join(od, name + ".json"), "w") as so, open(os.path.join(od, name + ".err"), "w") as se:
            try: rc = subprocess.run([mg] + args, cwd=root, stdout=so, stderr=se, timeout=1200).returncode
            except subprocess.TimeoutExpired: rc = "timeout"
        open(os.path.join(od, name + ".rc"), "w").write(str(rc))

def load(path, default):
    try: return json.load(open(path))
    except Exception: return default

def path_match(entry, path):
    if "path" in entry: return entry["path"] == path
    return fnmatch.fnmatch(path, entry["path_glob"])

def judged_match(j, f):
    if not path_match(j, f["path"]): return False
    if j.get("rule", "*") not in ("*", f["rule"]): return False
    if "line" in j and j["line"] is not None and abs(j["line"] - f["line"]) > j.get("tol", 1): return False
    if "message_contains" in j and j["message_contains"] not in f.get("message", ""): return False
    return True

def op_match(op, f):
    return (op["path"] == f["path"] and f["rule"] in [op["rule"]] + op.get("alt_rules", [])
            and abs(op["line"] - f["line"]) <= op.get("tol", 3))

def score_project(lab, out):
    od = os.path.join(out, lab["project"])
    det = load(os.path.join(od, "detect.json"), {"projects": []}); chk = load(os.path.join(od, "check.json"), {"findings": []})
    found_dirs = [m for p in det.get("projects", []) for m in p.get("migrations", [])]
    undetected = [d for d in lab.get("migration_dirs", [])
                  if not any(d == m or d.startswith(m.rstrip("/") + "/") for m in found_dirs)]
    res = dict(right=0, wrong=0, unjudged=0, ops=len(lab["ops"]), caught=0, missed=[], wrong_f=[], unjudged_f=[],
               undetected=undetected, dirs=len(lab.get("migration_dirs", [])), crashed=False, classes=collections.Counter())
    err = open(os.path.join(od, "check.err")).read() if os.path.exists(os.path.join(od, "check.err")) else ""
    res["crashed"] = "Traceback" in err
    caught = [False] * len(lab["ops"])
    for f in chk.get("findings", []):
        hit = [i for i, op in enumerate(lab["ops"]) if op_match(op, f)]
        j = next((j for j in lab.get("judged", []) if judged_match(j, f)), None)
        if hit and not (j and j["verdict"] == "wrong"):
            res["right"] += 1
            for i in hit: caught[i] = True
        elif j and j["verdict"] == "right": res["right"] += 1
        elif j and j["verdict"] == "wrong":
            res["wrong"] += 1; res["wrong_f"].append((f, j.get("class", "?"))); res["classes"][j.get("class", "?")] += 1
        else: res["unjudged"] += 1; res["unjudged_f"].append(f)
    res["caught"] = sum(caught)
    res["missed"] = [op for op, c in zip(lab["ops"], caught) if not c]
    for op in res["missed"]: res["classes"]["missed: " + op.get("class", "?")] += 1
    return res

def pct(a, b): return f"{100.0 * a / b:5.1f}%" if b else "   - "

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mg", default="/tmp/sweep/venv/bin/migrate-guard"); ap.add_argument("--out", default="/tmp/sweep/out-score")
    ap.add_argument("--no-run", action="store_true"); ap.add_argument("--project", nargs="*"); ap.add_argument("--details", action="store_true")
    ap.add_argument("--labels", default=LABELS, help="folder of <project>.json labels (default bench/sweep/labels)")
    a = ap.parse_args()
    labs = [json.load(open(os.path.join(a.labels, n))) for n in sorted(os.listdir(a.labels)) if n.endswith(".json")]
    if a.project: labs = [l for l in labs if l["project"] in a.project]
    per_stack = collections.defaultdict(lambda: collections.Counter()); classes = collections.Counter()
    print(f"{'project':44} {'stack':9} {'dialect':9} {'prec':>6} {'recall':>6} right wrong unjud  ops caught  dirs undet")
    for lab in labs:
        if not a.no_run: run(a.mg, lab["project"], a.out)
        r = score_project(lab, a.out)
        s = per_stack[lab["stack"]]
        for k in ("right", "wrong", "unjudged", "ops", "caught", "dirs"): s[k] += r[k]
        if r["right"] + r["wrong"]: s["_prec_sum"] += r["right"] / (r["right"] + r["wrong"]); s["_prec_n"] += 1
        if r["ops"]: s["_rec_sum"] += r["caught"] / r["ops"]; s["_rec_n"] += 1
        s["undetected"] += len(r["undetected"]); s["projects"] += 1; s["undetected_projects"] += int(bool(r["undetected"]) and len(r["undetected"]) == r["dirs"])
        classes.update(r["classes"])
        print(f"{lab['project'][:44]:44} {lab['stack']:9} {lab.get('dialect','?')[:9]:9} {pct(r['right'], r['right']+r['wrong']):>6} "
              f"{pct(r['caught'], r['ops']):>6} {r['right']:5} {r['wrong']:5} {r['unjudged']:5} {r['ops']:4} {r['caught']:6} {r['dirs']:5} {len(r['undetected']):5}"
              + ("  CRASH" if r["crashed"] else ""))
        if a.details:
            for d in r["undetected"]: print(f"    UNDETECTED {d}")
            for op in r["missed"]: print(f"    MISSED {op['path']}:{op['line']} {op['rule']} [{op.get('class','')}] {op.get('note','')}")
            for f, c in r["wrong_f"]: print(f"    WRONG {f['path']}:{f['line']} {f['rule']} [{c}] {f['message'][:100]}")
            for f in r["unjudged_f"]: print(f"    UNJUDGED {f['path']}:{f['line']} {f['rule']} {f['message'][:100]}")
    print("\nper stack:")
    print("(precision/recall pooled over findings and ops; macro = mean over the stack's projects, so one big project cannot dominate)")
    print(f"{'stack':10} {'projects':>8} {'fully-undetected':>16} {'precision':>9} {'recall':>7} {'macroP':>7} {'macroR':>7} {'right':>6} {'wrong':>6} {'unjudged':>8} {'ops':>5} {'caught':>6}")
    tot = collections.Counter()
    for st, s in sorted(per_stack.items()):
        tot.update(s)
        print(f"{st:10} {s['projects']:8} {s['undetected_projects']:16} {pct(s['right'], s['right']+s['wrong']):>9} {pct(s['caught'], s['ops']):>7} "
              f"{pct(s['_prec_sum'], s['_prec_n']):>7} {pct(s['_rec_sum'], s['_rec_n']):>7} "
              f"{s['right']:6} {s['wrong']:6} {s['unjudged']:8} {s['ops']:5} {s['caught']:6}")
    print(f"{'ALL':10} {tot['projects']:8} {tot['undetected_projects']:16} {pct(tot['right'], tot['right']+tot['wrong']):>9} {pct(tot['caught'], tot['ops']):>7} "
          f"{pct(tot['_prec_sum'], tot['_prec_n']):>7} {pct(tot['_rec_sum'], tot['_rec_n']):>7} "
          f"{tot['right']:6} {tot['wrong']:6} {tot['unjudged']:8} {tot['ops']:5} {tot['caught']:6}")
    print("\nerror classes (wrong findings, and missed ops by class):")
    for c, n in classes.most_common(): print(f"  {n:5}  {c}")

if __name__ == "__main__": main()
