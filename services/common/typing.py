"""Typed dependencies: `self.db` in a worker is a Session, not the Database provider.

nameko puts each dependency's value on the worker's service instance, where it
shadows the provider declared on the class.  `Injects[T]` tells type checkers so:
read on the class, a provider is itself; read on an instance, it is a `T`.
At run time `__get__` only ever answers class-level reads (the instance's own
attribute wins over a non-data descriptor).
"""
from typing import Any, Generic, Self, TypeVar, overload

T = TypeVar("T")


class Injects(Generic[T]):
    @overload
    def __get__(self, instance: None, owner: Any = None) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: Any = None) -> T: ...

    def __get__(self, instance, owner=None):
        return self
