"""The playground: ``python -m autograd serve "c*(a+2*b)" a=3 b=1 c=-2`` (or ``chaingrad serve ...``).

A local web page to play with backpropagation: type an expression (the command line's grammar, see
`autograd.cli`), drag its inputs, and watch the forward and backward pictures (`draw`), the gradients, a
node's derivation (`explain`), the backward pass step by step (`draw_steps`) and `gradcheck` follow.

The server is the standard library's ``ThreadingHTTPServer``, bound to 127.0.0.1 only. It executes
nothing: expressions go through the command line's whitelist parser. It answers only requests whose
``Host`` is localhost or 127.0.0.1 (a page elsewhere cannot reach it by DNS rebinding) and whose
``Origin``, if any, is its own; bodies, expressions, graphs and nesting depths are limited (`LIMITS`);
every request has a time limit; it serves the page's own files and nothing else from the disk; and it
writes only into a temporary folder that it removes when it stops. The page (``autograd/playground/``,
plain HTML, CSS and JavaScript) loads nothing from the network.

A slider move is fast because the picture is not laid out again when only numbers change
(`autograd.draw.layout.Layouts`): the page gets the new texts of `draw`'s picture and writes them into the SVG it
has; and the page sends one request at a time, the newest values when the last answer is in.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import errno
import http.server
import json
import math
import pathlib
import re
import shutil
import signal
import sys
import tempfile
import threading
import types
import urllib.parse
import webbrowser
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any, NoReturn

from . import cli
from .draw import DotNotFoundError, draw, draw_steps
from .draw.layout import Layouts
from .draw.notation import local_derivatives
from .engine import Value, topological_order
from .explain import explain
from .gradcheck import GradcheckError, gradcheck
from .names import Naming, naming

__all__ = ["PlaygroundServer", "main", "command", "LIMITS"]

LIMITS = types.MappingProxyType(
    {
        "body bytes": 64 * 1024,  # a request's body (413 past it)
        "expression characters": 2000,  # (413 past it)
        "inputs": 40,  # names in an expression
        "nodes": 150,  # nodes of a graph the page draws
        "depth": 60,  # operations on the longest path from the output to an input
        "stepper nodes": 40,  # nodes of a graph drawn step by step (two frames per edge of dot's work)
        "seconds": 10.0,  # per request, and per read of a request from the network
    }
)
DEFAULT_PORT = 8765  # without --port, the first free port from here on (100 tries)
_PROG = "python -m autograd serve"
_PAGE = {"/": "index.html", "/playground.js": "playground.js", "/playground.css": "playground.css"}
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}
# The page's own files and this server, nothing else; the stepper (an iframe) has its script inline.
_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
_STEPS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)


_CHECK = {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3}  # gradcheck's own defaults, written here to be shown
_CANNOT = 200  # the status of an answer that is a message about the expression (the page shows it)


class _Problem(Exception):
    """A request the playground answers with a one-line message, ``{"error": message}``, and a status:
    200 (`_CANNOT`) when the request is well formed but its expression cannot be evaluated, drawn or
    checked (a syntax error, log(-1), a graph too large), 4xx when the request itself is refused."""

    def __init__(self, status: int, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.extra = status, extra or {}


class _State:
    """An expression and its inputs' values, checked, and its graph after backward()."""

    def __init__(self, expression: object, values: object) -> None:
        if not isinstance(expression, str):
            raise _Problem(400, f"the expression must be a string, got {expression!r}")
        if len(expression) > LIMITS["expression characters"]:
            raise _Problem(
                413,
                f"the expression has {len(expression)} characters; the playground takes at most "
                f"{LIMITS['expression characters']}",
            )
        if not isinstance(values, dict):
            raise _Problem(400, f"values must be an object {{name: number}}, got {values!r}")
        try:
            self.tree = cli.parse(expression)
        except Exception as e:
            raise _Problem(_CANNOT, cli.error_line(e)) from None
        # a function's name used bare ('sin') gets the command line's message from evaluate, not a slider
        self.names = sorted((n for n in cli.input_names(self.tree) if n not in cli.FUNCTIONS), key=_natural)
        if len(self.names) > LIMITS["inputs"]:
            raise _Problem(
                _CANNOT,
                f"the expression has {len(self.names)} inputs; the playground takes at most {LIMITS['inputs']}",
            )
        self.values: dict[str, float] = {}
        for name in self.names:
            x = values.get(name, 1.0)  # a new name starts at 1
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise _Problem(400, f"the value of {name} must be a finite number, got {x!r}")
            self.values[name] = float(x)
        self.expression = expression
        self.inputs = {name: Value(x, label=name) for name, x in self.values.items()}
        try:
            self.root = cli.output(self.tree, self.inputs)
        except Exception as e:  # a domain error (log(-1)), an unknown function, ...: the inputs stay on the page
            raise _Problem(_CANNOT, cli.error_line(e), {"inputs": self.inputs_json()}) from None
        self.order = topological_order(self.root)  # root first: a node's index is its id on the page
        depth: dict[Value, int] = {}
        for v in reversed(self.order):
            depth[v] = 1 + max((depth[c] for c in v.children), default=-1)
        problem = None
        if len(self.order) > LIMITS["nodes"]:
            problem = f"the graph has {len(self.order)} nodes; the playground draws at most {LIMITS['nodes']}"
        elif depth[self.root] > LIMITS["depth"]:
            problem = (
                f"the expression nests {depth[self.root]} operations deep; the playground draws at most "
                f"{LIMITS['depth']}"
            )
        if problem:
            raise _Problem(_CANNOT, problem, {"inputs": self.inputs_json()})

    def inputs_json(self, names: Naming | None = None) -> list[dict[str, Any]]:
        """Each input's name (as typed: the slider's and the URL's) and value; with the graph's naming, also its
        gradient, written as the pictures write it (``grad_name``: '∂f/∂a'), with the numbers as the command
        line prints them."""
        rows: list[dict[str, Any]] = []
        for name, x in self.values.items():
            row: dict[str, Any] = {"name": name, "value": x}
            if names is not None:
                v, g = self.inputs[name], self.inputs[name].grad
                row.update(
                    value_text=f"{x:.10g}",
                    grad=_json_number(g),
                    grad_name=f"{names.partial(self.root)}/{names.partial(v)}",
                    grad_text=f"{g:.10g}",
                )
            rows.append(row)
        return rows

    def node(self, index: object) -> Value:
        if type(index) is not int or not 0 <= index < len(self.order):
            raise _Problem(400, f"node must be an index from 0 to {len(self.order) - 1}, got {index!r}")
        return self.order[index]


def _natural(name: str) -> tuple[str | int, ...]:
    """A sort key that puts x2 before x10.

    >>> sorted(["x10", "b", "x2", "a"], key=_natural)
    ['a', 'b', 'x2', 'x10']
    """
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _json_number(x: float) -> float | str:
    return x if math.isfinite(x) else repr(x)  # JSON has no inf nor nan


class Playground:
    """What the page asks for, computed: the pictures, a node's derivation, gradcheck, the stepper.
    Each method takes the request's JSON object and returns the answer's; `_Problem` for a bad one."""

    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = folder  # the stepper's frames go here, one subfolder per request, removed at once
        self.layouts = Layouts(timeout=LIMITS["seconds"])
        self._count = 0
        self._lock = threading.Lock()

    def graph(self, request: dict[str, Any]) -> dict[str, Any]:
        """The output, each input's value and gradient, and both pictures (`autograd.draw.layout.Picture`):
        only the texts of a view whose layout the page already has (``have``: {view: layout})."""
        state = _State(request.get("expr"), request.get("values", {}))
        have = request.get("have")
        have = have if isinstance(have, dict) else {}
        views: dict[str, dict[str, Any]] = {}
        for view, prefix in (("forward", "f"), ("backward", "b")):
            ids = {v: f"{prefix}{k}" for k, v in enumerate(state.order)}
            picture = self.layouts.picture(draw(state.root, view=view, max_nodes=None, svg_ids=ids))
            views[view] = {"layout": picture.layout, "texts": picture.texts}
            if picture.layout is None or have.get(view) != picture.layout:
                views[view]["svg"] = picture.svg
        root, names = state.root, naming(state.root)  # the names the pictures, explain and the stepper use
        return {
            "expr": state.expression,
            "output": {"name": names[root], "value": _json_number(root.data), "text": f"{root.data:.10g}"},
            "inputs": state.inputs_json(names),
            "views": views,
        }

    def explain(self, request: dict[str, Any]) -> dict[str, Any]:
        """For an input (a leaf), ``explain(output, node)``; for an op node, its local derivatives; a constant
        carries no gradient, and says so."""
        state = _State(request.get("expr"), request.get("values", {}))
        node = state.node(request.get("node"))
        if node.is_constant:  # written as the pictures write it (the graph's one naming)
            return {"kind": "constant", "text": f"{naming(state.root)[node]}: a number of the expression, no gradient"}
        if node.is_leaf:
            return {"kind": "derivation", "text": str(explain(state.root, node))}
        return {"kind": "local derivatives", "text": "\n".join(local_derivatives(state.root, node))}

    def gradcheck(self, request: dict[str, Any]) -> dict[str, Any]:
        """`gradcheck` of the expression at the inputs' values: its verdict, or its table of failures."""
        state = _State(request.get("expr"), request.get("values", {}))
        names = state.names

        def f(*xs: Value) -> Value:
            return cli.evaluate(state.tree, dict(zip(names, xs)))

        inputs = [Value(x, label=n) for n, x in state.values.items()]
        try:
            gradcheck(f, inputs, **_CHECK)
        except GradcheckError as e:
            return {"passed": False, "text": str(e)}
        except Exception as e:  # a kink, no inputs, a point where f is undefined at x ± eps
            raise _Problem(_CANNOT, f"gradcheck: {cli.error_line(e)}") from None
        at = ", ".join(f"{n} = {x:.10g}" for n, x in state.values.items())
        return {
            "passed": True,
            "text": f"gradcheck passed: the gradients from backward() agree with central differences "
            f"(f(x + eps) - f(x - eps)) / 2eps for all {len(names)} inputs at {at} "
            f"({', '.join(f'{k}={v!r}' for k, v in _CHECK.items())}; "
            f"pass if difference <= atol + rtol * |numeric|).",
        }

    def steps(self, request: dict[str, Any]) -> str:
        """The stepper page of `draw_steps` for the expression (its one SVG picture inside the page)."""
        state = _State(request.get("expr"), request.get("values", {}))
        if len(state.order) > LIMITS["stepper nodes"]:
            raise _Problem(
                _CANNOT,
                f"the graph has {len(state.order)} nodes; the playground steps through at most "
                f"{LIMITS['stepper nodes']}",
            )
        with self._lock:
            self._count += 1
            out = self.folder / f"steps-{self._count}"
        try:
            files = draw_steps(state.root, out, max_nodes=None, frames=False)  # the page alone: one SVG inside
            return files.html.read_text(encoding="utf-8")
        finally:
            shutil.rmtree(out, ignore_errors=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: PlaygroundServer
    protocol_version = "HTTP/1.1"
    server_version = "chaingrad-playground"
    sys_version = ""
    timeout = LIMITS["seconds"]  # a client that sends its request slower than this is dropped

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a playground for one user: no log of every request on the terminal

    def do_GET(self) -> None:
        if not self._allowed():
            return
        url = urllib.parse.urlsplit(self.path)
        if url.path in _PAGE:
            name = _PAGE[url.path]
            body = resources.files(__package__).joinpath("playground").joinpath(name).read_bytes()
            self._send(200, body, _TYPES[pathlib.PurePath(name).suffix], _CSP)
        elif url.path == "/steps":
            expression, values = _query(url.query)
            try:
                page = self.server.run(self.server.playground.steps, {"expr": expression, "values": values})
            except _Problem as e:
                page = f"<!DOCTYPE html><meta charset='utf-8'><p>{_html(str(e))}</p>"
            self._send(200, page.encode("utf-8"), _TYPES[".html"], _STEPS_CSP)
        else:
            self._error(404, f"no such page: {url.path[:100]!r}; the playground is at /")

    def do_POST(self) -> None:
        if not self._allowed():
            return
        url = urllib.parse.urlsplit(self.path)
        action: Callable[[dict[str, Any]], Any] | None = {
            "/api/graph": self.server.playground.graph,
            "/api/explain": self.server.playground.explain,
            "/api/gradcheck": self.server.playground.gradcheck,
        }.get(url.path)
        if action is None:
            self._error(404, f"no such action: {url.path[:100]!r}")
            return
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._error(411, "send the body with a Content-Length, not in chunks")
            return
        length = self._length()
        if length < 0:
            self.close_connection = True
            self._error(411, "a request needs a Content-Length")
            return
        if length > LIMITS["body bytes"]:
            self._too_large(length, drain=True)
            return
        try:
            request = json.loads(self.rfile.read(length))
        except ValueError:
            self._error(400, "the request is not JSON")
            return
        if not isinstance(request, dict):
            self._error(400, "the request must be a JSON object")
            return
        try:
            answer = self.server.run(action, request)
        except _Problem as e:
            self._json(e.status, {"error": str(e), **e.extra})
            return
        self._json(200, answer)

    def handle_expect_100(self) -> bool:
        """Refuse a body that is too large before the client sends it ('Expect: 100-continue')."""
        if self._length() > LIMITS["body bytes"]:
            self._too_large(self._length(), drain=False)
            return False
        return super().handle_expect_100()

    def _length(self) -> int:
        """The Content-Length, -1 if there is none or it is not a number."""
        try:
            return int(self.headers.get("Content-Length", ""))
        except ValueError:
            return -1

    def _too_large(self, length: int, drain: bool) -> None:
        """413, and the connection closed; a body of up to 16 times the limit is read first and dropped, so
        that the client, still sending, reads the answer instead of a reset connection."""
        self.close_connection = True
        if drain and length <= 16 * LIMITS["body bytes"]:
            while length > 0:
                chunk = self.rfile.read(min(length, 65536))
                if not chunk:
                    break
                length -= len(chunk)
        self._error(413, f"the request has {self._length()} bytes; the playground takes at most {LIMITS['body bytes']}")

    def _allowed(self) -> bool:
        """Only requests to this server by its local name (no DNS rebinding), from its own pages."""
        port = self.server.server_address[1]
        hosts = {f"{h}{p}" for h in ("localhost", "127.0.0.1") for p in ("", f":{port}")}
        if self.headers.get("Host", "") not in hosts:
            self._error(403, f"the playground answers only to http://127.0.0.1:{port}/ and http://localhost:{port}/")
            return False
        origin = self.headers.get("Origin")
        if origin is not None and origin not in {f"http://{h}" for h in hosts}:
            self._error(403, "the playground answers only its own pages")
            return False
        return True

    def _send(self, status: int, body: bytes, content_type: str, csp: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if csp:
            self.send_header("Content-Security-Policy", csp)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})


def _query(query: str) -> tuple[str | None, dict[str, Any]]:
    """The page's URL query: expr=EXPRESSION first, then NAME=NUMBER (a later 'expr' is an input's value).

    >>> _query("expr=c*(a%2B2*b)&a=3&b=1&c=-2")
    ('c*(a+2*b)', {'a': 3.0, 'b': 1.0, 'c': -2.0})
    """
    expression: str | None = None
    values: dict[str, Any] = {}
    for key, text in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if key == "expr" and expression is None:
            expression = text
            continue
        try:
            values[key] = float(text)
        except ValueError:
            values[key] = text  # refused, with its name, when the name is an input
    return expression, values


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PlaygroundServer(http.server.ThreadingHTTPServer):
    """The playground's server on 127.0.0.1: ``port`` 0 takes a free port (see ``.url``). It makes its
    temporary folder when it starts and removes it in ``server_close()``.

    >>> server = PlaygroundServer(0)                      # doctest: +SKIP
    >>> threading.Thread(target=server.serve_forever).start()   # doctest: +SKIP
    >>> server.url                                        # doctest: +SKIP
    'http://127.0.0.1:41235/'
    >>> server.shutdown(); server.server_close()          # doctest: +SKIP
    """

    daemon_threads = True  # a browser's open connection never keeps the process alive
    request_queue_size = 64

    def __init__(self, port: int) -> None:
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix="chaingrad-playground-"))
        self.playground = Playground(self.folder)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="playground")
        super().__init__(("127.0.0.1", port), _Handler)  # on failure (a taken port) it calls server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def run(self, action: Callable[[dict[str, Any]], Any], request: dict[str, Any]) -> Any:
        """action(request) with the time limit: past it the page gets an error (the work ends on its own)."""
        future = self._pool.submit(action, request)
        try:
            return future.result(timeout=LIMITS["seconds"])
        except concurrent.futures.TimeoutError:
            raise _Problem(503, f"the request took longer than {LIMITS['seconds']:g} s; try a smaller graph") from None
        except _Problem:
            raise
        except Exception as e:  # dot failed, a bug: one line on the page, never a traceback
            raise _Problem(500, cli.error_line(e)) from None

    def handle_error(self, request: object, client_address: object) -> None:
        """A connection that broke off (a browser closed the page) is nothing to report; anything else is
        one line on stderr, not a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)) or not isinstance(error, Exception):
            return
        print(f"{_PROG}: error while answering a request: {cli.error_line(error)}", file=sys.stderr)

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise cli.ExpressionError(f"{message} (see {_PROG} --help)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=_PROG,
        description="Start the playground: a page on 127.0.0.1 where you type an expression, drag its inputs "
        "and watch the forward and backward pictures, the gradients, a node's derivation (click it), the "
        "backward pass step by step and gradcheck. Ctrl-C stops it.",
        epilog=f'example: {_PROG} "c*(a+2*b)" a=3 b=1 c=-2',
    )
    p.add_argument("expression", nargs="?", help='the expression to start with, e.g. "c*(a+2*b)"')
    p.add_argument("assignments", nargs="*", metavar="NAME=NUMBER", help="its inputs' values (default 1), e.g. a=3")
    p.add_argument(
        "--port", type=int, metavar="N", help=f"the port (default: the first free one from {DEFAULT_PORT} on)"
    )
    p.add_argument(
        "--no-browser", action="store_true", help="print the address only (also when not run from a terminal)"
    )
    return p


def _start_url(server: PlaygroundServer, expression: str | None, values: dict[str, float]) -> str:
    if expression is None:
        return server.url
    pairs = [("expr", expression), *((n, str(int(x)) if x.is_integer() else repr(x)) for n, x in values.items())]
    return server.url + "?" + urllib.parse.urlencode(pairs, safe="*()", quote_via=urllib.parse.quote)


def _listen(port: int | None) -> PlaygroundServer:
    """A server on `port`, or on the first free port from DEFAULT_PORT on when port is None."""
    for candidate in [port] if port is not None else range(DEFAULT_PORT, DEFAULT_PORT + 100):
        try:
            return PlaygroundServer(candidate)
        except OSError as e:
            if e.errno != errno.EADDRINUSE:  # not a port that is taken: say why, in one line
                raise cli.ExpressionError(f"cannot listen on 127.0.0.1 port {candidate}: {e.strerror or e}") from None
    if port is not None:
        raise cli.ExpressionError(f"port {port} on 127.0.0.1 is taken; choose another with --port, or leave it out")
    raise cli.ExpressionError(f"ports {DEFAULT_PORT} to {DEFAULT_PORT + 99} on 127.0.0.1 are all taken; use --port N")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograd serve [EXPR] [NAME=NUMBER ...] [--port N] [--no-browser]``: serve the playground
    until Ctrl-C; returns the exit status (0, or 2 with one line on stderr)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = _parser().parse_args(argv)
        values: dict[str, float] = {}
        for item in args.assignments:
            name, x = cli.assignment(item)
            if name in values:
                raise cli.ExpressionError(f"{name} is given twice")
            values[name] = x
        if args.expression is not None:
            used = cli.input_names(cli.parse(args.expression))
            for name in values:
                if name not in used:
                    raise cli.ExpressionError(f"{name} is given a value but the expression does not use it")
        if args.port is not None and not 0 <= args.port <= 65535:
            raise cli.ExpressionError(f"--port must be from 0 to 65535, got {args.port}")
        if shutil.which("dot") is None:
            raise DotNotFoundError()
        server = _listen(args.port)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    except Exception as e:
        print(f"{_PROG}: error: {cli.error_line(e)}", file=sys.stderr)
        return 2
    url = _start_url(server, args.expression, values)
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # stop as cleanly as on Ctrl-C
    try:
        print(f"chaingrad playground: {url}  (Ctrl-C stops it)", flush=True)
        if not args.no_browser and sys.stdout.isatty():
            webbrowser.open(url)
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def command(argv: Sequence[str] | None = None) -> int:
    """``python -m autograd``, ``python -m chaingrad`` and the ``chaingrad`` command: ``serve ...`` starts
    the playground (`main`), anything else is the command line (`autograd.cli.main`), unchanged.

    >>> command(["--help"])                               # doctest: +SKIP
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:
        return main(argv[1:])
    return cli.main(argv)
