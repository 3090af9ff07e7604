// The RebarProvision web UI: a hash-routed page over the REST API (/api/v1) and its event stream.
// No framework and no build step: every element is made with h(), which only ever sets text, never HTML, so a
// machine name or a template cannot inject markup. The browser holds an API token (minted at login with the
// user's own role) in sessionStorage and sends it as a Bearer header; there is no cookie, so no CSRF to defend.
"use strict";

const TOKEN = "rebar.token";
const main = () => document.getElementById("main");
let me = null;            // { name, role } from /api/v1/whoami
const listeners = new Set(); // functions called with each event from the stream
let stream = null;        // AbortController of the running stream

// ---- DOM --------------------------------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const say = (text) => { document.getElementById("status").textContent = text; if (text) setTimeout(() => { if (document.getElementById("status").textContent === text) say(""); }, 6000); };
const canOperate = () => me && (me.role === "operator" || me.role === "admin");
const when = (t) => t ? new Date(t).toLocaleString() : "never";
function show(title, ...content) {
  document.title = `${title} · RebarProvision`;
  main().replaceChildren(h("h1", {}, title), ...content);
}
function table(headers, rows, caption) {
  return h("table", {}, caption ? h("caption", { class: "visually-hidden" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map(x => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows));
}

// ---- API --------------------------------------------------------------------------------------------------------
async function api(method, path, body, headers) {
  const token = sessionStorage.getItem(TOKEN);
  const init = { method, headers: { Accept: "application/json", ...(headers || {}) } };
  if (token && !init.headers.Authorization) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] = init.headers["Content-Type"] || "application/json";
  }
  const res = await fetch(`/api/v1/${path}`, init);
  if (res.status === 401) { logout(); throw new Error("your session ended; log in again"); }
  const text = await res.text();
  const type = res.headers.get("Content-Type") || "";
  const data = type.includes("json") && text ? JSON.parse(text) : text;
  if (!res.ok) throw Object.assign(new Error(problemText(data, res)), { status: res.status, problem: data });
  return { data, etag: res.headers.get("ETag") };
}
function problemText(p, res) {
  if (typeof p !== "object" || p === null) return `${res.status} ${res.statusText}: ${p}`;
  const fields = p.errors ? Object.entries(p.errors).map(([k, v]) => `${k}: ${[].concat(v).join(", ")}`).join("; ") : "";
  return [p.title, p.detail, fields].filter(Boolean).join(": ");
}
const get = async (path) => (await api("GET", path)).data;
async function act(what, fn) {
  try { const r = await fn(); say(`${what}: done`); return r; } catch (e) { say(`${what} failed: ${e.message}`); return undefined; }
}

// ---- Login ------------------------------------------------------------------------------------------------------
function loginPage(message) {
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
  const error = h("p", { class: "error", role: "alert" }, message || "");
  const form = h("form", { "aria-labelledby": "login-title", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const res = await fetch("/ui/session", { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ user: form.elements.user.value, password: form.elements.password.value }) });
      const data = await res.json();
      if (!res.ok) throw Object.assign(new Error(problemText(data, res)), { status: res.status });
      sessionStorage.setItem(TOKEN, data.token);
      await start();
    } catch (err) {
      error.textContent = err.status === 401 ? "Wrong user name or password." : err.message;
    }
  } },
    h("h1", { id: "login-title" }, "Log in"),
    h("p", {}, h("label", {}, "User name", h("input", { name: "user", autocomplete: "username", required: true, autofocus: true }))),
    h("p", {}, h("label", {}, "Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true }))),
    h("p", {}, h("button", { type: "submit" }, "Log in")),
    error);
  main().replaceChildren(form);
  form.elements.user.focus();
}
function logout() {
  const token = sessionStorage.getItem(TOKEN);
  if (token) fetch("/ui/session", { method: "DELETE", headers: { Authorization: `Bearer ${token}` } }).catch(() => {});
  sessionStorage.removeItem(TOKEN);
  me = null;
  if (stream) stream.abort();
  stream = null;
  loginPage();
}

// ---- Event stream (fetch, because EventSource cannot send an Authorization header) -------------------------------
async function openStream() {
  if (stream) return;
  const controller = stream = new AbortController();
  let lastId = null;
  const live = document.getElementById("live");
  while (!controller.signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}`, Accept: "text/event-stream" };
      if (lastId) headers["Last-Event-ID"] = lastId;
      const res = await fetch("/api/v1/events/stream", { headers, signal: controller.signal });
      if (res.status === 401) { logout(); return; }
      if (!res.ok) throw new Error(String(res.status));
      live.hidden = false;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split("\n").filter(l => l.startsWith("data: ")).map(l => l.slice(6)).join("\n");
          const id = frame.split("\n").find(l => l.startsWith("id: "));
          if (id) lastId = id.slice(4);
          if (data) { const event = JSON.parse(data); listeners.forEach(f => f(event)); }
        }
      }
    } catch (e) {
      if (controller.signal.aborted) return;
    }
    live.hidden = true;
    await new Promise(r => setTimeout(r, 2000));
  }
}
// Re-runs fn (at most every 300 ms) while the current page shows, whenever an event matches.
function onEvents(match, fn) {
  let timer = null;
  const page = location.hash;
  const listener = (e) => {
    if (location.hash !== page) { listeners.delete(listener); return; }
    if (!match(e) || timer) return;
    timer = setTimeout(() => { timer = null; fn(e); }, 300);
  };
  listeners.add(listener);
}

// ---- Machines ---------------------------------------------------------------------------------------------------
const machineSort = { key: "name", dir: 1 };
async function machinesPage() {
  const filter = h("input", { type: "search", id: "machine-filter", placeholder: "name, state, bootenv, address…" });
  const body = h("tbody", {});
  const count = h("p", { "aria-live": "polite" });
  const columns = [["name", "Name"], ["state", "State"], ["bootEnv", "Boot environment"], ["address", "Address"], ["lastBootAt", "Last boot"], ["node", "Node"]];
  const head = h("tr", {});
  let rows = [];
  const render = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = rows.filter(r => !q || columns.some(([k]) => String(r[k] ?? "").toLowerCase().includes(q)) || r.hardwareAddrs.some(m => m.includes(q)))
      .sort((a, b) => String(a[machineSort.key] ?? "").localeCompare(String(b[machineSort.key] ?? ""), undefined, { numeric: true }) * machineSort.dir);
    body.replaceChildren(...shown.map(m => h("tr", { "data-machine": m.name },
      h("td", {}, h("a", { href: `#/machines/${encodeURIComponent(m.uuid)}` }, m.name)),
      h("td", { class: `state-${m.state}` }, m.state, m.validated === false ? " ⚠" : ""),
      h("td", {}, m.bootEnv ?? ""),
      h("td", {}, m.address ?? ""),
      h("td", {}, when(m.lastBootAt)),
      h("td", {}, m.node ?? ""))));
    count.textContent = `${shown.length} of ${rows.length} machines`;
    head.replaceChildren(...columns.map(([k, label]) => h("th", { scope: "col", "aria-sort": machineSort.key === k ? (machineSort.dir > 0 ? "ascending" : "descending") : "none" },
      h("button", { type: "button", onclick: () => { machineSort.dir = machineSort.key === k ? -machineSort.dir : 1; machineSort.key = k; render(); } }, label))));
  };
  const load = async () => {
    const [machines, leases] = await Promise.all([get("machines"), get("leases")]);
    const byMac = new Map(leases.filter(l => l.state === "bound" || l.state === "offered").map(l => [l.token.toLowerCase(), l]));
    rows = machines.map(m => {
      const lease = m.hardwareAddrs.map(a => byMac.get(a.toLowerCase())).find(Boolean);
      return { ...m, address: m.address ?? lease?.addr, node: lease?.node };
    });
    render();
  };
  filter.addEventListener("input", render);
  show("Machines", h("label", {}, "Filter", filter), count, h("table", { id: "machines" }, h("thead", {}, head), body));
  await load();
  onEvents(e => e.kind.startsWith("machine.") || e.kind.startsWith("lease."), load);
}

async function machinePage(id) {
  const { data: m, etag } = await api("GET", `machines/${encodeURIComponent(id)}`);
  const [leases, events, bootenvs, params, check] = await Promise.all([
    get("leases"), get(`events?key=${encodeURIComponent(m.uuid)}&limit=10000`), get("bootenvs"), get("params"), get(`machines/${encodeURIComponent(m.uuid)}/boot-check`)]);
  const why = [...(m.errors || []), ...(check.bootable || (m.errors || []).some(e => e.startsWith("bootEnv")) ? [] : [`cannot boot from node ${check.node}: ${check.reason}`])];
  const secure = new Set(params.filter(p => p.secure).map(p => p.name));
  const state = h("strong", { id: "machine-state", class: `state-${m.state}` }, m.state);
  const progress = h("p", { id: "reimage-progress", "aria-live": "polite" });
  const sections = [
    h("dl", {},
      h("dt", {}, "State"), h("dd", {}, state, m.stateMessage ? ` — ${m.stateMessage}` : ""),
      h("dt", {}, "UUID"), h("dd", {}, m.uuid),
      h("dt", {}, "Hardware addresses"), h("dd", {}, m.hardwareAddrs.join(", ")),
      h("dt", {}, "Boot environment"), h("dd", {}, m.bootEnv ?? "local"),
      h("dt", {}, "Profiles"), h("dd", {}, m.profiles.length ? m.profiles.join(", ") : "none"),
      h("dt", {}, "Last boot"), h("dd", {}, when(m.lastBootAt))),
    why.length
      ? h("section", { "aria-labelledby": "why" }, h("h2", { id: "why" }, "Why it cannot boot"), h("ul", { class: "errors", id: "machine-errors" }, why.map(e => h("li", {}, e))))
      : null,
  ];
  if (canOperate()) {
    const choice = h("select", { id: "bootenv-choice" }, bootenvs.map(b => h("option", { value: b.name, selected: b.name === m.bootEnv }, b.name)));
    sections.push(h("section", { class: "actions", "aria-label": "Actions" },
      h("label", {}, "Boot environment", choice),
      h("button", { type: "button", onclick: () => act("Set boot environment", async () => {
        await api("PATCH", `machines/${m.uuid}`, [{ op: "replace", path: "/bootEnv", value: choice.value }], { "Content-Type": "application/json-patch+json", "If-Match": etag });
        route();
      }) }, "Set boot environment"),
      h("button", { type: "button", onclick: () => act("Reimage", async () => {
        await api("POST", `machines/${m.uuid}/reimage`, { bootEnv: choice.value });
        progress.textContent = `Reimaging with ${choice.value}: waiting for the machine to install…`;
      }) }, "Reimage"),
      h("button", { type: "button", onclick: () => act("Power cycle", () => api("POST", `machines/${m.uuid}/power`, { action: "cycle" })) }, "Power cycle"),
      h("button", { type: "button", onclick: () => act("Delete", async () => {
        if (!confirm(`Delete machine ${m.name}?`)) return;
        await api("DELETE", `machines/${m.uuid}`, undefined, { "If-Match": etag });
        location.hash = "#/machines";
      }) }, "Delete")));
  }
  sections.push(progress);
  const paramRows = Object.entries(m.params || {}).map(([k, v]) =>
    h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, secure.has(k) && typeof v === "string" && /^\*+$/.test(v) ? h("em", {}, "secret (masked)") : JSON.stringify(v))));
  sections.push(h("h2", {}, "Params"), paramRows.length ? table(["Name", "Value"], paramRows) : h("p", {}, "No params on the machine itself."));
  sections.push(h("h2", {}, "Inventory"), m.inventory ? h("pre", {}, JSON.stringify(m.inventory, null, 2)) : h("p", {}, "Not reported yet."));
  const macs = new Set(m.hardwareAddrs.map(a => a.toLowerCase()));
  sections.push(h("h2", {}, "Leases"), table(["Address", "Subnet", "State", "Expires", "Node"],
    leases.filter(l => macs.has(l.token.toLowerCase())).map(l => h("tr", {}, h("td", {}, l.addr), h("td", {}, l.subnet), h("td", {}, l.state), h("td", {}, when(l.expiresAt)), h("td", {}, l.node)))));
  const bootenv = bootenvs.find(b => b.name === (m.bootEnv ?? "local"));
  const files = ["ipxe", "pxelinux", "grub", ...(bootenv?.templates || []).map(t => t.path.replace(/^machines\/\{\{\s*machine\.uuid\s*\}\}\//, ""))];
  const fileChoice = h("select", { id: "render-choice" }, files.map(f => h("option", { value: f }, f)));
  const rendered = h("pre", { id: "rendered", "aria-live": "polite" });
  sections.push(h("h2", {}, "Rendered files"), h("label", {}, "File", fileChoice),
    h("button", { type: "button", onclick: async () => {
      try { rendered.textContent = (await api("GET", `machines/${m.uuid}/render/${fileChoice.value}`, undefined, { Accept: "text/plain, application/json" })).data; }
      catch (e) { rendered.textContent = e.message; }
    } }, "Render"), rendered);
  const eventList = h("ul", { class: "feed", id: "machine-events" }, events.slice(-50).reverse().map(eventItem));
  sections.push(h("h2", {}, "Events"), eventList);
  show(`Machine ${m.name}`, ...sections);
  onEvents(e => e.key === m.uuid, (e) => {
    eventList.prepend(eventItem(e));
    if (e.object?.state) {
      state.textContent = e.object.state;
      state.className = `state-${e.object.state}`;
      if (progress.textContent) progress.textContent = e.object.state === "installed" ? "Installed." : e.object.state === "failed" ? `Failed: ${e.object.stateMessage ?? ""}` : `Machine is ${e.object.state}…`;
    }
  });
}
const eventItem = (e) => h("li", {}, `${when(e.time)}  ${e.kind}  ${e.key}  by ${e.actor}`);

// ---- Subnets, reservations --------------------------------------------------------------------------------------
const ipToInt = (a) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const intToIp = (n) => [24, 16, 8, 0].map(s => Math.floor(n / 2 ** s) % 256).join(".");
async function subnetsPage() {
  const [subnets, leases, reservations] = await Promise.all([get("subnets"), get("leases"), get("reservations")]);
  const sections = [];
  for (const s of subnets) {
    const byAddr = new Map(leases.filter(l => l.subnet === s.name).map(l => [l.addr, l.state]));
    const reserved = new Set(reservations.filter(r => r.subnet === s.name).map(r => r.addr));
    const start = ipToInt(s.activeStart), end = Math.min(ipToInt(s.activeEnd), start + 1023);
    const cells = [];
    const counts = { bound: 0, offered: 0, reserved: 0, free: 0 };
    for (let n = start; n <= end; n++) {
      const addr = intToIp(n);
      const st = byAddr.get(addr) ?? (reserved.has(addr) ? "reserved" : "free");
      counts[st] = (counts[st] ?? 0) + 1;
      cells.push(h("span", { class: st, title: `${addr}: ${st}`, role: "img", "aria-label": `${addr} ${st}` }));
    }
    sections.push(h("section", { "aria-labelledby": `subnet-${s.name}` },
      h("h2", { id: `subnet-${s.name}` }, `${s.name} ${s.cidr}`, s.enabled ? "" : " (disabled)"),
      h("p", {}, `Pool ${s.activeStart}–${s.activeEnd}, lease ${s.leaseTime} s. `, Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")),
      h("div", { class: "leasemap", "aria-label": `Lease map of ${s.name}` }, cells)));
  }
  show("Subnets", h("p", { class: "legend" }, "Map: ", h("span", { class: "leasemap" }, ""), "green bound, amber offered, blue reserved, grey free"),
    ...(sections.length ? sections : [h("p", {}, "No subnets yet: define one with rebarctl subnets create -f subnet.yaml or POST /api/v1/subnets.")]));
  onEvents(e => e.kind.startsWith("lease.") || e.kind.startsWith("subnet."), route);
}
async function reservationsPage() {
  const reservations = await get("reservations");
  show("Reservations", table(["Address", "MAC", "Subnet", "Next server"],
    reservations.map(r => h("tr", {}, h("td", {}, r.addr), h("td", {}, r.token), h("td", {}, r.subnet ?? ""), h("td", {}, r.nextServer ?? "")))));
}

// ---- Bootenvs, templates ----------------------------------------------------------------------------------------
async function bootenvsPage() {
  const bootenvs = await get("bootenvs");
  const readiness = await Promise.all(bootenvs.map(b => get(`bootenvs/${encodeURIComponent(b.name)}/readiness`).catch(() => null)));
  show("Boot environments", table(["Name", "OS", "Valid", "Images on this node"], bootenvs.map((b, i) => {
    const r = readiness[i];
    const missing = r ? r.files.filter(f => !f.present) : [];
    return h("tr", {}, h("td", {}, b.name), h("td", {}, [b.os?.family, b.os?.version].filter(Boolean).join(" ")),
      h("td", {}, b.validated === false ? h("span", { class: "error" }, (b.errors || []).join("; ")) : "yes"),
      h("td", {}, !r ? "?" : r.files.length === 0 ? "nothing to fetch" : missing.length === 0 ? `ready on ${r.node}` : h("span", { class: "error" }, `missing on ${r.node}: ${missing.map(f => f.path).join(", ")}`)));
  })));
}
async function templatesPage() {
  const templates = await get("templates");
  show("Templates", table(["Name", "Description", "Valid"], templates.map(t => h("tr", {},
    h("td", {}, h("a", { href: `#/templates/${encodeURIComponent(t.name)}` }, t.name)), h("td", {}, t.description ?? ""),
    h("td", {}, t.validated === false ? h("span", { class: "error" }, (t.errors || []).join("; ")) : "yes")))));
}
async function templatePage(name) {
  let { data: t, etag } = await api("GET", `templates/${encodeURIComponent(name)}`);
  const editor = h("textarea", { id: "template-contents", spellcheck: "false", readonly: !canOperate(), "aria-describedby": "template-errors" });
  editor.value = t.contents;
  const errors = h("ul", { id: "template-errors", class: "errors", "aria-live": "polite" });
  const showErrors = (list) => {
    errors.replaceChildren(...list.map(e => {
      const at = /line (\d+)(?:, column (\d+))?/.exec(e);
      return h("li", {}, e, at ? [" ", h("button", { type: "button", onclick: () => goToLine(editor, Number(at[1]), Number(at[2] || 1)) }, `go to line ${at[1]}`)] : null);
    }));
  };
  showErrors(t.errors || []);
  const save = canOperate() ? h("button", { type: "button", onclick: () => act("Save template", async () => {
    const res = await api("PUT", `templates/${encodeURIComponent(name)}`, { ...t, contents: editor.value }, { "If-Match": etag });
    t = res.data; etag = res.etag;
    showErrors(t.errors || []);
  }) }, "Save") : null;
  show(`Template ${t.name}`, h("p", {}, t.description ?? ""), h("label", { for: "template-contents" }, "Contents"), editor, save, errors);
}
function goToLine(editor, line, column) {
  const lines = editor.value.split("\n");
  const offset = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, column - 1);
  editor.focus();
  editor.setSelectionRange(offset, offset + (lines[line - 1]?.length ?? 0) - Math.max(0, column - 1));
}

// ---- Events -----------------------------------------------------------------------------------------------------
function eventsPage() {
  const feed = h("ol", { class: "feed", id: "event-feed", reversed: true, "aria-live": "polite" });
  show("Events", h("p", {}, "Live, newest first."), feed);
  const page = location.hash;
  const listener = (e) => {
    if (location.hash !== page) { listeners.delete(listener); return; }
    feed.prepend(eventItem(e));
    while (feed.children.length > 500) feed.lastChild.remove();
  };
  listeners.add(listener);
}

// ---- Routing ----------------------------------------------------------------------------------------------------
const routes = [
  [/^#\/machines\/(.+)$/, m => machinePage(decodeURIComponent(m[1]))],
  [/^#\/subnets$/, subnetsPage],
  [/^#\/reservations$/, reservationsPage],
  [/^#\/bootenvs$/, bootenvsPage],
  [/^#\/templates\/(.+)$/, m => templatePage(decodeURIComponent(m[1]))],
  [/^#\/templates$/, templatesPage],
  [/^#\/events$/, eventsPage],
  [/^.*$/, machinesPage],
];
async function route() {
  if (!me) return;
  const hash = location.hash || "#/machines";
  for (const a of document.querySelectorAll("#nav a")) a.toggleAttribute("aria-current", hash.startsWith(a.getAttribute("href")));
  document.querySelectorAll("#nav a[aria-current]").forEach(a => a.setAttribute("aria-current", "page"));
  for (const [pattern, page] of routes) {
    const match = pattern.exec(hash);
    if (match) {
      try { await page(match); } catch (e) { show("Error", h("p", { class: "error", role: "alert" }, e.message)); }
      return;
    }
  }
}
async function start() {
  if (!sessionStorage.getItem(TOKEN)) { loginPage(); return; }
  try { me = await get("whoami"); } catch (e) { loginPage(e.message); return; }
  document.getElementById("who").textContent = `${me.name} (${me.role})`;
  document.getElementById("nav").hidden = false;
  document.getElementById("logout").hidden = false;
  openStream();
  await route();
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => {
  document.getElementById("logout").addEventListener("click", logout);
  start();
});
