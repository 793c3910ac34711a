"""What the spec models share at run time: validation by prebuilt pydantic-core validators.

The models (:mod:`clusterforge.spec.models`) are frozen, keyword-only dataclasses. Their
validators and serializers are built by pydantic at build time (:mod:`clusterforge.spec.build`)
and shipped pickled in ``validators.pickle``; here they are loaded on first use, so validating a
stack imports ``pydantic_core`` but not pydantic (whose import and model build cost about
0.2 s CPU). With another pydantic-core than the one that wrote the file (or no readable
file), pydantic builds each model's validator in-process instead, as the build does: slower, the
same errors. The class-level API callers use is pydantic's: ``model_validate``, ``model_copy``,
``model_dump``, ``model_fields``, ``model_fields_set``, ``model_construct``.
"""

from __future__ import annotations

import dataclasses
import functools
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pydantic_core
from pydantic_core import ArgsKwargs, ValidationError

from clusterforge.spec import schema

if TYPE_CHECKING:
    from typing_extensions import Self, dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        """Only type checkers read it (``typing`` has it from Python 3.11)."""
        return lambda decorator: decorator


_Model = TypeVar("_Model", bound="SpecModel")

VALIDATORS_FILE = Path(__file__).with_name("validators.pickle")

#: Where an instance keeps the names of the fields its input set (pydantic's
#: ``model_fields_set``); not a dataclass field, so equality, repr and hashing ignore it.
_FIELDS_SET = "_spec_fields_set"
#: The spec models by class name (:func:`spec_model` adds each), for the in-process build.
_MODELS: dict[str, type[SpecModel]] = {}


class SpecModel:
    """Base of the spec models: pydantic's model API over a frozen dataclass."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
    #: The model's fields by name, in declaration order (set by :func:`spec_model`).
    model_fields: ClassVar[dict[str, dataclasses.Field[Any]]]

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.model_fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.model_fields)
        return f"{type(self).__qualname__}({fields})"

    def __setattr__(self, name: str, value: Any) -> None:
        _frozen(self, name, value)

    def __delattr__(self, name: str) -> None:
        _frozen(self, name)

    @classmethod
    def model_validate(cls, obj: Any) -> Self:
        """``obj`` (a mapping of fields, or an instance) validated into this model."""
        result: Self = _validator(cls.__name__).validate_python(obj)
        if isinstance(obj, dict) and result is not obj:
            object.__setattr__(result, _FIELDS_SET, frozenset(obj))
        return result

    @classmethod
    def model_construct(cls, **values: Any) -> Self:
        """An instance from ``values`` without validation (defaults fill the missing fields;
        names that are not fields are dropped), as pydantic's ``model_construct``."""
        instance = cls.__new__(cls)
        given = {}
        for name, field in cls.model_fields.items():
            if name in values:
                given[name] = values[name]
            elif field.default is not dataclasses.MISSING:
                object.__setattr__(instance, name, field.default)
            elif field.default_factory is not dataclasses.MISSING:
                object.__setattr__(instance, name, field.default_factory())
        for name, value in given.items():
            object.__setattr__(instance, name, value)
        object.__setattr__(instance, _FIELDS_SET, frozenset(given))
        return instance

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A shallow copy with ``update`` applied, not validated (as pydantic's)."""
        copied = self.__class__.__new__(self.__class__)
        copied.__dict__.update(self.__dict__)
        if update:
            copied.__dict__.update(update)
            object.__setattr__(copied, _FIELDS_SET, self._fields_set() | frozenset(update))
        return copied

    @property
    def model_fields_set(self) -> set[str]:
        """The fields the input gave (not filled in by a default)."""
        return set(self._fields_set())

    def _fields_set(self) -> frozenset[str]:
        fields_set: frozenset[str] = self.__dict__.get(_FIELDS_SET, frozenset())
        return fields_set

    def model_dump(self, *, mode: str = "python", exclude_none: bool = False) -> dict[str, Any]:
        """The fields as plain data (``mode="json"``: JSON types), as pydantic's."""
        data: dict[str, Any] = _serializer(type(self).__name__).to_python(
            self, mode=mode, exclude_none=exclude_none
        )
        return data

    def model_dump_json(self, *, exclude_none: bool = False) -> str:
        """The fields as a JSON document, as pydantic's."""
        return _serializer(type(self).__name__).to_json(self, exclude_none=exclude_none).decode()

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        """This model's JSON Schema, from the prebuilt stack schema (``schema.json``)."""
        return schema.model_schema(cls.__name__)


@dataclass_transform(
    kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,)
)
def spec_model(cls: type[_Model]) -> type[_Model]:
    """Make ``cls`` a spec model: a keyword-only dataclass (type checkers see a frozen one with
    its fields as ``__init__``'s keywords) whose ``__init__`` validates, with its
    ``model_fields``. Equality, hashing, repr and freezing are :class:`SpecModel`'s, as a frozen
    dataclass has them; not generating them per class keeps importing the models cheap."""
    model = dataclasses.dataclass(init=False, repr=False, eq=False, kw_only=True)(cls)
    model.model_fields = {f.name: f for f in dataclasses.fields(model)}  # type: ignore[arg-type]
    model.__init__ = _init_for(model.__name__)  # type: ignore[assignment,method-assign]
    _MODELS[model.__name__] = model
    return model


def _init_for(name: str) -> Callable[..., None]:
    def __init__(self: SpecModel, **fields: Any) -> None:
        _validator(name).validate_python(ArgsKwargs((), fields), self_instance=self)
        object.__setattr__(self, _FIELDS_SET, frozenset(fields))

    return __init__


def _frozen(model: SpecModel, name: str, value: Any = None) -> None:
    """pydantic's error for changing a frozen model."""
    raise ValidationError.from_exception_data(
        type(model).__name__, [{"type": "frozen_instance", "loc": (name,), "input": value}]
    )


def record_fields_set(value: Any, handler: Callable[[Any], Any]) -> Any:
    """Wraps the validator of every nested model (the build puts it there): a model built from
    a mapping remembers which fields the mapping gave."""
    result = handler(value)
    if isinstance(value, dict) and result is not value:
        object.__setattr__(result, _FIELDS_SET, frozenset(value))
    return result


def stored_values(model: SpecModel) -> dict[str, Any]:
    """What ``model`` holds, by name: its fields, and whatever ``model_construct`` or
    ``model_copy(update=...)`` put there unchecked (which validating again reports)."""
    return {key: value for key, value in vars(model).items() if key != _FIELDS_SET}


def error_details(error: ValidationError) -> list[Any]:
    """The errors of ``error`` in the words of a pydantic model, which the spec's findings
    (SPEC001, SPEC002) and their hints are written in: a dataclass validator reports an unknown
    field as an unexpected keyword argument and a mapping where a model belongs as
    ``dataclass_type``."""
    details = []
    for item in error.errors(include_url=False):
        kind = item["type"]
        if kind == "unexpected_keyword_argument":
            item = {**item, "type": "extra_forbidden", "msg": "Extra inputs are not permitted"}
        elif kind in ("missing_keyword_only_argument", "missing_argument"):
            item = {**item, "type": "missing", "msg": "Field required"}
        elif kind == "dataclass_type":
            model = item.get("ctx", {}).get("class_name", "")
            item = {
                **item,
                "type": "model_type",
                "msg": f"Input should be a valid dictionary or instance of {model}",
            }
        details.append(item)
    return details


@functools.cache
def _built() -> dict[str, bytes]:
    """The prebuilt validators in ``validators.pickle``, pickled by model name; empty when the
    file is missing or unreadable or was built by another pydantic-core than the one installed
    (a pickled validator is only good for the version that wrote it)."""
    try:
        with VALIDATORS_FILE.open("rb") as handle:
            built = pickle.load(handle)  # noqa: S301 - the package's own file
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        return {}
    if not isinstance(built, dict) or built.get("pydantic_core") != pydantic_core.__version__:
        return {}
    models: dict[str, bytes] = built.get("models") or {}
    return models


@functools.cache
def _compiled(name: str) -> tuple[pydantic_core.SchemaValidator, pydantic_core.SchemaSerializer]:
    """Model ``name``'s validator and serializer: the prebuilt ones, or else built here by
    pydantic the way the build builds them (slower, the same errors), once per process."""
    prebuilt = _built().get(name)
    if prebuilt is not None:
        try:
            compiled: tuple[pydantic_core.SchemaValidator, pydantic_core.SchemaSerializer] = (
                pickle.loads(prebuilt)  # noqa: S301 - the package's own file
            )
            return compiled
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            pass
    from clusterforge.spec import adapters

    return adapters.compiled(_MODELS[name], record_fields_set)


def _validator(name: str) -> pydantic_core.SchemaValidator:
    return _compiled(name)[0]


def _serializer(name: str) -> pydantic_core.SchemaSerializer:
    return _compiled(name)[1]
