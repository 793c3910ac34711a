"""The offline engine: run the real Pulumi program in-process against a recording mock monitor.

``pulumi.runtime.set_mocks`` is given our own monitor, a :class:`RecordingMonitor`, which answers
``RegisterResource`` itself so that it can keep what the ``Mocks`` interface drops: the parent,
the dependencies and the resource options (protect, retainOnDelete, deleteBeforeReplace,
ignoreChanges, provider). Ids and computed outputs come from :mod:`clusterforge.engine.canned`.

Each run happens in a fresh :mod:`contextvars` context, so several plans can run in one process
(the Pulumi SDK keeps its settings and root stack in context variables).
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import functools
import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any

from clusterforge.engine import canned
from clusterforge.errors import EngineError
from clusterforge.graph import STACK_TYPE, PlannedResource, ResourceGraph

SECRET = "[secret]"
COMPUTED = "<computed>"

#: Event loops the SDK's worker threads created (they live as long as the thread pool). Closed at
#: interpreter exit while their file descriptors still exist: left to the garbage collector, their
#: finalizers print an 'Invalid file descriptor' traceback after the command has finished.
_WORKER_LOOPS: set[Any] = set()


@atexit.register
def _close_worker_loops() -> None:
    for loop in _WORKER_LOOPS:
        if not loop.is_running() and not loop.is_closed():
            loop.close()


def _plain(value: Any) -> Any:
    """Deserialized engine values → JSON-able plain values (secrets masked, references as URNs).

    Runs once per input value of every resource: the common plain types are dispatched on their
    exact type first, without imports; anything else takes :func:`_plain_other`.
    """
    kind = type(value)
    if kind is str:
        return COMPUTED if value == _sdk.unknown else value
    if kind is dict:
        if value.get(_sdk.sig_key) == _sdk.secret_sig:
            return SECRET
        sig_key = _sdk.sig_key
        return {k: _plain(v) for k, v in value.items() if k != sig_key}
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    if kind is bool or kind is int or value is None:
        return value
    if kind is float:
        return int(value) if value.is_integer() else value  # Struct numbers are doubles: 8, not 8.0
    return _plain_other(value)


def _plain_other(value: Any) -> Any:
    """:func:`_plain` for subclasses of the plain types, resources and unknowns."""
    if isinstance(value, dict):
        if value.get(_sdk.sig_key) == _sdk.secret_sig:
            return SECRET
        return {k: _plain(v) for k, v in value.items() if k != _sdk.sig_key}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, _sdk.resource):
        return f"<resource {type(value).__name__}>"
    if value == _sdk.unknown or type(value).__name__ == "Unknown":
        return COMPUTED
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class _Sdk:
    """The Pulumi SDK names :func:`_plain` compares with, imported once (on first use) rather
    than inside its per-value recursion; this module must not import pulumi at import time."""

    @functools.cached_property
    def _rpc(self) -> Any:
        from pulumi.runtime import rpc

        return rpc

    @functools.cached_property
    def sig_key(self) -> str:
        return str(self._rpc._special_sig_key)

    @functools.cached_property
    def secret_sig(self) -> str:
        return str(self._rpc._special_secret_sig)

    @functools.cached_property
    def unknown(self) -> str:
        return str(self._rpc.UNKNOWN)

    @functools.cached_property
    def resource(self) -> type:
        from pulumi import Resource

        return Resource


_sdk = _Sdk()

#: True inside an offline run's context (and the asyncio tasks it creates, which copy it).
_OFFLINE_RUN: contextvars.ContextVar[bool] = contextvars.ContextVar("clusterforge_offline_run")


def _sdk_shortcuts() -> None:
    """Install, once per process, three shortcuts in the SDK's per-resource work (measured on the
    benchmark's stacks: together ~17% of a plan's CPU; the plan is byte-identical with them).

    * **No stack trace in offline runs.** For every resource the SDK walks the whole Python
      stack (``traceback.extract_stack``) and turns each frame into a ``file://`` URI for the
      request's ``stackTrace`` and ``sourcePosition``; the recording monitor reads neither. Under
      clusterforge's deep stack (CLI, engine, component constructors) that is ~10% of a plan, a
      cost a flat program does not pay. Outside an offline run's context (an Automation API
      program in the same process) the SDK's own function runs.
    * **Type unwrapping memoised.** Serializing typed inputs and translating typed outputs asks
      the same pure questions of the same annotation objects for every value (``Optional[T]`` →
      ``T``, ``Input[T]`` → ``T``, list element types). The answers are cached by the identity
      of the annotation object, which the cache keeps alive (ids cannot be reused), so equal but
      differently ordered ``Union`` objects are never confused.
    * **Dependency cycle check without a walk per repeated edge.** Before recording that a
      resource depends on another, the SDK walks everything the other one reaches (recursive
      generators) to refuse cycles. Most calls repeat an edge already recorded (each of a launch
      template's 64 security-group references, each child of a component named in
      ``depends_on``): the graph it records is acyclic, so a recorded edge can never close a
      cycle and needs no walk; new edges are checked by an iterative walk. Same answers.
    """
    from pulumi import _types as sdk_types
    from pulumi.runtime import resource as sdk_resource
    from pulumi.runtime import resource_cycle_breaker, rpc
    from pulumi.runtime.proto import source_pb2

    original = sdk_resource._get_stack_trace
    if getattr(original, "__wrapped__", None) is not None:
        return

    @functools.wraps(original)
    def _get_stack_trace() -> Any:
        if _OFFLINE_RUN.get(False):
            return source_pb2.StackTrace()
        return original()

    sdk_resource._get_stack_trace = _get_stack_trace
    for name in ("unwrap_type", "unwrap_optional_type", "_is_union_type", "_is_optional_type"):
        setattr(sdk_types, name, _memoised_by_identity(getattr(sdk_types, name)))
    rpc._get_list_element_type = _memoised_by_identity(rpc._get_list_element_type)  # type: ignore[assignment]
    declare = _declare_dependency(resource_cycle_breaker)
    # rpc imported the function by name: both names get the shortcut.
    resource_cycle_breaker.declare_dependency = declare  # type: ignore[assignment]
    rpc.declare_dependency = declare  # type: ignore[assignment]


def _declare_dependency(cycle_breaker: Any) -> Callable[[Any, Any], bool]:
    """The SDK's ``resource_cycle_breaker.declare_dependency`` (record that ``from_resource``
    depends on ``to_resource`` unless that closes a cycle; say whether it was recorded), with the
    same answers: an edge already recorded is recorded again without a walk (the recorded graph
    has no cycle, so the edge's target cannot reach its source), and a new edge is refused when
    its target reaches its source, found by an iterative walk over the recorded edges."""
    original = cycle_breaker.declare_dependency
    attribute = cycle_breaker._DEPENDENCIES_PROPERTY

    @functools.wraps(original)
    def declare_dependency(from_resource: Any, to_resource: Any) -> bool:
        recorded: set[Any] = getattr(from_resource, attribute, set())
        if to_resource in recorded:
            return True
        seen = {to_resource}
        pending = [to_resource]
        while pending:
            current = pending.pop()
            if current is from_resource:
                return False
            for reached in getattr(current, attribute, ()):
                if reached not in seen:
                    seen.add(reached)
                    pending.append(reached)
        setattr(from_resource, attribute, recorded | {to_resource})
        return True

    return declare_dependency


_MEMO_LIMIT = 65_536  # distinct annotation objects per function; the SDK's are a few hundred


def _memoised_by_identity(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function`` (pure, one argument) with its answers cached by the argument's identity."""
    answers: dict[int, tuple[Any, Any]] = {}

    @functools.wraps(function)
    def memoised(value: Any) -> Any:
        known = answers.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        answer = function(value)
        if len(answers) < _MEMO_LIMIT:
            answers[id(value)] = (value, answer)
        return answer

    return memoised


def _options(request: Any) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if request.HasField("protect"):
        options["protect"] = request.protect
    if request.HasField("retainOnDelete"):
        options["retainOnDelete"] = request.retainOnDelete
    if request.deleteBeforeReplaceDefined:
        options["deleteBeforeReplace"] = request.deleteBeforeReplace
    if request.ignoreChanges:
        options["ignoreChanges"] = list(request.ignoreChanges)
    if request.replaceOnChanges:
        options["replaceOnChanges"] = list(request.replaceOnChanges)
    if request.provider:
        options["provider"] = (
            request.provider.split("::")[-2] if "::" in request.provider else request.provider
        )
    if request.additionalSecretOutputs:
        options["additionalSecretOutputs"] = list(request.additionalSecretOutputs)
    return options


def _monitor_class() -> type:
    from google.protobuf import empty_pb2
    from pulumi.runtime import rpc
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.proto import resource_pb2
    from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

    class RecordingMonitor(MockMonitor):  # type: ignore[misc]
        """A mock resource monitor that records every registration with its options."""

        def __init__(self, mocks: Any, region: str, project: str | None = None) -> None:
            super().__init__(mocks)
            self.region = region
            self.project = project
            self.recorded: dict[str, PlannedResource] = {}
            self.order: list[str] = []
            self.stack_outputs: dict[str, Any] = {}
            self._lock = threading.Lock()

        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
            urn = self.make_urn(request.parent, request.type, request.name)
            loop = _ensure_event_loop()
            if threading.current_thread() is not threading.main_thread():
                _WORKER_LOOPS.add(loop)
            inputs = rpc.deserialize_properties(request.object)
            if request.type == STACK_TYPE:
                rid, state = "", {}
            elif request.custom:
                rid = canned.resource_id(request.type, request.name, urn, inputs, self.project)
                state = canned.outputs(request.type, request.name, urn, rid, inputs, self.region)
            else:
                rid, state = "", {}
            planned = PlannedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                id=rid or None,
                dependencies=sorted(set(request.dependencies)),
                property_dependencies={
                    key: sorted(set(deps.urns))
                    for key, deps in request.propertyDependencies.items()
                    if deps.urns
                },
                inputs=_plain(inputs),
                options=_options(request),
            )
            with self._lock:
                if urn in self.recorded:
                    # The engine refuses two resources with one URN; so does the plan.
                    raise EngineError(
                        f"two resources have the URN {urn}",
                        hint="resource names must be unique per type and parent",
                    )
                self.recorded[urn] = planned
                self.order.append(urn)
                self.resources[urn] = MockMonitor.ResourceRegistration(urn, rid, state)
            if not request.custom:
                return resource_pb2.RegisterResourceResponse(urn=urn)
            obj_proto = _sync_await(rpc.serialize_properties(state, {}))
            return resource_pb2.RegisterResourceResponse(urn=urn, id=rid, object=obj_proto)

        def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
            outputs = _plain(rpc.deserialize_properties(request.outputs))
            with self._lock:
                if request.urn in self.recorded:
                    self.recorded[request.urn].outputs = outputs
                if request.urn.split("::")[-2] == STACK_TYPE:
                    self.stack_outputs = outputs
            return empty_pb2.Empty()

    return RecordingMonitor


def _mocks_class() -> type:
    import pulumi

    class CannedMocks(pulumi.runtime.Mocks):  # type: ignore[misc]
        """Answers invokes from the canned table; resources are answered by the monitor."""

        def __init__(self, region: str) -> None:
            self.region = region
            self.unanswered: list[str] = []

        def call(self, args: Any) -> Any:
            answer = canned.invoke(args.token, args.args, self.region)
            if answer is None:
                self.unanswered.append(args.token)
                raise EngineError(
                    f"the offline engine has no canned answer for the data source {args.token}",
                    hint="add one to clusterforge/engine/canned.py",
                )
            return answer

        def new_resource(
            self, args: Any
        ) -> Any:  # pragma: no cover - the monitor answers resources
            return "", dict(args.inputs)

    return CannedMocks


def _order(graph_resources: dict[str, PlannedResource]) -> list[PlannedResource]:
    """Tree order: each parent before its children, siblings by (components first, type, name)."""
    children: dict[str | None, list[PlannedResource]] = {}
    for resource in graph_resources.values():
        parent = resource.parent if resource.parent in graph_resources else None
        children.setdefault(parent, []).append(resource)
    ordered: list[PlannedResource] = []
    stack = sorted(children.get(None, []), key=_sibling_key, reverse=True)
    while stack:
        current = stack.pop()
        ordered.append(current)
        stack.extend(sorted(children.get(current.urn, []), key=_sibling_key, reverse=True))
    return ordered


def _sibling_key(resource: PlannedResource) -> tuple[int, str, str]:
    return (1 if resource.custom else 0, resource.type, resource.name)


def run(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    region: str,
    cloud_project: str | None = None,
) -> ResourceGraph:
    """Run ``program`` under the recording mock monitor; return the planned graph.

    ``project`` is the Pulumi project; ``cloud_project`` the GCP project used in mock ids.
    """
    with _collector_paused():
        return contextvars.Context().run(_run, program, project, stack, region, cloud_project)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one plan, then put it back as it was.

    A plan allocates hundreds of thousands of objects (futures, tasks, protobuf values) and the
    collector kept rescanning the long-lived ones — measured at 42% of a plan's CPU. Freezing
    what exists before the run moves it out of the collector's sight; disabling the collector
    during the run leaves the run's own cycles for the first collection after it (peak memory
    measured +4% at 4,500 resources). Reference counting still frees everything else.
    """
    was_enabled = gc.isenabled()
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        if froze:
            gc.unfreeze()


def _run(
    program: Callable[[], None], project: str, stack: str, region: str, cloud_project: str | None
) -> ResourceGraph:
    import pulumi
    from pulumi.runtime.settings import SETTINGS
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    _sdk_shortcuts()
    _OFFLINE_RUN.set(True)
    mocks = _mocks_class()(region)
    monitor = _monitor_class()(mocks, region, cloud_project)
    try:
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
        SETTINGS.rpc_manager.clear()
        SETTINGS.outputs.clear()
        _sync_await(run_pulumi_func(lambda: _with_stack_outputs(program)))
    except EngineError:
        raise
    except Exception as exc:  # noqa: BLE001 - translate SDK/program errors at this one boundary
        inner = _innermost(exc)
        if isinstance(inner, EngineError):
            raise inner from None
        raise EngineError(f"the Pulumi program failed: {_describe(exc)}") from exc
    return ResourceGraph(_order(monitor.recorded), dict(monitor.stack_outputs))


def _with_stack_outputs(program: Callable[[], None]) -> None:
    """Run the program, then register the root stack's exports.

    ``set_mocks`` creates and finishes the root stack before the program runs, so exports made
    by the program would never reach the monitor; finishing it again (as ``run_in_stack`` does
    after a real program) registers them.
    """
    from pulumi.runtime.settings import get_root_resource

    program()
    root = get_root_resource()
    if root is not None and getattr(root, "outputs", None) and hasattr(root, "_outputs_registered"):
        root._outputs_registered = False  # type: ignore[attr-defined]
        root._finish()  # type: ignore[attr-defined]


def _chain(exc: BaseException) -> list[BaseException]:
    chain = [exc]
    while chain[-1].__cause__ is not None and chain[-1].__cause__ not in chain:
        chain.append(chain[-1].__cause__)
    return chain


def _innermost(exc: BaseException) -> BaseException:
    return _chain(exc)[-1]


def _describe(exc: BaseException) -> str:
    """The resource that failed and the root cause, from the SDK's chained assertion messages
    ("While processing resource: ... / ... has risen: <cause>")."""
    chain = _chain(exc)
    messages = [str(e) for e in chain if str(e)]
    detailed = next((m for m in messages if m.startswith("While processing resource")), None)
    if detailed:
        lines = detailed.splitlines()
        cause = lines[-1].split("has risen: ", 1)[-1]
        return f"{lines[0]}: {cause}" if len(lines) > 1 else lines[0]
    inner = chain[-1]
    text = str(inner).splitlines()[0] if str(inner) else ""
    return f"{type(inner).__name__}: {text}"
