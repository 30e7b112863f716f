"""Records as plain data on disk, and rebuilt without validating them twice.

A digest (see :mod:`geo_nb.digests`) holds records geo_nb validated, dumped
and wrote (with a SHA-256 that catches a damaged file, not a forged one).
Reading them back through pydantic's JSON validation was most of a warm start
in a new process: ``json.loads`` alone takes as long to build the same lists
and dicts. Here they are a pickle of plain data (``model_dump()``: lists, dicts,
strings, numbers, dates), which Python's C unpickler turns into those lists
and dicts faster (a string used twice, such as a label every sample has, is
read once), and each model is rebuilt as pydantic's own unpickling does (what its
``__setstate__`` sets: the field dict, which fields were set, no extras, no
private attributes), without validating again what was validated before it
was written. For a genuine dump the result equals what pydantic's
``model_validate`` makes of it; the tests check that for every record type
of the digests, on real records.

What this trusts, and what it does not:

- The unpickler refuses every global but ``datetime.date`` and
  :class:`SharedList` (a list of what it is given), so a digest
  cannot name another class or a function, and reading one never runs code
  (the "restricting globals" of Python's ``pickle`` docs). It still builds
  whatever builtin values a pickle describes, and a hand-made one can ask for
  a lot of memory (CPython gh-115952) or hold values of the wrong type, which
  are not checked here.
- So only digests this user wrote are read (:mod:`geo_nb.digests` asks the
  disk cache for entries the user owns): a cache folder can be shared (a lab
  drive), and a digest another user wrote is rebuilt from the raw answers,
  which are parsed and validated as usual.
- A model whose fields this module cannot rebuild exactly (a type other than
  plain data, dates, models and lists of them; aliases, constraints,
  serializers, private attributes) is validated instead: a new field type
  costs speed, not correctness.

A series' samples repeat most of their values (contact, dates, protocols), so a
digest's lists of strings are stored once per distinct list
(:func:`share_lists`) and read back as one read-only :class:`SharedList` that
the records share: a warm start builds a third as many lists.

Why not plain ``pickle`` of the models: unpickling a model calls a class
named by the file. Why not ``model_construct``: it is pure Python per field
and as slow as validating.

Example:
    >>> from geo_nb.records import FetchError
    >>> row = FetchError(accession="GSE1", kind="not_found", message="gone")
    >>> loads(dumps(row.model_dump())) == row.model_dump()
    True
    >>> rebuild(FetchError, row.model_dump()) == row
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
from collections.abc import Callable, Iterable
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel

__all__ = ["AllFieldsSet", "SharedList", "dumps", "loads", "rebuild", "rebuilder", "share_lists"]

M = TypeVar("M", bound=BaseModel)
_Convert = Callable[[Any], Any]
_PLAIN = (str, int, float, bool, bytes, type(None), Any)
#: What a pydantic 2 model instance holds, all of which ``build`` below sets.
_STATE = {"__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"}


class _PlainUnpickler(pickle.Unpickler):
    """An unpickler that names no class and no function but ``datetime.date`` and
    :class:`SharedList`."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("datetime", "date"):
            return dt.date  # (its constructor checks the year, month and day it is given)
        if (module, name) == (__name__, "SharedList"):
            return SharedList  # (a list of what it is given, nothing else)
        raise pickle.UnpicklingError(
            f"a digest holds plain data and dates only, not {module}.{name}"
        )


class _PlainPickler(pickle.Pickler):
    """A pickler that writes what :class:`_PlainUnpickler` reads, and refuses the rest."""

    def reducer_override(self, obj: Any) -> Any:
        # Called only for what is not a builtin value (str, int, list, dict...).
        if type(obj) is dt.date or obj is dt.date or obj is SharedList:
            return NotImplemented  # the usual way: the class by name, and 4 bytes
        if type(obj) is SharedList:
            return SharedList, (tuple(obj),)  # (not its __reduce__: that makes a list)
        raise pickle.PicklingError(
            f"a digest holds plain data and dates only, not {type(obj).__qualname__}"
        )


def dumps(data: Any) -> bytes:
    """``data`` (lists, dicts, strings, numbers, None, dates) as bytes; one object
    used in several places is stored once. :class:`pickle.PicklingError` for any other
    type (a digest that could never be read back is not written)."""
    out = io.BytesIO()
    _PlainPickler(out, protocol=5).dump(data)
    return out.getvalue()


def loads(body: bytes) -> Any:
    """What :func:`dumps` wrote: builtin values and dates only
    (:class:`pickle.UnpicklingError` for a pickle that names any other class or a
    function). Malformed bodies raise other errors too (``AttributeError``,
    ``IndexError``, ``MemoryError``...)."""
    # An EXT opcode takes a registered object without asking find_class; nothing
    # registers one normally, but then nothing is read rather than trusted.
    if copyreg._extension_registry or copyreg._extension_cache:  # type: ignore[attr-defined]
        raise pickle.UnpicklingError("copyreg's extension registry is in use")
    return _PlainUnpickler(io.BytesIO(body)).load()


def rebuild(cls: type[M], data: dict[str, Any]) -> M:
    """The ``cls`` that ``model.model_dump()`` was dumped from.

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
    every = AllFieldsSet(names)
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
        setattr_(model, "__pydantic_fields_set__", every)
        setattr_(model, "__pydantic_extra__", None)
        setattr_(model, "__pydantic_private__", None)
        return model

    return build


class _Shared:
    """What a container that many records share does: it refuses every change (which
    would reach all of them), and its copies and pickles are plain ones of their own."""

    __slots__ = ()
    _plain: typing.ClassVar[type[Any]]
    _what: typing.ClassVar[str]

    def _shared(self, *_: object) -> typing.NoReturn:
        raise TypeError(f"this {self._what}")

    def __copy__(self) -> Any:
        return self._plain(cast("Iterable[Any]", self))

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self.__copy__()

    def __reduce__(self) -> tuple[Any, tuple[list[Any]]]:
        return self._plain, (list(cast("Iterable[Any]", self)),)


class AllFieldsSet(_Shared, set[str]):
    """The ``model_fields_set`` of every model :func:`rebuild` makes of one class: all
    of its fields, one set shared by all of them (a set per model was a quarter of
    a warm start's memory).

    Pydantic only ever adds a field's name to it (on assignment), which changes
    nothing here; any change to its contents raises rather than reach every other
    model. A copy (pydantic's ``model_copy``) or a pickle is a plain set.
    """

    __slots__ = ()
    _plain = set
    _what = (
        "model_fields_set is shared by the records geo_nb read from its cache "
        "(every field is set): change a copy, set(model.model_fields_set)"
    )

    def add(self, name: str) -> None:
        """Nothing to do for a field's name (all are in); otherwise refused."""
        if name not in self:
            self._shared()

    discard = remove = pop = clear = update = _Shared._shared
    difference_update = intersection_update = symmetric_difference_update = _Shared._shared
    __ior__ = __iand__ = __isub__ = __ixor__ = _Shared._shared

    def __repr__(self) -> str:
        return repr(set(self))


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
    if annotation is dt.date:  # (a datetime's zone is pydantic's own class: not plain)
        return _keep
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


class SharedList(_Shared, list[Any]):
    """A list that several records :func:`rebuild` made share, read-only.

    Most of a series' samples carry the same values under most labels (contact,
    dates, protocols, ``data_processing``), so a digest stores each distinct list
    once (:func:`share_lists`) and the records read back share it: a warm start
    builds a third as many lists. Any change raises rather than reach every
    other record; a copy (``list(values)``, :func:`copy.copy`), a deep copy or a
    pickle is a plain list, and a SharedList equals the plain list of its items.

    Example:
        >>> values = SharedList(["Homo sapiens"])
        >>> values == ["Homo sapiens"], list(values) + ["Mus musculus"]
        (True, ['Homo sapiens', 'Mus musculus'])
    """

    __slots__ = ()
    _plain = list
    _what = "list is shared by the records geo_nb read from its cache: change a copy, list(values)"

    append = extend = insert = remove = pop = clear = reverse = _Shared._shared
    sort = __setitem__ = __delitem__ = __iadd__ = __imul__ = _Shared._shared  # type: ignore[assignment]


def share_lists(data: Any) -> Any:
    """``data`` (a dump) with its lists of strings replaced by one :class:`SharedList`
    per distinct list, so that :func:`dumps` stores each once and :func:`loads`
    gives records that share them. ``data`` is changed in place and returned."""
    shared: dict[tuple[str, ...], SharedList] = {}

    def visit(value: Any) -> Any:
        if type(value) is dict:
            for key, item in value.items():
                if type(item) in (dict, list):
                    value[key] = visit(item)
        elif type(value) is list:
            if all(type(item) is str for item in value):
                items = tuple(value)
                found = shared.get(items)
                if found is None:
                    found = shared[items] = SharedList(items)
                return found
            for index, item in enumerate(value):
                if type(item) in (dict, list):
                    value[index] = visit(item)
        return value

    return visit(data)
