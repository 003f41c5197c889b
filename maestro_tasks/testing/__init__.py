"""The testing domain: pytest's config model and its repair, caches, interpreter, suite run, report.

Pure logic plus subprocess runs of pytest that write nothing into the target; the engine adapters
live in ``steps.py``.
"""
