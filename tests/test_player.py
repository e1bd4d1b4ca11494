"""autograd.player: the page draw_steps writes. Checked as text here, and in a real headless browser
(Debian's chromium + chromium-driver through selenium): stepping, zoom, pan, hostile labels, no script error."""

import os
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, draw_steps
from autograd.draw.player import player_page
from demos.computation_graph import build

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")

# labels that would end the script or start an HTML comment if they reached the page unescaped
HOSTILE = ["</script><script>window.pwned = 1</script>", "<!--<script>", "{{data}} & ]]> \u2028"]


def test_the_page_comes_from_the_template_with_text_escaped():
    page = player_page(["data:image/png;base64,AA==", "data:image/png;base64,AB=="], HOSTILE[:2], HOSTILE[0])
    assert page.count("<script") == 2 and page.count("</script>") == 2  # the data block and the code, nothing more
    assert "<!--<script>" not in page and "window.pwned = 1</script>" not in page
    assert "<title>&lt;/script&gt;&lt;script&gt;window.pwned = 1&lt;/script&gt;</title>" in page
    assert "\\u003c!--\\u003cscript\\u003e" in page
    assert "{{" not in page  # every placeholder filled


def test_player_page_checks_its_arguments():
    with pytest.raises(ValueError, match=r"at least one frame, got \[\]"):
        player_page([], [], "t")
    with pytest.raises(ValueError, match=r"one caption per image, got 1 captions for 2 images: \['a'\]"):
        player_page(["x", "y"], ["a"], "t")
    with pytest.raises(TypeError, match=r"must be str, got 3"):
        player_page(["x"], [3], "t")


# ---- in a browser ----


def _browser_paths():
    browser = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    return browser, shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    binary, driver_path = _browser_paths()
    if binary is None or driver_path is None:
        pytest.skip(
            "no headless browser: the player's browser tests need chromium and chromedriver "
            "(Debian/Ubuntu: apt-get install chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
        "--hide-scrollbars",
    ):
        options.add_argument(arg)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # chromium refuses to run as root with its sandbox
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    # collect script errors from the very start of every page, before the page's own script runs
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": (
                "window.__errors = [];"
                "window.addEventListener('error', e => window.__errors.push(String(e.message)));"
                "window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));"
            )
        },
    )
    yield driver
    driver.quit()


def _open(driver, path):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script(
            "const i = document.getElementById('frame'); return i.complete && i.naturalWidth > 0"
        )
    )


def _state(driver):
    return driver.execute_script("""
        const img = document.getElementById('frame'), r = img.getBoundingClientRect();
        const m = /translate\\((.+)px, (.+)px\\) scale\\((.+)\\)/.exec(img.style.transform);
        return {counter: document.getElementById('counter').textContent,
                caption: document.getElementById('caption').textContent,
                x: +m[1], y: +m[2], scale: +m[3], left: r.left, top: r.top,
                viewTop: document.getElementById('view').getBoundingClientRect().top};""")


def near(x):  # the browser writes the transform with 6 significant digits
    return pytest.approx(x, rel=1e-4, abs=1e-3)


def _no_errors(driver):
    errors = driver.execute_script("return window.__errors")
    assert errors == []
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


def _key(driver, key):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(key).perform()


@needs_dot
def test_stepping_zooming_and_panning_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    L, _ = build()
    _open(browser, draw_steps(L, tmp_path).html)  # 5 steps: the edge into the constant 2 carries no gradient
    start = _state(browser)
    assert start["counter"] == "step 0 of 5" and start["caption"].startswith("Start: ∂L/∂L = 1, the seed.")
    assert 0 < start["scale"] <= 2  # fitted to the window

    _key(browser, Keys.ARROW_RIGHT)
    _key(browser, Keys.ARROW_RIGHT)
    two = _state(browser)
    assert two["counter"] == "step 2 of 5" and two["caption"].startswith("Step 2 of 5:")
    assert len(two["caption"]) != len(start["caption"])
    # a caption of another length moves neither the view nor the graph
    assert (two["viewTop"], two["left"], two["top"]) == (start["viewTop"], start["left"], start["top"])
    _key(browser, Keys.ARROW_LEFT)
    assert _state(browser)["counter"] == "step 1 of 5"
    browser.find_element(By.ID, "last").click()
    assert _state(browser)["counter"] == "step 5 of 5"
    browser.find_element(By.ID, "prev").click()
    assert _state(browser)["counter"] == "step 4 of 5"

    _key(browser, "+")
    assert _state(browser)["scale"] == near(start["scale"] * 1.25)
    _key(browser, "-")
    _key(browser, "-")
    assert _state(browser)["scale"] == near(start["scale"] / 1.25)
    _key(browser, "0")
    assert _state(browser)["scale"] == near(start["scale"])

    # the wheel zooms around the pointer: the graph point under it stays under it
    before = _state(browser)
    px, py = browser.execute_script("""
        const v = document.getElementById('view'), r = v.getBoundingClientRect();
        const cx = Math.round(r.left + 300), cy = Math.round(r.top + 200);  // events carry whole pixels
        v.dispatchEvent(new WheelEvent('wheel', {deltaY: -200, clientX: cx, clientY: cy, bubbles: true,
                                                 cancelable: true}));
        return [cx - r.left, cy - r.top];  // the pointer in the view's coordinates""")
    after = _state(browser)
    assert after["scale"] > before["scale"]
    assert (px - after["x"]) / after["scale"] == near((px - before["x"]) / before["scale"])
    assert (py - after["y"]) / after["scale"] == near((py - before["y"]) / before["scale"])

    view = browser.find_element(By.ID, "view")
    ActionChains(browser).move_to_element(view).click_and_hold().move_by_offset(60, -40).release().perform()
    moved = _state(browser)
    assert (moved["x"] - after["x"], moved["y"] - after["y"]) == near((60, -40))
    assert moved["scale"] == after["scale"]
    browser.find_element(By.ID, "fit").click()
    assert _state(browser)["scale"] == near(start["scale"])
    _no_errors(browser)


@needs_dot
def test_hostile_labels_cannot_break_the_page(browser, tmp_path):
    x, y = Value(2.0, label=HOSTILE[0]), Value(3.0, label=HOSTILE[1])
    out = x * y
    out.label = HOSTILE[2]
    files = draw_steps(out, tmp_path, format="svg")
    _open(browser, files.html)
    assert browser.execute_script("return window.pwned") is None
    assert browser.title == f"Backward pass of {HOSTILE[2]}, step by step"
    for k in range(1, 3):
        _key(browser, "\ue014")  # the right arrow
        state = _state(browser)
        assert state["counter"] == f"step {k} of 2"
        assert HOSTILE[2] in state["caption"] and HOSTILE[k - 1] in state["caption"]
    _no_errors(browser)


@needs_dot
def test_a_collapsed_view_steps_and_opens_a_block_in_a_browser(browser, tmp_path):
    import re

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    from autograd import scope

    a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    with scope("e = a + 2b"):
        e = a + (2 * b).tanh()  # 6 steps, 2 of them inside the block (none into the constant 2)
    L = c * e
    L.label = "L"
    _open(browser, draw_steps(L, tmp_path, collapse=1).html)
    menu = Select(browser.find_element(By.ID, "block"))
    assert [o.text for o in menu.options] == ["all blocks collapsed", "expand e = a + 2b"]
    assert browser.find_element(By.ID, "block").is_displayed()
    frames = int(browser.find_element(By.ID, "slider").get_attribute("max")) + 1
    assert frames < 7  # the steps inside the block, and along each of its edges, make one frame each

    def steps_done(caption):
        m = re.match(r"Steps? (?:\d+ to )?(\d+) of 6", caption)
        return int(m[1]) if m else 0

    while steps_done(_state(browser)["caption"]) < 3:
        _key(browser, Keys.ARROW_RIGHT)
    collapsed = _state(browser)
    done = steps_done(collapsed["caption"])
    src = browser.execute_script("return document.getElementById('frame').src")
    menu.select_by_index(1)  # open the block: the same point of the pass, drawn with the block expanded
    opened = _state(browser)
    assert opened["counter"].endswith(" of 6") and steps_done(opened["caption"]) == done
    assert browser.execute_script("return document.getElementById('frame').src") != src
    _key(browser, Keys.END)
    assert _state(browser)["counter"] == "step 6 of 6"
    browser.find_element(By.TAG_NAME, "body").send_keys("b")  # b: the next view, back to all collapsed
    back = _state(browser)
    assert menu.first_selected_option.text == "all blocks collapsed" and back["counter"].endswith(" 6 of 6")

    # a click on the block opens it too: the centre of its box, from the frame's pixels to the window's
    from selenium.webdriver.common.action_chains import ActionChains

    dx, dy = browser.execute_script("""
        const t = JSON.parse(document.getElementById('steps-data').textContent).views[0].targets[0];
        const v = document.getElementById('view'), r = v.getBoundingClientRect();
        const frame = document.getElementById('frame');
        const m = /translate\\((.+)px, (.+)px\\) scale\\((.+)\\)/.exec(frame.style.transform);
        const cx = +m[1] + (t[0] + t[2]) / 2 * +m[3], cy = +m[2] + (t[1] + t[3]) / 2 * +m[3];
        return [Math.round(cx - r.width / 2), Math.round(cy - r.height / 2)];  // from the view's centre""")
    ActionChains(browser).move_to_element_with_offset(browser.find_element(By.ID, "view"), dx, dy).click().perform()
    assert menu.first_selected_option.text == "expand e = a + 2b"
    assert _state(browser)["counter"] == "step 6 of 6"  # still at the end of the pass
    _no_errors(browser)


# ---- the stepper's counter, zoom and following (issue: "step 11 of 23" beside "Step 16 of 38"; 28% zoom) ----


def _steps_in(text):
    """(first, last, total) steps a counter or caption names: 'step 3 of 6', 'Steps 3 to 5 of 48', 'Start'."""
    m = re.match(r"(?:[Ss]teps? (\d+)(?: to (\d+))? of (\d+))", text)
    if m:
        return int(m[1]), int(m[2] or m[1]), int(m[3])
    assert text.startswith("Start:"), text
    return 0, 0, int(re.search(r"(\d+) steps follow", text)[1])


@needs_dot
def test_the_counter_and_the_caption_count_the_same_steps_in_every_view(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    import nn

    model = nn.MLP(2, [3, 1], seed=0)
    loss = (model([0.5, -1.0])[0] - 1.0) ** 2
    _open(browser, draw_steps(loss, tmp_path, collapse=1).html)
    menu = Select(browser.find_element(By.ID, "block"))
    assert len(menu.options) == 3
    for n in range(3):
        menu.select_by_index(n)
        browser.execute_script("document.activeElement.blur()")  # arrow keys would move the menu
        _key(browser, Keys.HOME)
        frames = int(browser.find_element(By.ID, "slider").get_attribute("max")) + 1
        seen = []
        for k in range(frames):
            state = _state(browser)
            counter = _steps_in(state["counter"])
            caption = _steps_in(state["caption"])
            if k == 0:
                assert counter == (0, 0, caption[2])
            else:
                assert counter == caption, (menu.first_selected_option.text, k, state)
            seen.append(counter)
            _key(browser, Keys.ARROW_RIGHT)
        assert seen[-1][1] == seen[-1][2] and len({s[2] for s in seen}) == 1  # the whole pass, counted alike
        if n == 0:
            assert any(a < b for a, b, _ in seen)  # the collapsed view has frames of several steps
    _no_errors(browser)


def _frame_svg(driver):
    """The SVG of the frame on screen (the page draws it into a data: URL)."""
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(document.getElementById('frame').src).then(r => r.text()).then(done);""")


def _active_box(svg):
    """The box of the active edge's label (the edge drawn 3.5 wide), or of the output node in frame 0, in the
    picture's pixels; and the label's font size in pixels at natural size. Read from the picture alone."""
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.fromstring(svg)
    dx, dy = map(float, re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", root.find(ns + "g").get("transform")).groups())
    scale = float(root.get("width").removesuffix("pt")) * 4 / 3 / float(root.get("viewBox").split()[2])
    groups = [g for g in root.iter(ns + "g") if g.get("class") in ("edge", "node")]
    edge = [g for g in groups if g.get("class") == "edge" and g.find(ns + "path").get("stroke-width") == "3.5"]
    if edge:
        texts = list(edge[0].iter(ns + "text"))
    else:  # frame 0: the seed, on the output (the node with two outlines)
        (out,) = [g for g in groups if len([e for e in g.iter(ns + "path")]) == 2 and g.get("class") == "node"]
        texts = list(out.iter(ns + "text"))
    xs, ys, size = [], [], 0.0
    for t in texts:
        size = float(t.get("font-size"))
        x, y, n = float(t.get("x")), float(t.get("y")), len("".join(t.itertext()))
        left = x - 0.3 * size * n if t.get("text-anchor") == "middle" else x
        xs += [left, left + 0.6 * size * n]
        ys += [y - size, y]
    box = [(min(xs) + dx) * scale, (min(ys) + dy) * scale, (max(xs) + dx) * scale, (max(ys) + dy) * scale]
    return box, size * 4 / 3


@needs_dot
def test_the_stepper_opens_readable_without_blank_bands_and_follows_the_step_until_moved_by_hand(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from demos.computation_graph import build_two_layer

    net, clusters = build_two_layer()  # a wide picture: 17 ranks of labelled edges
    _open(browser, draw_steps(net, tmp_path, clusters=clusters).html)

    def view_rect():
        return browser.execute_script(
            "const v = document.getElementById('view'), r = v.getBoundingClientRect();"  # inside its top border
            "return [r.left + v.clientLeft, r.top + v.clientTop, r.right, r.bottom];"
        )

    def on_screen(state):
        (x0, y0, x1, y1), px = _active_box(_frame_svg(browser))
        left, top, right, bottom = view_rect()
        sx, sy = left + state["x"], top + state["y"]
        box = (sx + x0 * state["scale"], sy + y0 * state["scale"], sx + x1 * state["scale"], sy + y1 * state["scale"])
        inside = left <= box[0] and box[2] <= right and top <= box[1] and box[3] <= bottom
        return inside, px * state["scale"]

    start = _state(browser)
    inside, text_px = on_screen(start)
    assert inside and text_px >= 11  # the seed, readable
    left, top, right, bottom = view_rect()
    img = browser.execute_script(
        "const r = document.getElementById('frame').getBoundingClientRect();return [r.left, r.top, r.right, r.bottom];"
    )
    assert img[0] <= left + 1 and img[1] <= top + 1 and img[2] >= right - 1 and img[3] >= bottom - 1  # no band
    for _ in range(12):  # each step's edge label in the window, at 11 px or more
        _key(browser, Keys.ARROW_RIGHT)
        inside, text_px = on_screen(_state(browser))
        assert inside and text_px >= 11, _state(browser)["counter"]

    # moved by hand: stepping leaves the picture where the reader put it
    view = browser.find_element(By.ID, "view")
    ActionChains(browser).move_to_element(view).click_and_hold().move_by_offset(300, 0).release().perform()
    moved = _state(browser)
    assert not browser.find_element(By.ID, "follow").is_selected()
    for _ in range(6):
        _key(browser, Keys.ARROW_RIGHT)
    after = _state(browser)
    assert (after["x"], after["y"], after["scale"]) == (moved["x"], moved["y"], moved["scale"])
    _key(browser, "f")  # follow again: back to the step
    assert browser.find_element(By.ID, "follow").is_selected()
    assert on_screen(_state(browser))[0]
    _key(browser, "+")  # zooming by hand stops following too
    assert not browser.find_element(By.ID, "follow").is_selected()
    _no_errors(browser)
