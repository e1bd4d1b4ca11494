"""The playground's slider move against the naive redraw, for the textbook graph (7 nodes) and a 52-node one.

A move of the playground (``python -m autograd serve``) is one request to /api/graph with the values and
the layouts the page has: the server evaluates the expression, runs backward, builds both pictures with
`draw` and, when their texts fit the layouts the page has, answers with the texts only (no ``dot``).
The naive baseline is what a server without that fast path would do per move: evaluate, backward,
`draw` both views and render both with ``dot`` to SVG (without the HTTP round trip, which the
playground's figure includes). The moves step one input by the slider's step, 0.01, as a drag does;
the playground's figure includes the moves that needed a new layout. Runs alternate between the two in
this one process, collector on; each line prints medians and the ratio.

With chromium, chromedriver and selenium installed, it also measures the move in a headless browser as a
user sees it: from the slider's key press to the new numbers written into the SVG (the page's own
performance.now() around the update, window.__playground.redraws).

    python benchmarks/bench_playground.py [--moves 40] [--repeats 5]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import sys
import threading
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # no BLAS here, but the house rule for every benchmark
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE)]

from autograd import Value, draw  # noqa: E402
from autograd.cli import output, parse  # noqa: E402
from autograd.serve import PlaygroundServer  # noqa: E402

BIG = "+".join(f"tanh(w{i}*x{i % 3}+b{i % 5})" for i in range(9))
GRAPHS = [
    ("c*(a+2*b), 7 nodes", "c*(a+2*b)", {"a": 3.0, "b": 1.0, "c": -2.0}, "b"),
    ("nine tanh units, 52 nodes", BIG, {n: 0.5 for n in sorted(set(re.findall(r"[wxb]\d", BIG)))}, "w0"),
]


def post(port, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = json.dumps(body).encode()
    conn.request("POST", "/api/graph", data, {"Host": f"127.0.0.1:{port}", "Content-Type": "application/json"})
    answer = json.loads(conn.getresponse().read())
    conn.close()
    assert "error" not in answer, answer
    return answer


def playground_moves(port, expr, values, name, moves):
    """Seconds per move: the page's request with the layouts it has, and the answer read."""
    have = {}
    times = []
    for k in range(moves + 1):
        vals = dict(values, **{name: round(values[name] + 0.01 * k, 10)})
        start = time.perf_counter()
        answer = post(port, {"expr": expr, "values": vals, "have": have})
        if k:  # the first request lays the pictures out for the page: that is the page's load, not a move
            times.append(time.perf_counter() - start)
        have = {v: answer["views"][v]["layout"] for v in ("forward", "backward")}
    return statistics.median(times)


def naive_moves(expr, values, name, moves):
    """Seconds per move when both pictures are drawn and rendered with dot each time."""
    tree = parse(expr)
    times = []
    for k in range(1, moves + 1):
        vals = dict(values, **{name: round(values[name] + 0.01 * k, 10)})
        start = time.perf_counter()
        root = output(tree, {n: Value(x, label=n) for n, x in vals.items()})
        for view in ("forward", "backward"):
            draw(root, view=view, max_nodes=None).pipe(format="svg")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def relayouts(port, expr, values, name, moves):
    """How many of the moves came with a new layout (an SVG) for either view, on a fresh server's cache."""
    have, count = {}, 0
    for k in range(moves + 1):
        vals = dict(values, **{name: round(values[name] + 0.01 * k, 10)})
        answer = post(port, {"expr": expr, "values": vals, "have": have})
        count += k > 0 and any("svg" in answer["views"][v] for v in ("forward", "backward"))
        have = {v: answer["views"][v]["layout"] for v in ("forward", "backward")}
    return count


def browser_moves(server, expr, values, name, moves):
    """Milliseconds per move in a headless browser (median of the page's own measurements), or None."""
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        return None
    binary = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    try:
        query = "?expr=" + expr.replace("+", "%2B") + "".join(f"&{n}={x}" for n, x in values.items())
        driver.get(server.url + query)
        count = "return window.__playground.updates"
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(count) >= 1)
        slider = driver.find_element(By.ID, f"slider-{name}")
        for _ in range(moves):
            before = driver.execute_script(count)
            slider.send_keys(Keys.ARROW_RIGHT)
            WebDriverWait(driver, 30).until(lambda d, before=before: d.execute_script(count) > before)
        redraws = driver.execute_script("return window.__playground.redraws")[1:]  # [0]: the page's load
        return statistics.median(redraws)
    finally:
        driver.quit()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40, help="slider steps per run")
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs; the median is printed")
    args = parser.parse_args(argv)
    if shutil.which("dot") is None:
        sys.exit("bench_playground: graphviz's dot is needed")
    server = PlaygroundServer(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        print(
            f"one slider move: the playground's request (fast path) against draw() + dot of both views; "
            f"{args.moves} moves of 0.01, median of {args.repeats} alternating runs, Python {sys.version.split()[0]}"
        )
        for title, expr, values, name in GRAPHS:
            fast, naive = [], []
            for _ in range(args.repeats):
                fast.append(playground_moves(port, expr, values, name, args.moves))
                naive.append(naive_moves(expr, values, name, args.moves))
            f, n = statistics.median(fast), statistics.median(naive)
            fresh = PlaygroundServer(0)
            fresh_thread = threading.Thread(target=fresh.serve_forever, daemon=True)
            fresh_thread.start()
            try:
                again = relayouts(fresh.server_address[1], expr, values, name, args.moves)
            finally:
                fresh.shutdown()
                fresh.server_close()
            print(
                f"  {title:28} playground {f * 1e3:6.1f} ms   naive {n * 1e3:6.1f} ms   "
                f"ratio {f / n:.2f}   ({again} of {args.moves} moves of a fresh page needed a new layout)"
            )
        print("in a headless browser, from the key press to the numbers on the page (median per move):")
        for title, expr, values, name in GRAPHS:
            ms = browser_moves(server, expr, values, name, min(args.moves, 20))
            if ms is None:
                print("  skipped: no chromium, chromedriver or selenium")
                break
            naive = naive_moves(expr, values, name, 5) * 1e3
            print(
                f"  {title:28} {ms:6.1f} ms   (the naive server-side redraw alone: {naive:6.1f} ms, "
                f"ratio {ms / naive:.2f})"
            )
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
