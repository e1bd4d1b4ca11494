// The playground's page (autograd/playground/index.html), served by `python -m autograd serve`.
// Every picture and text comes from the server, which asks chaingrad (draw, explain, draw_steps, gradcheck);
// this script only sends the expression and the values, and puts the answers on the page.
//
// A slider move is fast because the pictures are not laid out again when only numbers change: the server
// answers with the texts of each picture for a layout the page already has, and the page writes them into
// its SVG (each line of text re-centred where dot put it). One request at a time: moves made meanwhile are
// sent together, with the newest values, as soon as the answer is in.
"use strict";
(function () {
  const $ = id => document.getElementById(id);
  const VIEWS = ["forward", "backward"];
  const DEFAULT = {expr: "c*(a+2*b)", values: {a: 3, b: 1, c: -2}};
  const state = {expr: "", values: {}, names: [], layouts: {forward: null, backward: null}, lines: {}, selected: null};
  let busy = false, again = false, changedAt = 0;
  // for tests and the curious: how long each redraw took, from the move to the new numbers on the page (ms),
  // and how many pictures came with a new layout (an SVG) rather than new texts only
  const stats = window.__playground = {redraws: [], last: null, updates: 0, errors: 0, layouts: 0};

  // ---- the URL: ?expr=EXPRESSION&a=3&b=1 (a later 'expr' is the value of an input called expr) ----

  function readUrl() {
    const params = new URLSearchParams(location.search);
    let expr = null;
    const values = {};
    for (const [key, text] of params) {
      if (key === "expr" && expr === null) { expr = text; continue; }
      const x = Number(text);
      if (text.trim() !== "" && Number.isFinite(x)) values[key] = x;
    }
    return expr === null ? DEFAULT : {expr, values};
  }

  function query() {
    const parts = ["expr=" + encodeURIComponent(state.expr)];
    for (const name of state.names) parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(String(state.values[name])));
    return "?" + parts.join("&");
  }

  // The browser allows about 100 URL changes in 10 s: a drag writes the URL when it pauses.
  let urlTimer = null;
  function writeUrl() {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => history.replaceState(null, "", query()), 200);
  }

  // ---- talking to the server ----

  async function post(path, body) {
    let answer;
    try {
      answer = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    } catch (e) {
      return {error: "the playground's server does not answer (was it stopped?)"};
    }
    try {
      return await answer.json();
    } catch (e) {
      return {error: `the server answered ${answer.status} ${answer.statusText}`};
    }
  }

  function changed() {
    changedAt = performance.now();
    if (busy) { again = true; return; }
    update();
  }

  async function update() {
    busy = true;
    again = false;
    const started = changedAt;
    const body = {expr: state.expr, values: state.values, have: state.layouts};
    try {
      const answer = await post("/api/graph", body);
      show(answer);
      if (!answer.error) {
        const ms = performance.now() - started;
        stats.redraws.push(ms);
        stats.last = ms;
        stats.updates += 1;
        if (state.selected !== null) explainNode(state.selected);
      } else {
        stats.errors += 1;
      }
    } finally {
      busy = false;  // whatever happened, the next move is sent
    }
    if (again) update();
  }

  // ---- the answers ----

  function show(answer) {
    if (answer.inputs) syncInputs(answer.inputs);
    if (answer.error) {
      showError(answer.error);
      for (const view of VIEWS) $(view).classList.add("stale");
      $("output").textContent = "";
      return;
    }
    showError(null);
    writeUrl();
    $("output").textContent = `${answer.output.name} = ${answer.output.text}`;
    const rows = answer.inputs.map(row => {
      const tr = document.createElement("tr");
      const name = document.createElement("td"), grad = document.createElement("td");
      name.textContent = row.grad_name;  // as the pictures write it
      grad.textContent = row.grad_text;
      grad.className = "number";
      grad.id = "grad-" + row.name;
      tr.append(name, grad);
      return tr;
    });
    $("grads").tBodies[0].replaceChildren(...rows);
    for (const view of VIEWS) {
      const picture = answer.views[view], box = $(view);
      if (picture.svg !== undefined) {
        box.innerHTML = picture.svg;
        stats.layouts += 1;
        state.layouts[view] = picture.layout;
        fit(box);
        state.lines[view] = picture.texts ? lines(box) : null;
        markSelected();
      }
      if (picture.texts) write(box, state.lines[view], picture.texts);
      box.classList.remove("stale");
    }
  }

  function showError(message) {
    const line = $("error");
    line.hidden = !message;
    line.textContent = message ? "error: " + message : "";
  }

  // A picture at its natural size, shrunk to the width of the page down to 3/4 (then it scrolls).
  function fit(box) {
    const svg = box.querySelector("svg");
    if (!svg) return;
    const width = svg.viewBox.baseVal.width * 4 / 3;  // dot's points to CSS pixels
    const scale = Math.max(0.75, Math.min(1, box.clientWidth / width));
    svg.style.width = `${width * scale}px`;
    svg.removeAttribute("height");
  }

  // The lines of text of a laid-out picture: the <text> elements of one node or edge on one baseline.
  // dot placed each run of a line after the previous one and centred the line in its cell; the centre is
  // kept, and the runs of a line whose texts change are placed again after each other.
  function lines(box) {
    const out = [], lineOf = [];
    let line = null;
    for (const el of box.querySelectorAll("text")) {
      const y = el.getAttribute("y");
      if (!(line && line.parent === el.parentNode && line.y === y)) out.push(line = {parent: el.parentNode, y, els: []});
      line.els.push(el);
      lineOf.push(line);
    }
    for (const l of out) {
      const xs = l.els.map(el => parseFloat(el.getAttribute("x")));
      const last = l.els[l.els.length - 1];
      l.start = last.getAttribute("text-anchor") === "start" || l.els.length > 1;
      l.centre = xs[0] + (xs[xs.length - 1] - xs[0] + last.getComputedTextLength()) / 2;
    }
    return {all: out, lineOf};
  }

  function write(box, layout, texts) {
    const els = box.querySelectorAll("text");
    if (els.length !== texts.length) {  // never expected: the server checked the layout
      showError(`the picture has ${els.length} texts but the server sent ${texts.length}; reload the page`);
      return;
    }
    const dirty = new Set();
    texts.forEach((text, k) => {
      if (els[k].textContent === text) return;
      els[k].textContent = text;
      if (layout.lineOf[k].start) dirty.add(layout.lineOf[k]);
    });
    const changed = [...dirty];
    const widths = changed.map(l => l.els.map(el => el.getComputedTextLength()));  // read all, then write
    changed.forEach((l, k) => {
      let x = l.centre - widths[k].reduce((a, b) => a + b, 0) / 2;
      l.els.forEach((el, j) => { el.setAttribute("x", x.toFixed(2)); x += widths[k][j]; });
    });
  }

  // ---- inputs: a slider and a number field each ----

  function range(x) {
    let span = 5;
    while (Math.abs(x) > span) span *= 2;
    return {min: -span, max: span, step: span / 500};
  }

  // The inputs of an answer: made anew when the names change (new ones at the server's default value);
  // otherwise the page's values stand, since the sliders may have moved on while the answer was out.
  function syncInputs(inputs) {
    const names = inputs.map(i => i.name);
    if (names.join("\u0000") === state.names.join("\u0000")) return;
    state.names = names;
    state.values = Object.fromEntries(inputs.map(i => [i.name, i.value]));
    $("inputs").replaceChildren(...inputs.map(i => inputRow(i.name, i.value)));
  }

  function inputRow(name, value) {
    const row = document.createElement("div"), label = document.createElement("label");
    const slider = document.createElement("input"), number = document.createElement("input");
    row.className = "input";
    label.textContent = name;
    label.htmlFor = slider.id = "slider-" + name;
    number.id = "number-" + name;
    slider.type = "range";
    number.type = "number";
    number.step = "any";
    slider.setAttribute("aria-label", name);
    number.setAttribute("aria-label", name + " value");
    const setRange = x => { const r = range(x); slider.min = r.min; slider.max = r.max; slider.step = r.step; };
    setRange(value);
    slider.value = number.value = String(value);
    slider.addEventListener("input", () => {
      const x = Number(slider.value);
      number.value = String(x);
      state.values[name] = x;
      changed();
    });
    number.addEventListener("input", () => {
      const x = Number(number.value);
      if (number.value.trim() === "" || !Number.isFinite(x)) return;  // still typing: "-", "1e"
      if (x < Number(slider.min) || x > Number(slider.max)) setRange(x);
      slider.value = String(x);
      state.values[name] = x;
      changed();
    });
    row.append(label, slider, number);
    return row;
  }

  // ---- clicks, and the buttons ----

  function markSelected() {
    for (const g of document.querySelectorAll(".picture g.node.selected")) g.classList.remove("selected");
    if (state.selected === null) return;
    for (const prefix of ["f", "b"]) {
      const g = document.getElementById(prefix + state.selected);
      if (g) g.classList.add("selected");
    }
  }

  async function explainNode(index) {
    const answer = await post("/api/explain", {expr: state.expr, values: state.values, node: index});
    if (answer.error) { showError(answer.error); return; }
    $("details-title").textContent = answer.kind === "derivation"
      ? "how its gradient comes about (explain)" : "its local derivatives (as on its edges)";
    $("details").textContent = answer.text;
  }

  function onPictureClick(event) {
    const g = event.target.closest("g.node");
    if (!g || !/^[fb]\d+$/.test(g.id)) return;
    event.preventDefault();
    state.selected = Number(g.id.slice(1));
    markSelected();
    explainNode(state.selected);
  }

  async function check() {
    $("details-title").textContent = "gradcheck";
    $("details").textContent = "checking…";
    const answer = await post("/api/gradcheck", {expr: state.expr, values: state.values});
    $("details").textContent = answer.error ? "error: " + answer.error : answer.text;
  }

  function openSteps() {
    $("steps-frame").src = "/steps" + query();
    $("stepper").hidden = false;
    $("steps-frame").focus();
  }

  function closeSteps() {
    $("stepper").hidden = true;
    $("steps-frame").removeAttribute("src");
  }

  function setExpression(expr, values) {
    state.expr = expr;
    state.values = Object.assign({}, values);
    state.names = [];  // the server's answer lists the inputs, and the sliders are made again
    state.selected = null;
    $("expr").value = expr;
    $("inputs").replaceChildren();
    changed();
  }

  $("expr-form").addEventListener("submit", event => {
    event.preventDefault();
    const values = Object.assign({}, state.values);  // names that stay keep their values
    setExpression($("expr").value, values);
  });
  for (const view of VIEWS) $(view).addEventListener("click", onPictureClick);
  $("check").addEventListener("click", check);
  $("steps").addEventListener("click", openSteps);
  $("close-steps").addEventListener("click", closeSteps);
  document.addEventListener("keydown", e => { if (e.key === "Escape" && !$("stepper").hidden) closeSteps(); });
  const start = readUrl();
  setExpression(start.expr, start.values);
})();
