"""autograd.player: the page draw_steps writes. Checked as text here, and in a real headless browser
(Debian's chromium + chromium-driver through selenium): stepping, zoom, pan, hostile labels, no script error."""

import os
import shutil

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
    _open(browser, draw_steps(L, tmp_path).html)
    start = _state(browser)
    assert start["counter"] == "step 0 of 6" and start["caption"].startswith("Start: ∂L/∂L = 1, the seed.")
    assert 0 < start["scale"] <= 2  # fitted to the window

    _key(browser, Keys.ARROW_RIGHT)
    _key(browser, Keys.ARROW_RIGHT)
    two = _state(browser)
    assert two["counter"] == "step 2 of 6" and two["caption"].startswith("Step 2 of 6:")
    assert len(two["caption"]) != len(start["caption"])
    # a caption of another length moves neither the view nor the graph
    assert (two["viewTop"], two["left"], two["top"]) == (start["viewTop"], start["left"], start["top"])
    _key(browser, Keys.ARROW_LEFT)
    assert _state(browser)["counter"] == "step 1 of 6"
    browser.find_element(By.ID, "last").click()
    assert _state(browser)["counter"] == "step 6 of 6"
    browser.find_element(By.ID, "prev").click()
    assert _state(browser)["counter"] == "step 5 of 6"

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
        e = a + 2 * b
    L = c * e
    L.label = "L"
    _open(browser, draw_steps(L, tmp_path, collapse=1).html)
    menu = Select(browser.find_element(By.ID, "block"))
    assert [o.text for o in menu.options] == ["all blocks collapsed", "expand e = a + 2b"]
    assert browser.find_element(By.ID, "block").is_displayed()
    start = _state(browser)
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
