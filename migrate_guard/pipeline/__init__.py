"""How `check` (and the lifecycle's review) turn paths into a Report, one module per step, in the order they run:

    discover.py  the candidate files: the paths given, or every detected project's migration folders
    plan.py      files -> migration units, grouped per project, oldest first, each with its format and dialect
    select.py    which units are linted: the files named, minus the baseline, minus unchanged (--changed-since)
    extract.py   units -> Migrations, from the store (store.py) or parsed, spread over processes (pool.py)
    judge.py     each project's migrations judged by the engine, its verdict and checkpoints kept in the store
    split.py     extract and judge together in two processes, for a run that keeps nothing
    run.py       run_check (all of the above) and review (one project's chosen files, for the lifecycle gates)

The store is the cache (cache.py) behind the Store interface, or NullStore with --no-cache: no step asks which.
"""
