"""The wheel and sdist as a user gets them: built with `python -m build`, the wheel installed into a fresh venv
outside the repository, and the README's example and one demo run from there."""

import http.client
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import zipfile

import graphviz
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.packaging


def run(*argv, cwd, timeout=300):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{argv} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def package_data(names):
    """The data files a user needs, as paths inside the wheel (or the sdist, after its top folder)."""
    players = {"autograd/player.html", "autograd/draw/player.html"} & set(names)
    assert players, "the stepper's player.html is missing"
    expected = {f"demos/data/{p.name}" for p in (ROOT / "demos" / "data").glob("*.txt")}
    assert expected, "demos/data/*.txt: nothing to check"
    expected |= {"demos/tour.ipynb", "autograd/py.typed", "nn/py.typed", "chaingrad/py.typed"}
    expected |= {f"autograd/playground/{f}" for f in ("index.html", "playground.js", "playground.css")}
    missing = expected - set(names)
    assert not missing, f"missing from the archive: {sorted(missing)}"


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", str(out), str(ROOT), cwd=out)
    (wheel,) = out.glob("chaingrad-*.whl")
    (sdist,) = out.glob("chaingrad-*.tar.gz")
    return wheel, sdist


def test_wheel_and_sdist_carry_the_package_data(dist):
    wheel, sdist = dist
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    package_data(names)
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names), names
    with tarfile.open(sdist) as t:
        package_data([n.split("/", 1)[1] for n in t.getnames() if "/" in n])


def test_the_installed_wheel_runs_the_readme_example_and_a_demo(dist, tmp_path):
    wheel, _ = dist
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path)
    python = venv / "bin" / "python"
    site = pathlib.Path(
        run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).strip()
    )
    # The runtime dependency, graphviz (pure Python), from this environment: no download needed.
    shutil.copytree(pathlib.Path(graphviz.__file__).parent, site / "graphviz")
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel), cwd=tmp_path)

    example = (
        "import pathlib, sys, chaingrad\n"
        "assert pathlib.Path(chaingrad.__file__).is_relative_to(sys.argv[1]), chaingrad.__file__\n"
        "a, b, c = chaingrad.Value(3.0), chaingrad.Value(1.0), chaingrad.Value(-2.0)\n"
        "L = c * (a + 2 * b)\n"
        "L.backward()\n"
        "print(L.data, a.grad, b.grad, c.grad)\n"
    )
    assert run(str(python), "-c", example, str(venv), cwd=tmp_path).split() == ["-10.0", "-2.0", "-4.0", "5.0"]

    out = tmp_path / "out"
    run(str(python), "-m", "demos", "computation_graph", "--out", str(out), cwd=tmp_path)
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert {"L_forward.svg", "L_backward.svg", "L_forward.png"} <= set(written), written
    steps = (out / "L_steps" / "steps.html").read_text()  # the stepper, built from the shipped player.html
    data = json.loads(re.search(r'id="steps-data">(.*?)</script>', steps, re.S)[1])
    frames = len(list((out / "L_steps").glob("step_*.png")))
    assert len(data["views"][0]["captions"]) == frames > 0 and data["views"][0]["svg"].startswith("<?xml"), steps[:500]

    # the console script, and the playground's page from the installed package data
    assert "--no-browser" in run(str(venv / "bin" / "chaingrad"), "serve", "--help", cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    server = subprocess.Popen(
        [str(venv / "bin" / "chaingrad"), "serve", "a*b", "--port", "0", "--no-browser"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().split()[2]
        port = int(url.split(":")[2].split("/")[0])
        for path in ("/", "/playground.js", "/playground.css"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path)
            answer = conn.getresponse()
            assert answer.status == 200 and answer.read(), path
            conn.close()
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
