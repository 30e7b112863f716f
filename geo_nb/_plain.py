"""Records as plain data on disk, and rebuilt without validating them twice.

A digest (see :mod:`geo_nb.digests`) holds records geo_nb validated, dumped
and wrote (with a SHA-256 that catches a damaged file, not a forged one).
Reading them back through pydantic's JSON validation was most of a warm start
in a new process: ``json.loads`` alone takes as long to build the same lists
and dicts. Here they are a pickle of plain data, which Python's C unpickler
turns into those lists and dicts faster (a string used twice is read once),
and each model is rebuilt as pydantic's own unpickling does (what its
``__setstate__`` sets: the field dict, which fields were set, no extras, no
private attributes), without validating again what was validated before it
was written. For a genuine dump the result equals what pydantic's
``model_validate`` makes of it; the tests check that for every record type
of the digests, on real records.

What this trusts, and what it does not:

- The unpickler refuses every global, so a digest cannot name a class or a
  function, and reading one never runs code (the "restricting globals" of
  Python's ``pickle`` docs). It still builds whatever builtin values a pickle
  describes, and a hand-made one can ask for a lot of memory (CPython
  gh-115952) or hold values of the wrong type, which are not checked here.
- So only digests this user wrote are read (:mod:`geo_nb.digests` asks the
  disk cache for entries the user owns): a cache folder can be shared (a lab
  drive), and a digest another user wrote is rebuilt from the raw answers,
  which are parsed and validated as usual.
- A model whose fields this module cannot rebuild exactly (a type other than
  plain data, dates, models and lists of them; aliases, constraints,
  serializers, private attributes) is validated instead: a new field type
  costs speed, not correctness.

Why not plain ``pickle`` of the models: unpickling a model calls a class
named by the file. Why not ``model_construct``: it is pure Python per field
and as slow as validating.

Example:
    >>> from geo_nb.records import FetchError
    >>> row = FetchError(accession="GSE1", kind="not_found", message="gone")
    >>> loads(dumps(row.model_dump(mode="json"))) == row.model_dump(mode="json")
    True
    >>> rebuild(FetchError, row.model_dump(mode="json")) == row
    True
"""

from __future__ import annotations

import copyreg
import datetime as dt
import functools
import io
import pickle
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel

__all__ = ["dumps", "loads", "rebuild", "rebuilder"]

M = TypeVar("M", bound=BaseModel)
_Convert = Callable[[Any], Any]
_PLAIN = (str, int, float, bool, type(None), Any)
#: What a pydantic 2 model instance holds, all of which ``build`` below sets.
_STATE = {"__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"}


class _PlainUnpickler(pickle.Unpickler):
    """An unpickler that names no class and no function: every global is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a digest holds plain data only, not {module}.{name}")


def dumps(data: Any) -> bytes:
    """``data`` (lists, dicts, strings, numbers, None) as bytes (one string object
    used in several places is stored once)."""
    return pickle.dumps(data, protocol=5)


def loads(body: bytes) -> Any:
    """What :func:`dumps` wrote: builtin values only (:class:`pickle.UnpicklingError`
    for a pickle that names a class or a function). Malformed bodies raise other
    errors too (``AttributeError``, ``IndexError``, ``MemoryError``...)."""
    # An EXT opcode takes a registered object without asking find_class; nothing
    # registers one normally, but then nothing is read rather than trusted.
    if copyreg._extension_registry or copyreg._extension_cache:  # type: ignore[attr-defined]
        raise pickle.UnpicklingError("copyreg's extension registry is in use")
    return _PlainUnpickler(io.BytesIO(body)).load()


def rebuild(cls: type[M], data: dict[str, Any]) -> M:
    """The ``cls`` that ``model.model_dump(mode="json")`` was dumped from.

    ``data`` must be such a dump, written by this user's geo_nb: where ``cls``'s
    fields allow it, values are not checked again (see the module docstring).
    It is consumed.
    """
    return rebuilder(cls)(data)


def rebuilder(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    """A function that does :func:`rebuild` for ``cls`` (made once per class)."""
    return cast("Callable[[dict[str, Any]], M]", _rebuilder(cls))


_planning: set[type[BaseModel]] = set()


@functools.cache
def _rebuilder(cls: type[BaseModel]) -> Callable[[dict[str, Any]], BaseModel]:
    decorators = cls.__pydantic_decorators__
    if (
        set(BaseModel.__slots__) != _STATE  # a pydantic whose models hold more than build sets
        or decorators.field_serializers  # a dump that is not the fields
        or decorators.model_serializers
        or cls.model_computed_fields
        or cls.__pydantic_post_init__ is not None  # state beyond the fields
        or cls.__private_attributes__
        or cls.model_config.get("extra") == "allow"
    ):
        return cls.model_validate
    plan: list[tuple[str, _Convert]] = []
    _planning.add(cls)
    try:
        for name, field in cls.model_fields.items():
            if field.alias not in (None, name) or field.metadata:
                return cls.model_validate  # an alias, constraints or a custom serializer
            convert = _converter(field.annotation)
            if convert is None:
                return cls.model_validate
            if convert is not _keep:
                plan.append((name, convert))
    finally:
        _planning.discard(cls)
    names = frozenset(cls.model_fields)
    new, setattr_ = object.__new__, object.__setattr__

    def build(data: dict[str, Any]) -> BaseModel:
        """One ``cls`` from its dump (see :func:`rebuild`)."""
        if type(data) is not dict or data.keys() != names:
            return cls.model_validate(data)  # not a full dump: let pydantic fill or refuse
        for name, convert in plan:
            value = data[name]
            if value is not None:
                data[name] = convert(value)
        model = new(cls)
        setattr_(model, "__dict__", data)
        setattr_(model, "__pydantic_fields_set__", set(names))
        setattr_(model, "__pydantic_extra__", None)
        setattr_(model, "__pydantic_private__", None)
        return model

    return build


def _keep(value: Any) -> Any:
    """The converter of plain data: the dumped value is the field's value."""
    return value


def _converter(annotation: Any) -> _Convert | None:
    """How a dumped value of ``annotation`` becomes the field's value: ``_keep`` for
    plain data, None where only validation can tell."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _converter(inner[0]) if len(inner) == 1 else _all_plain(inner)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return None if annotation in _planning else rebuilder(annotation)  # (recursive)
    if annotation is dt.date:  # (a datetime's zone comes back as pydantic's own class)
        return dt.date.fromisoformat
    if origin is list and len(args) == 1:
        item = _converter(args[0])
        if item is None or item is _keep:
            return item
        return lambda values: [None if v is None else item(v) for v in values]
    if origin is dict and len(args) == 2 and args[0] is str:
        return _keep if _converter(args[1]) is _keep else None
    if origin is Literal:  # (an enum member is dumped as its value)
        return _keep if all(type(a) in (str, int, bool, type(None)) for a in args) else None
    return _keep if annotation in _PLAIN else None


def _all_plain(annotations: list[Any]) -> _Convert | None:
    """``_keep`` for a union of plain types (a value keeps its type through a pickle)."""
    return _keep if all(_converter(a) is _keep for a in annotations) else None
