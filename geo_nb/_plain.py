"""Records as plain data on disk, and rebuilt without validating them twice.

A digest (see :mod:`geo_nb.digests`) holds records geo_nb itself validated,
dumped, and wrote with a SHA-256 it checks on reading. Reading them back
through pydantic's JSON validation was most of a warm start in a new process:
``json.loads`` alone takes as long to build the same lists and dicts. Here
they are a pickle of plain data, which Python's C unpickler turns into those
lists and dicts faster (and a string used twice is read once), and each model
is rebuilt as pydantic's own unpickling does (what its ``__setstate__`` sets:
the field dict, which fields were set, no extras, no private attributes),
without validating again what was validated before it was written. The result
equals what pydantic's ``model_validate`` makes of the same data; the tests
check that for every record type, on real records.

Why not plain ``pickle`` of the models, or ``model_construct``: unpickling a
model calls a class named by the file, and a cache folder can be shared (a lab
drive), so the unpickler here refuses every global: a digest can hold lists,
dicts, strings, numbers, booleans and None, and nothing that runs code (the
"restricting globals" of Python's ``pickle`` docs). ``model_construct`` is
pure Python per field and as slow as validating.

A model whose fields this module cannot rebuild exactly (a type other than
plain data, dates, models and lists of models) is validated instead, so a new
field type costs speed, never correctness.

Example:
    >>> from geo_nb.records import FetchError
    >>> row = FetchError(accession="GSE1", kind="not_found", message="gone")
    >>> loads(dumps(row.model_dump(mode="json"))) == row.model_dump(mode="json")
    True
    >>> rebuild(FetchError, row.model_dump(mode="json")) == row
    True
"""

from __future__ import annotations

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
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a digest holds plain data only, not {module}.{name}")


def dumps(data: Any) -> bytes:
    """``data`` (lists, dicts, strings, numbers, None) as bytes (one string object
    used in several places is stored once)."""
    return pickle.dumps(data, protocol=5)


def loads(body: bytes) -> Any:
    """What :func:`dumps` wrote; :class:`pickle.UnpicklingError` for anything but plain data."""
    return _PlainUnpickler(io.BytesIO(body)).load()


def rebuild(cls: type[M], data: dict[str, Any]) -> M:
    """The ``cls`` that ``model.model_dump(mode="json")`` was dumped from.

    ``data`` must come from geo_nb itself (it is not validated again when ``cls``'s
    fields allow that; see the module docstring) and is consumed.
    """
    return rebuilder(cls)(data)


def rebuilder(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    """A function that does :func:`rebuild` for ``cls`` (made once per class)."""
    return cast("Callable[[dict[str, Any]], M]", _rebuilder(cls))


@functools.cache
def _rebuilder(cls: type[BaseModel]) -> Callable[[dict[str, Any]], BaseModel]:
    if set(BaseModel.__slots__) != _STATE:
        return cls.model_validate  # a pydantic whose models hold more than this sets
    plan: list[tuple[str, _Convert]] = []
    for name, field in cls.model_fields.items():
        if field.alias not in (None, name):
            return cls.model_validate
        convert = _converter(field.annotation)
        if convert is None:
            return cls.model_validate
        if convert is not _keep:
            plan.append((name, convert))
    names = frozenset(cls.model_fields)
    new, setattr_ = object.__new__, object.__setattr__

    def build(data: dict[str, Any]) -> BaseModel:
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

    decorators = cls.__pydantic_decorators__
    custom = decorators.field_serializers or decorators.model_serializers
    if custom or cls.__pydantic_post_init__ is not None or cls.__private_attributes__:
        return cls.model_validate  # a dump that is not the fields, or state beyond them
    if cls.model_config.get("extra") == "allow" or cls.model_computed_fields:
        return cls.model_validate
    return build


def _keep(value: Any) -> Any:
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
        return rebuilder(annotation)
    if annotation is dt.date:  # (a datetime's zone comes back as pydantic's own class)
        return dt.date.fromisoformat
    if origin is list and len(args) == 1:
        item = _converter(args[0])
        if item is None or item is _keep:
            return item
        return lambda values: [item(v) for v in values]
    if origin is dict and len(args) == 2 and args[0] is str:
        return _keep if _converter(args[1]) is _keep else None
    if origin is Literal:
        return _keep
    return _keep if annotation in _PLAIN else None


def _all_plain(annotations: list[Any]) -> _Convert | None:
    return _keep if all(_converter(a) is _keep for a in annotations) else None
