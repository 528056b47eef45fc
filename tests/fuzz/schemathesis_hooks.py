"""Loaded into the schemathesis process (SCHEMATHESIS_HOOKS) by the fuzz tier.

CPython 3.11.7 (this machine's) can raise ``SystemError: AST constructor recursion depth
mismatch`` from ``ast.parse`` when it is called deep in a stack (CPython gh-106905, fixed in
later 3.11 releases).  Hypothesis parses a module's source to print a lambda's description
(only a name for a report) and so, once in a while, a fuzz run ended in that error before any
request was sent (CI run of 2026-12-06, seed 1796612094, ``GET /api/v1/customers/lookup``).
A description the parser cannot give is written as Hypothesis writes any it cannot find:
``lambda …: <unknown>``; nothing about the requests or their checks changes.
"""
from __future__ import annotations

import inspect

from hypothesis.internal import lambda_sources

_describe = lambda_sources._lambda_description
MISMATCH = "AST constructor recursion depth mismatch"


def _lambda_description(f, *args, **kwargs):
    try:
        return _describe(f, *args, **kwargs)
    except SystemError as error:
        if MISMATCH not in str(error):
            raise
        parameters = str(inspect.signature(f))[1:-1]
        return f"lambda {parameters}: <unknown>" if parameters else "lambda: <unknown>"


lambda_sources._lambda_description = _lambda_description
