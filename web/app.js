// pirack's rack page.  Plain JavaScript, no framework, nothing from the
// network but this pirackd.  Every value from the API goes into the page
// as text (textContent, createElement), never as markup: names, models,
// event details are other people's input.
//
// Two modes, chosen by what the listener answers: on the operators' socket
// GET /v1/status answers and the page uses the ops API; on the customers'
// listener it does not, and the page asks for an API key, logs in
// (POST /login) and uses the customer API with the token, kept in memory
// only.  Live updates come from the event stream (GET /v1/events/stream or
// /pi/events/stream), read with fetch() so that the customer's token can
// go in a header, resumed with Last-Event-ID when it drops.
"use strict";

const STAGES = [
  ["power", "power-on"],
  ["discover", "DISCOVER"],
  ["offer", "OFFER"],
  ["bootcode", "bootcode.bin"],
  ["startelf", "start.elf"],
  ["kernel", "kernel"],
  ["root", "root"],
  ["up", "up"],
];
// The boot service's states, in the order a boot goes through them.
const STATES = ["off", "powered", "dhcp", "firmware", "kernel", "booted", "failed", "quarantined"];

const app = {
  mode: null, // "ops" or "customer"
  token: null,
  creds: null, // {id, secret}: to log in again when the token expires
  slots: new Map(), // key (slot number or server name) -> object
  live: new Map(), // slot -> its port's last switch answer (ops)
  selected: null,
  lastEventId: null,
  refreshTimers: new Map(),
};

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function message(text, bad) {
  const m = $("message");
  m.textContent = text || "";
  m.classList.toggle("bad", !!bad);
}

// ---- the API ----

async function api(method, path, body, form) {
  const headers = { Accept: "application/json" };
  if (app.token) headers.Authorization = "Bearer " + app.token;
  // credentials "omit": a 401 with WWW-Authenticate must not open the
  // browser's own password prompt; the page sends its header itself.
  const init = { method, headers, credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let r = await fetch(path, init);
  if (r.status === 401 && app.mode === "customer" && app.creds && !form) {
    await login(app.creds.id, app.creds.secret);
    headers.Authorization = "Bearer " + app.token;
    r = await fetch(path, init);
  }
  let json = null;
  try {
    json = await r.json();
  } catch (e) {
    json = null;
  }
  if (!r.ok) {
    const why = json && (json.detail || json.error_description || json.error);
    const err = new Error((why ? why : "HTTP " + r.status) + " (" + r.status + ")");
    err.status = r.status;
    throw err;
  }
  return json;
}

async function login(id, secret) {
  const r = await fetch("/login", {
    method: "POST",
    credentials: "omit",
    headers: {
      Authorization: "Basic " + btoa(id + ":" + secret),
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  const json = await r.json().catch(() => null);
  if (!r.ok || !json || !json.access_token) {
    throw new Error((json && (json.error_description || json.error)) || "HTTP " + r.status);
  }
  app.token = json.access_token;
  app.creds = { id, secret };
}

// ---- the slots ----

// One slot of the ops API as the grid shows it.
function fromOps(s) {
  const live = app.live.get(s.slot);
  return {
    key: s.slot,
    slot: s.slot,
    state: s.state,
    name: s.pi && s.pi.name,
    model: s.board && s.board.model,
    owner: s.pi && s.pi.owner,
    sw: s.switch ? s.switch.name : "",
    port: s.switch ? s.switch.port : null,
    power: s.power,
    poe: live ? "class " + live.class + ", " + live.detect : "",
    raw: s,
  };
}

// A customer's server (GET /pi/servers/NAME) as the grid shows it.
function fromCustomer(name, o) {
  let state = "off";
  if (o.is_booting) state = "booting";
  else if (o.status === "live") state = "booted";
  else if (o.status === "failed") state = "failed";
  else if (o.power) state = "powered";
  return {
    key: name,
    slot: null,
    state,
    name,
    model: o.model_full,
    owner: null,
    sw: "",
    port: null,
    power: o.power ? "on" : "off",
    poe: "",
    progress: o.boot_progress,
    raw: o,
  };
}

async function loadOps() {
  const status = await api("GET", "/v1/status");
  $("rack-name").textContent = status.rack || "";
  $("who").textContent = "operator";
  try {
    const power = await api("GET", "/v1/power?slots=all");
    for (const v of power.slots || []) if (v.live) app.live.set(v.slot, v.live);
  } catch (e) {
    // no power service: no PoE column
  }
  const slots = await api("GET", "/v1/slots");
  app.slots.clear();
  for (const s of slots) app.slots.set(s.slot, fromOps(s));
}

async function loadCustomer() {
  const list = await api("GET", "/pi/servers");
  app.slots.clear();
  const names = Object.keys(list.servers || {}).sort();
  await Promise.all(
    names.map(async (name) => {
      const o = await api("GET", "/pi/servers/" + encodeURIComponent(name));
      app.slots.set(name, fromCustomer(name, o));
    }),
  );
}

async function refreshOne(key) {
  try {
    if (app.mode === "ops") {
      const s = await api("GET", "/v1/slots/" + key);
      app.slots.set(key, fromOps(s));
    } else {
      const o = await api("GET", "/pi/servers/" + encodeURIComponent(key));
      app.slots.set(key, fromCustomer(key, o));
    }
  } catch (e) {
    if (e.status === 404) app.slots.delete(key);
  }
  renderSlot(key);
  renderCounts();
  if (app.selected === key) renderDetail();
}

// Many events for one slot (a boot) make one request, not one each.
function refreshSoon(key) {
  if (app.refreshTimers.has(key)) return;
  app.refreshTimers.set(
    key,
    setTimeout(() => {
      app.refreshTimers.delete(key);
      refreshOne(key);
    }, 300),
  );
}

// ---- drawing ----

function slotCell(s) {
  const c = el("div", "slot state-" + s.state);
  c.tabIndex = 0;
  c.dataset.key = String(s.key);
  c.dataset.state = s.state;
  c.dataset.switch = s.sw;
  const head = s.slot !== null ? "#" + s.slot + (s.port !== null ? " · port " + s.port : "") : s.name;
  c.append(el("div", "n", head));
  if (s.slot !== null) c.append(el("div", "name", s.name || ""));
  c.append(el("div", "meta", s.state + (s.model ? " · " + s.model : "")));
  if (s.owner) c.append(el("div", "meta owner", "owner " + s.owner));
  if (s.poe) c.append(el("div", "meta poe", "PoE " + s.poe));
  if (s.progress) c.append(el("div", "meta", s.progress));
  if (app.selected === s.key) c.classList.add("selected");
  c.addEventListener("click", () => select(s.key));
  c.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") select(s.key);
  });
  applyFilter(c);
  return c;
}

function applyFilter(c) {
  const st = $("filter-state").value;
  const sw = $("filter-switch").value;
  const hide = (st && c.dataset.state !== st) || (sw && c.dataset.switch !== sw);
  c.classList.toggle("hidden", !!hide);
}

function renderGrid() {
  const grid = $("grid");
  grid.replaceChildren();
  const groups = new Map();
  for (const s of app.slots.values()) {
    const g = s.sw || (app.mode === "ops" ? "no switch" : "your servers");
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(s);
  }
  const switches = [...groups.keys()].sort();
  for (const g of switches) {
    const box = el("section", "switch");
    box.append(el("h2", null, g));
    const ports = el("div", "ports");
    const list = groups.get(g).sort((a, b) =>
      a.port !== null && b.port !== null ? a.port - b.port : String(a.key).localeCompare(String(b.key)),
    );
    for (const s of list) ports.append(slotCell(s));
    box.append(ports);
    grid.append(box);
  }
  const sel = $("filter-switch");
  const keep = sel.value;
  sel.replaceChildren(new Option("all", ""));
  for (const g of switches) sel.append(new Option(g, g === "no switch" ? "" : g));
  sel.value = keep;
  renderCounts();
}

function renderSlot(key) {
  const old = document.querySelector('.slot[data-key="' + CSS.escape(String(key)) + '"]');
  const s = app.slots.get(key);
  if (!old || !s) {
    renderGrid();
    return;
  }
  old.replaceWith(slotCell(s));
}

function renderCounts() {
  const counts = {};
  for (const s of app.slots.values()) counts[s.state] = (counts[s.state] || 0) + 1;
  const box = $("counts");
  box.replaceChildren();
  for (const st of Object.keys(counts).sort()) {
    const span = el("span", "count", st + " " + counts[st]);
    span.id = "count-" + st;
    span.dataset.count = String(counts[st]);
    box.append(span);
  }
  const sel = $("filter-state");
  const have = new Set([...sel.options].map((o) => o.value));
  for (const st of STATES.concat(Object.keys(counts)))
    if (!have.has(st)) {
      sel.append(new Option(st, st));
      have.add(st);
    }
}

function refilter() {
  document.querySelectorAll(".slot").forEach(applyFilter);
}

// ---- the detail pane ----

function select(key) {
  app.selected = key;
  document.querySelectorAll(".slot.selected").forEach((c) => c.classList.remove("selected"));
  const c = document.querySelector('.slot[data-key="' + CSS.escape(String(key)) + '"]');
  if (c) c.classList.add("selected");
  app.events = [];
  $("detail").hidden = false;
  renderDetail();
  if (app.mode === "ops") loadSlotEvents(key);
}

// The slot's events, newest last, up to the last 200.
async function loadSlotEvents(slot) {
  let since = 0;
  let all = [];
  for (let page = 0; page < 20; page++) {
    const r = await api("GET", "/v1/events?slot=" + slot + "&since=" + since + "&limit=1000").catch(() => null);
    if (!r) break;
    all = all.concat(r.events).slice(-200);
    if (r.events.length < 1000) break;
    since = r.next;
  }
  if (app.selected !== slot) return;
  app.events = all;
  renderDetail();
}

function fileStage(path) {
  const base = String(path || "").split("/").pop();
  if (base === "bootcode.bin") return "bootcode";
  if (/^start.*\.elf$/.test(base)) return "startelf";
  if (/^kernel.*\.img$/.test(base)) return "kernel";
  return null;
}

// The boot timeline from the slot's events since its last power-on:
// [stage, label, ms since power-on or null, failed].
function timeline(events) {
  let start = -1;
  for (let i = events.length - 1; i >= 0; i--)
    if (events[i].kind === "power.on" || events[i].kind === "boot.powered") {
      start = i;
      if (events[i].kind === "power.on") break;
    }
  const seen = {};
  let failed = null;
  let t0 = null;
  if (start >= 0) {
    t0 = events[start].time_ms;
    for (const ev of events.slice(start)) {
      const d = ev.detail || {};
      let st = null;
      if (ev.kind === "power.on" || ev.kind === "boot.powered") st = "power";
      else if (ev.kind === "dhcp.offer" && d.rom) st = "offer";
      else if (ev.kind === "dhcp.offer") st = seen.offer ? "root" : "offer";
      else if (ev.kind === "dhcp.ack" && !d.rom && seen.kernel) st = "root";
      else if (ev.kind === "tftp.request" || ev.kind === "tftp.done") st = fileStage(d.path);
      else if (ev.kind === "boot.kernel") st = "kernel";
      else if (ev.kind === "boot.booted") st = "up";
      else if (ev.kind === "boot.failed") failed = d.step || "booted";
      // pirack records its answers, not the DISCOVER itself: the OFFER
      // that answered it dates it.
      if (ev.kind === "dhcp.offer" || ev.kind === "dhcp.ack") seen.discover = seen.discover || ev.time_ms;
      if (st && !seen[st]) seen[st] = ev.time_ms;
    }
    if (seen.up && !seen.root) seen.root = seen.up;
  }
  // The failed stage is the first one that never came.
  const failedAt = failed ? STAGES.findIndex(([k]) => !seen[k]) : -1;
  return STAGES.map(([k, label], i) => [k, label, seen[k] ? seen[k] - t0 : null, i === failedAt]);
}

function actionButtons(s) {
  const box = $("detail-actions");
  box.replaceChildren();
  const acts =
    app.mode === "ops"
      ? [
          ["Power on", "on"],
          ["Power off", "off"],
          ["Power cycle", "cycle"],
          ["Reimage", "reimage"],
        ]
      : [
          ["Power on", "on"],
          ["Power off", "off"],
          ["Reboot", "cycle"],
          ["Reinstall", "reimage"],
        ];
  for (const [label, what] of acts) {
    const b = el("button", null, label);
    b.type = "button";
    b.dataset.action = what;
    b.addEventListener("click", () => act(s, what, label));
    box.append(b);
  }
}

function renderDetail() {
  const s = app.slots.get(app.selected);
  if (!s) {
    $("detail").hidden = true;
    return;
  }
  $("detail-title").textContent = s.slot !== null ? "Slot " + s.slot + ": " + (s.name || "") : s.name;
  $("detail-sub").textContent =
    [s.state, s.model, s.owner ? "owner " + s.owner : null, "power " + s.power].filter(Boolean).join(" · ");
  actionButtons(s);
  const tl = $("detail-timeline");
  tl.replaceChildren();
  for (const [k, label, ms, failed] of timeline(app.events || [])) {
    const li = el("li", failed ? "failed" : ms !== null ? "done" : "pending", label);
    li.dataset.stage = k;
    li.append(el("span", "t", ms !== null ? "+" + (ms / 1000).toFixed(2) + " s" : failed ? "failed" : "–"));
    tl.append(li);
  }
  const dl = $("detail-addresses");
  dl.replaceChildren();
  const add = (k, v) => {
    if (v === undefined || v === null || v === "") return;
    dl.append(el("dt", null, k), el("dd", null, v));
  };
  const r = s.raw || {};
  if (app.mode === "ops") {
    const a = r.addresses || {};
    add("IPv4", a.v4 && a.v4.host);
    add("IPv6", a.v6 && a.v6.host);
    add("IPv6 prefix", a.v6 && a.v6.prefix);
    add("MAC", r.board && r.board.mac);
    add("serial", r.board && r.board.serial);
    add("switch", r.switch ? r.switch.name + " port " + r.switch.port : "none");
    add("ssh forward", r.ssh_port ? "port " + r.ssh_port : null);
    add("name", r.names && r.names.fqdn);
    add("web", r.names && r.names.www);
    const routes = (r.proxy && r.proxy.routes) || [];
    for (const rt of routes)
      add("forward", rt && rt.kind ? rt.kind + " " + rt.key + " \u2192 " + rt.value : JSON.stringify(rt));
    const a2 = $("detail-trace");
    a2.href = "/v1/slots/" + s.slot + "/trace";
    a2.download = "slot-" + s.slot + ".pcap";
    a2.hidden = false;
  } else {
    add("IPv6", r.ip);
    add("routed", r.ip_routed);
    add("ssh port", r.ssh_port);
    add("status", r.status);
    add("progress", r.boot_progress);
    $("detail-trace").hidden = true;
  }
  const ul = $("detail-events");
  ul.replaceChildren();
  for (const ev of (app.events || []).slice(-40).reverse()) {
    const when = new Date(ev.time_ms).toLocaleTimeString();
    const d = ev.detail === undefined ? "" : " " + JSON.stringify(ev.detail);
    const li = el("li", null, when + " " + ev.kind + " (" + ev.actor + ")" + d);
    ul.append(li);
  }
}

// ---- actions ----

function confirmAction(text) {
  const dlg = $("confirm");
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "yes"), { once: true });
    dlg.showModal();
  });
}

async function act(s, what, label) {
  const who = s.slot !== null ? "slot " + s.slot + " (" + (s.name || "") + ")" : s.name;
  if (!(await confirmAction(label + " " + who + "?"))) return;
  try {
    if (app.mode === "ops") {
      if (what === "reimage") await api("POST", "/v1/slots/" + s.slot + "/reimage", {});
      else await api("POST", "/v1/slots/" + s.slot + "/power", { action: what });
    } else {
      const base = "/pi/servers/" + encodeURIComponent(s.name);
      if (what === "cycle") await api("POST", base + "/reboot");
      else if (what === "reimage") await api("POST", base + "/reinstall", {});
      else await api("PUT", base + "/power", { power: what === "on" });
    }
    message(label + " " + who + ": asked");
  } catch (e) {
    message(label + " " + who + ": " + e.message, true);
  }
}

// ---- the event stream ----

function setLive(on, text) {
  const l = $("live");
  l.textContent = text;
  l.classList.toggle("on", on);
  l.classList.toggle("off", !on);
}

function onEvent(ev) {
  const key = app.mode === "ops" ? ev.slot : ev.server;
  if (!key) return;
  const s = app.slots.get(key);
  // The boot's steps say the state themselves; anything else is re-read.
  if (s && ev.kind.startsWith("boot.") && STATES.includes(ev.kind.slice(5)) && app.mode === "ops") {
    s.state = ev.kind.slice(5);
    renderSlot(key);
    renderCounts();
  }
  // The boot's packets and steps change nothing else of an ops slot: a
  // storm of 108 boots makes no request per packet.
  if (!(app.mode === "ops" && /^(boot|dhcp|tftp)\./.test(ev.kind))) refreshSoon(key);
  if (app.selected === key) {
    app.events = (app.events || []).concat([ev]).slice(-200);
    renderDetail();
  }
}

// Reads the stream with fetch (a header for the token, which EventSource
// cannot send), frame by frame; reconnects after a pause, resuming after
// the last event seen.
async function follow() {
  const path = app.mode === "ops" ? "/v1/events/stream" : "/pi/events/stream";
  for (;;) {
    try {
      const headers = { Accept: "text/event-stream" };
      if (app.token) headers.Authorization = "Bearer " + app.token;
      if (app.lastEventId) headers["Last-Event-ID"] = app.lastEventId;
      const r = await fetch(path, { headers, credentials: "omit" });
      if (r.status === 401 && app.creds) {
        await login(app.creds.id, app.creds.secret);
        continue;
      }
      if (!r.ok || !r.body) throw new Error("HTTP " + r.status);
      setLive(true, "live");
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let at;
        while ((at = buf.indexOf("\n\n")) >= 0) {
          frame(buf.slice(0, at));
          buf = buf.slice(at + 2);
        }
      }
    } catch (e) {
      // dropped, restarted, or unreachable: try again
    }
    setLive(false, "reconnecting");
    await new Promise((res) => setTimeout(res, 2000));
  }
}

function frame(text) {
  let id = null;
  let data = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("id:")) id = line.slice(3).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trimStart();
  }
  if (id) app.lastEventId = id;
  if (!data) return;
  let ev;
  try {
    ev = JSON.parse(data);
  } catch (e) {
    return;
  }
  if (ev && ev.kind) onEvent(ev);
}

// ---- start ----

async function start() {
  $("filter-state").addEventListener("change", refilter);
  $("filter-switch").addEventListener("change", refilter);
  $("detail-close").addEventListener("click", () => {
    app.selected = null;
    $("detail").hidden = true;
    document.querySelectorAll(".slot.selected").forEach((c) => c.classList.remove("selected"));
  });
  let ops = false;
  try {
    const r = await fetch("/v1/status", { headers: { Accept: "application/json" } });
    ops = r.ok;
  } catch (e) {
    ops = false;
  }
  if (ops) {
    app.mode = "ops";
    await show(loadOps);
    return;
  }
  app.mode = "customer";
  $("filter-switch-label").hidden = true;
  $("login").hidden = false;
  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = $("login-id").value.trim();
    const secret = $("login-secret").value;
    try {
      await login(id, secret);
    } catch (e) {
      $("login-error").textContent = "Sign-in refused: " + e.message;
      return;
    }
    $("login-secret").value = "";
    $("login").hidden = true;
    $("who").textContent = "key " + id;
    await show(loadCustomer);
  });
}

async function show(load) {
  $("main").hidden = false;
  // The stream first: an event that comes while the rack is read makes
  // its slot be read again, so nothing between the two is missed.
  follow();
  try {
    await load();
  } catch (e) {
    message("Cannot read the rack: " + e.message, true);
  }
  renderGrid();
  document.body.dataset.ready = app.mode;
}

document.addEventListener("DOMContentLoaded", start);
