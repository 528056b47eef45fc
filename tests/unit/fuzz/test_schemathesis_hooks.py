"""The fuzz tier's hook: an AST SystemError in a lambda's description is not a failed run."""
import ast
import importlib.util
from pathlib import Path
from weakref import WeakKeyDictionary

import pytest
from hypothesis.internal import lambda_sources
from hypothesis.internal.cache import LRUCache

HOOKS = Path(__file__).resolve().parents[2] / "fuzz" / "schemathesis_hooks.py"


@pytest.fixture()
def hooked(monkeypatch):
    monkeypatch.setattr(lambda_sources, "_lambda_description", lambda_sources._lambda_description)
    spec = importlib.util.spec_from_file_location("_kefu_fuzz_hooks", HOOKS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # fresh caches, so each test parses again
    monkeypatch.setattr(lambda_sources, "LAMBDA_DESCRIPTION_CACHE", WeakKeyDictionary())
    for name in ("LAMBDA_DIGEST_DESCRIPTION_CACHE", "AST_LAMBDAS_CACHE"):
        monkeypatch.setattr(lambda_sources, name, LRUCache(max_size=100))
    return module


def _mismatch(*args, **kwargs):
    raise SystemError("AST constructor recursion depth mismatch (before=66, after=146)")


def test_the_cpython_mismatch_gives_an_unknown_description(hooked, monkeypatch):
    monkeypatch.setattr(ast, "parse", _mismatch)
    assert lambda_sources.lambda_description(lambda x, y=2: x + y) == "lambda x, y=2: <unknown>"


def test_any_other_system_error_still_fails(hooked, monkeypatch):
    def other(*args, **kwargs):
        raise SystemError("something else")
    monkeypatch.setattr(ast, "parse", other)
    with pytest.raises(SystemError, match="something else"):
        lambda_sources.lambda_description(lambda q: q * 3)


def test_a_description_that_parses_is_unchanged(hooked):
    assert lambda_sources.lambda_description(lambda z: z - 1) == "lambda z: z - 1"
