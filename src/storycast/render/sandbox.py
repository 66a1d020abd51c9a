"""The template sandbox: what a frame template may touch, and how long and how much it may run.

Frame templates run in :class:`StoryEnvironment`, Jinja's ``ImmutableSandboxedEnvironment``
(no attributes starting with ``_``, no changing a list or dict in place) with three more rules:

* **A time limit** (``[render] template_timeout``): every loop iteration, call, attribute or item
  lookup, filter, operator and piece of output counts a tick, and every few ticks the clock is
  read. No signals, so it works in any thread (the preview server, the daemon) and process.
* **A size limit** (``[render] template_max_output``): every piece of text a template produces is
  counted, at every level (macro output, ``{% set %}`` blocks, ``caller()``), and no single value
  (text, list, number) may grow past the limit. Operations that could build a huge value in one
  step (``*``, ``**``, ``+``, ``%``, ``~``, string methods such as ``center`` or ``join``, filters
  such as ``indent`` or ``join``) are checked *before* they run.
* **Deterministic, text-only globals and filters**: ``lipsum`` and the ``random`` filter are gone
  (they would make frames differ from run to run), and so are ``pprint`` (Python reprs),
  ``striptags`` and ``urlize`` (HTML helpers whose patterns backtrack on hostile text).
  Printf-style and ``str.format`` width and precision are capped at :data:`MAX_FORMAT_WIDTH`.

The limits live in a per-thread :class:`Budget` that :func:`activate` installs for one render.
"""

from __future__ import annotations

import re
import threading
import time
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from string import Formatter
from typing import Any

from jinja2 import Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
    SecurityError,
)
from jinja2.utils import _PassArg
from markupsafe import Markup

from ..errors import StorycastError

DEFAULT_TIMEOUT = 10.0
"""Seconds one template may run (``[render] template_timeout``)."""
DEFAULT_MAX_OUTPUT = 1_000_000
"""Characters one template may produce, and its largest value (``[render] template_max_output``)."""
MAX_TEMPLATE_CHARS = 1_000_000
"""Largest template file storycast compiles."""
MAX_FORMAT_WIDTH = 1000
"""Largest width or precision in ``"%10s"``-style and ``"{:>10}"``-style formatting."""
MAX_INT_BITS = 16_384
"""Largest integer a template may compute (about 4900 digits; Python prints at most 4300)."""

_CHECK_EVERY = 32  # ticks between two looks at the clock
_REMOVED_FILTERS = ("random", "pprint", "striptags", "urlize")
_REMOVED_GLOBALS = ("lipsum",)
_CODEGEN_VERSION = "s1"  # bump when the generated code changes: it names the bytecode cache


class LimitError(StorycastError):
    """A template ran past one of its limits (the engine adds the template's file and line)."""


class Budget:
    """What one render may still spend: a deadline and a count of produced characters."""

    __slots__ = ("deadline", "limit", "produced", "ticks", "timeout")

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_MAX_OUTPUT) -> None:
        self.timeout = timeout
        self.limit = limit
        self.deadline = time.monotonic() + timeout
        self.produced = 0
        self.ticks = 0

    def tick(self) -> None:
        """Count one step; every few steps, stop a template that is past its time."""
        self.ticks += 1
        if self.ticks % _CHECK_EVERY == 0 and time.monotonic() > self.deadline:
            raise LimitError(
                f"the template ran longer than {self.timeout:g} s (a loop or recursion without end?)",
                hint="check loops and macros that call themselves; if the template is simply slow, "
                "raise [render] template_timeout in storycast.toml",
            )

    def add(self, count: int) -> None:
        """Count produced characters."""
        self.produced += count
        if self.produced > self.limit:
            raise LimitError(
                f"the template produced more than {self.limit:,} characters of output",
                hint="a frame spec is a few thousand characters: check loops that repeat output; "
                "[render] template_max_output in storycast.toml sets the limit",
            )

    def check_size(self, size: int, what: str) -> None:
        """Refuse a value (about to be) ``size`` characters large."""
        if size > self.limit:
            raise LimitError(
                f"{what} would be larger than the template limit of {self.limit:,} characters",
                hint="templates lay out short texts; [render] template_max_output in storycast.toml "
                "sets the limit",
            )


class _Local(threading.local):
    budget: Budget | None = None


_local = _Local()


def budget() -> Budget:
    """The budget of the render running in this thread (a fresh default one outside renders)."""
    current = _local.budget
    if current is None:
        current = _local.budget = Budget(timeout=float("inf"))
    return current


@contextmanager
def activate(current: Budget) -> Iterator[Budget]:
    """Run one render under ``current`` in this thread."""
    previous = _local.budget
    _local.budget = current
    try:
        yield current
    finally:
        _local.budget = previous


def weight(value: Any, limit: int) -> int:
    """About how many characters ``value`` takes as text, counted up to just past ``limit``.

    Containers are walked (iteratively, so deep nesting is fine); a list holding the same big
    string many times weighs what it would print, not what it takes in memory.
    """
    if isinstance(value, str):
        return len(value) + 2
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + len(item)
            stack.extend(item)
        elif isinstance(item, Mapping):
            total += 2 + 2 * len(item)
            for k, v in item.items():
                stack.append(k)
                stack.append(v)
        elif isinstance(item, (bytes, bytearray)):
            total += len(item)
        else:
            total += 1
        if total > limit:
            return total
    return total


def is_function(value: Any) -> bool:
    """A function, macro, method or class (not an undefined variable, which is callable too)."""
    return callable(value) and not isinstance(value, Undefined)


def printed_callable(value: Any) -> LimitError:
    """A function, macro or class turned into text: its repr shows internals and a memory address."""
    name = getattr(value, "__name__", None) or getattr(value, "name", None) or type(value).__name__
    return LimitError(
        f"the template printed {name!s:.60} itself instead of its result",
        hint='call it with its arguments, such as t("step_of", n=1, total=3), or print a variable',
    )


_NUMBERS = frozenset({int, float})


def _is_seq(value: Any) -> bool:
    return isinstance(value, (str, list, tuple))


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_int(value: int, what: str) -> None:
    if value.bit_length() > MAX_INT_BITS:
        raise _too_big(what)


def _too_big(what: str) -> LimitError:
    return LimitError(
        f"{what} would be a number of more than {MAX_INT_BITS:,} bits",
        hint="templates compute positions and sizes; keep numbers small",
    )


def _check_binop(b: Budget, op: str, left: Any, right: Any) -> None:
    if op == "*" and _int(left) and _int(right):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise _too_big("the product")
    elif op == "*" and ((_int(right) and _is_seq(left)) or (_int(left) and _is_seq(right))):
        seq, n = (left, right) if _int(right) else (right, left)
        if n > 0:
            one = len(seq) if isinstance(seq, str) else weight(seq, b.limit)
            b.check_size(one * min(n, b.limit + 1), "the repeated value")
    elif op == "**" and _int(left) and _int(right) and right > 0 and abs(left) > 1:
        if left.bit_length() * right > MAX_INT_BITS:
            raise _too_big("the power")
    elif op == "+" and _is_seq(left) and _is_seq(right):
        b.check_size(weight(left, b.limit) + weight(right, b.limit), "the joined value")


# printf-style conversions: %[(key)][flags][width][.precision][length]type
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")


def check_percent_format(fmt: str) -> None:
    """Refuse ``*`` and widths or precisions above :data:`MAX_FORMAT_WIDTH` in a printf-style format."""
    for m in _PERCENT.finditer(fmt):
        for part in (m.group(1), m.group(2)):
            if part == "*":
                raise LimitError(
                    "a % format takes its width from an argument (`*`), which templates may not do",
                    hint=f"write the width as a number (at most {MAX_FORMAT_WIDTH})",
                )
            if part is not None and int(part) > MAX_FORMAT_WIDTH:
                raise LimitError(
                    f"a % format asks for a width or precision of {part}",
                    hint=f"widths and precisions are at most {MAX_FORMAT_WIDTH}",
                )


# A str.format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(r"^(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[_,]?(?:\.(\d+))?[a-zA-Z%]?$", re.DOTALL)


def check_format_spec(spec: str) -> None:
    """Refuse a ``str.format`` field spec with a width or precision above :data:`MAX_FORMAT_WIDTH`."""
    m = _SPEC.match(spec)
    if m is None:
        return  # Python rejects it itself
    for part in m.groups():
        if part and int(part) > MAX_FORMAT_WIDTH:
            raise LimitError(
                f"a format field asks for a width or precision of {part}",
                hint=f"widths and precisions are at most {MAX_FORMAT_WIDTH}",
            )


class _BoundedFields(Formatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        check_format_spec(format_spec)
        return super().format_field(value, format_spec)


class _Formatter(_BoundedFields, SandboxedFormatter):
    pass


class _EscapeFormatter(_BoundedFields, SandboxedEscapeFormatter):
    pass


def _builtin_self(obj: Any) -> Any:
    """The object a C method is bound to (``"a".center`` -> ``"a"``), else None."""
    if isinstance(obj, (types.BuiltinMethodType, types.BuiltinFunctionType)):
        owner = getattr(obj, "__self__", None)
        if owner is not None and not isinstance(owner, types.ModuleType):
            return owner
    return None


def _estimate(b: Budget, base: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """An upper bound of the text a string operation on ``base`` with these arguments can build."""
    extra = [*args, *kwargs.values()]
    factor = 1 + sum(weight(a, b.limit) for a in extra if not _int(a))
    numbers = sum(a for a in extra if _int(a) and a > 0)
    return (weight(base, b.limit) + 1) * factor + numbers


def _check_call_args(b: Budget, what: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    for a in (*args, *kwargs.values()):
        if _int(a) and a > b.limit:
            raise LimitError(
                f"{what} was given the number {a}, larger than the template limit of {b.limit:,}",
                hint="templates lay out short texts; use small widths and counts",
            )


class _TickingIterator:
    """What a ``{% for %}`` loop iterates over: the original iterable, one tick per item."""

    __slots__ = ("_budget", "_it", "_source")

    def __init__(self, source: Any, current: Budget) -> None:
        self._source = source
        self._it = iter(source)
        self._budget = current

    def __iter__(self) -> _TickingIterator:
        return self

    def __next__(self) -> Any:
        self._budget.tick()
        return next(self._it)

    def __len__(self) -> int:  # loop.length and loop.last without consuming the source first
        return len(self._source)


class _LimitedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every output and ``~`` going through the budget.

    It also never folds ``{{ "literal" }}`` at compile time: Jinja escapes constants before
    ``finalize`` there, which would make a literal string look already-safe and skip the YAML
    quoting; evaluating it at run time keeps one rule for every expression.
    """

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        if not isinstance(node, nodes.TemplateData):
            raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)

    def _output_const_repr(self, group: Any) -> str:
        return f"environment.storycast_out({super()._output_const_repr(group)})"

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write("environment.storycast_out(")
        super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        super()._output_child_post(node, frame, finalize)
        self.write(")")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            func_name = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            func_name = "markup_join"
        else:
            func_name = "str_join"
        self.write(f"environment.storycast_concat({func_name}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


# Filters whose number arguments are widths or counts (the output grows with them).
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice", "replace"})


def _guard_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with a tick, argument checks before it runs and a size check of its result."""
    offset = 1 if _PassArg.from_obj(fn) is not None else 0

    @wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        b = budget()
        b.tick()
        what = f"the {name} filter"
        if name in _WIDTH_FILTERS:
            _check_call_args(b, what, args[offset + 1 :], kwargs)
        if len(args) > offset:
            value = args[offset]
            if name in ("string", "e", "escape", "forceescape") and is_function(value):
                raise printed_callable(value)
            if name == "join":
                items = list(value)  # a generator is read once, here
                sep = args[offset + 1] if len(args) > offset + 1 else kwargs.get("d", "")
                b.check_size(weight(items, b.limit) + len(items) * len(str(sep)), f"the result of {what}")
                args = (*args[:offset], items, *args[offset + 1 :])
            elif name in ("indent", "replace", "wordwrap", "center", "format", "truncate"):
                if name == "format" and isinstance(value, str):
                    check_percent_format(value)
                b.check_size(_estimate(b, value, args[offset + 1 :], kwargs), f"the result of {what}")
            elif name == "sum":
                return _ticking_sum(b, args[offset:], kwargs, lambda *a, **k: fn(*args[:offset], *a, **k))
        result = fn(*args, **kwargs)
        if isinstance(result, (str, list, tuple, dict)):
            b.check_size(weight(result, b.limit), f"the result of {what}")
        return result

    return guarded


def _ticking_sum(
    b: Budget, args: tuple[Any, ...], kwargs: Mapping[str, Any], plain: Callable[..., Any]
) -> Any:
    """``|sum`` of numbers as Jinja does it; of lists or texts, one checked addition at a time."""
    items = list(args[0])
    if (
        len(args) > 1
        or kwargs.get("attribute") is not None
        or all(isinstance(i, (int, float)) for i in items)
    ):
        result = plain(items, *args[1:], **kwargs)
        if _int(result):
            _check_int(result, "the sum")
        return result
    total: Any = kwargs.get("start", 0)
    for item in items:
        b.tick()
        _check_binop(b, "+", total, item)
        total = total + item
    return total


class StoryEnvironment(ImmutableSandboxedEnvironment):
    """Sandboxed, strict, YAML-quoting Jinja environment with a time and size budget."""

    code_generator_class = _LimitedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in _REMOVED_FILTERS:
            self.filters.pop(name, None)
        for name in _REMOVED_GLOBALS:
            self.globals.pop(name, None)
        self.guard_filters()

    def guard_filters(self) -> None:
        """Wrap every filter (call again after adding filters)."""
        for name, fn in list(self.filters.items()):
            if not getattr(fn, "_storycast_guarded", False):
                guarded = _guard_filter(name, fn)
                guarded._storycast_guarded = True  # type: ignore[attr-defined]
                self.filters[name] = guarded

    # -- the parse tree: every {% for %} iterates through the budget ---------------------------

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("storycast_loop"), [loop.iter], [], None, None, lineno=loop.lineno
            )
        return tree

    # -- hooks the generated code calls --------------------------------------------------------

    def storycast_loop(self, iterable: Any) -> _TickingIterator:
        return _TickingIterator(iterable, budget())

    def storycast_out(self, text: str) -> str:
        # The hottest hook (every piece of output): inlined, no tick (loops around it tick).
        b = _local.budget or budget()
        b.produced += len(text)
        if b.produced > b.limit:
            b.add(0)  # raises
        return text

    def storycast_concat(self, join: Callable[[Any], str], parts: tuple[Any, ...]) -> str:
        b = budget()
        b.tick()
        for part in parts:
            if is_function(part):
                raise printed_callable(part)
        b.check_size(sum(weight(p, b.limit) for p in parts), "the joined text (~)")
        return join(parts)

    # -- the sandbox's own hooks ---------------------------------------------------------------

    def getattr(self, obj: Any, attribute: str) -> Any:
        (_local.budget or budget()).tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        (_local.budget or budget()).tick()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "+" and type(left) in _NUMBERS and type(right) in _NUMBERS:
            return left + right  # layout arithmetic: the common case, and it cannot explode
        b = _local.budget or budget()
        b.tick()
        if operator == "%" and isinstance(left, str):
            check_percent_format(left)
        else:
            _check_binop(b, operator, left, right)
        result = self.binop_table[operator](left, right)
        if operator == "%" and isinstance(result, str):
            b.check_size(len(result), "the formatted text")
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        b = budget()
        b.tick()
        if not __self.is_safe_callable(__obj):
            raise SecurityError(f"{__obj!r} is not safely callable")
        owner = _builtin_self(__obj)
        if isinstance(owner, (str, bytes)):  # "x".center(10**9), "x".join(...), "a".replace(...)
            what = f"{type(owner).__name__}.{__obj.__name__}()"
            _check_call_args(b, what, args, kwargs)
            if __obj.__name__ == "join" and len(args) == 1:
                args = (list(args[0]),)
            b.check_size(_estimate(b, owner, args, kwargs), f"the result of {what}")
        result = __context.call(__obj, *args, **kwargs)
        if isinstance(result, (str, list, tuple, dict)):
            b.check_size(weight(result, b.limit), "the value returned by the call")
        elif _int(result):
            _check_int(result, "the value returned by the call")
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``"{}".format(...)`` and ``format_map``, sandboxed and with bounded field widths."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or value.__name__ not in (
            "format",
            "format_map",
        ):
            return None
        f_self: Any = value.__self__
        if not isinstance(f_self, str):
            return None
        str_type: type[str] = type(f_self)
        is_format_map = value.__name__ == "format_map"
        formatter: SandboxedFormatter = (
            _EscapeFormatter(self, escape=f_self.escape) if isinstance(f_self, Markup) else _Formatter(self)
        )

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one mapping")
                kwargs, args = args[0], ()
            return str_type(formatter.vformat(f_self, args, kwargs))

        return wraps(value)(wrapper)


def codegen_version() -> str:
    """Part of the bytecode cache's folder name (compiled code of another version is not reused)."""
    return _CODEGEN_VERSION
