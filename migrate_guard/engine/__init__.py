"""The rule engine: `judge.Engine` judges each migration's operations with the declarative rules (`rules.py`) in
context (`facts.py`, `matcher.py`, `suppress.py`).

Nothing is imported here: the cache fingerprints the rule files (`rules.rules_fingerprint`) on runs that never judge
anything (every project's verdict reused), and those should not pay for the engine.
"""
