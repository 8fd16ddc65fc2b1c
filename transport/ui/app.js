// The Wharf console. It polls the native REST API (/v1) and /metrics of
// the member it is connected to, starting with the one that served the
// page; when that member stops answering it moves to another member from
// the last member list it saw, so it keeps working while nodes come and go.
"use strict";

const POLL_MS = 1500;
const TIMEOUT_MS = 2000;
const MAX_QUEUES = 200;
const MAX_TOPICS = 200;

const state = {
  base: location.origin,   // the member the console talks to
  members: [],             // the last member list (node.Status.members)
  knownBases: [location.origin],
  leaderID: "",
  queues: [],              // names, sorted
  topicsSig: "",           // what the topics table shows, to redraw it only when it changes
  counters: null,          // {t, nodes: {base: {queue: {sent, received, deleted}}}}
  rates: {},               // queue -> {sent, received, deleted} per second
  lastOK: 0,
};

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return e;
}

function baseOf(apiAddr) {
  return apiAddr ? location.protocol + "//" + apiAddr : "";
}

async function request(base, path, opts = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeout || TIMEOUT_MS);
  try {
    const init = { method: opts.method || "GET", signal: ctl.signal, cache: "no-store" };
    if (opts.body !== undefined) {
      init.body = JSON.stringify(opts.body);
      init.headers = { "Content-Type": "application/json" };
    }
    const res = await fetch(base + path, init);
    const text = await res.text();
    if (!res.ok) {
      let msg = res.status + " " + res.statusText;
      try {
        const e = JSON.parse(text).error;
        if (e) msg = e.code + ": " + e.message;
      } catch (_) { /* not JSON */ }
      const err = new Error(msg);
      err.status = res.status;
      throw err;
    }
    if (opts.raw) return text;
    return text ? JSON.parse(text) : null;
  } finally {
    clearTimeout(timer);
  }
}

const getJSON = (base, path) => request(base, path);

function showError(msg) {
  const box = $("#error");
  box.textContent = msg || "";
  box.hidden = !msg;
}

function setConn(kind, text) {
  const p = $("#conn");
  p.dataset.state = kind;
  p.textContent = text;
}

// ---------------------------------------------------------------------------
// Cluster

// connect returns the status of the current member, moving to another
// member when it does not answer.
async function connect() {
  try {
    return await getJSON(state.base, "/v1/cluster/status");
  } catch (err) {
    if (err.status) throw err; // it answered: not a connectivity problem
  }
  // The member is gone: try the others, alive ones first.
  const alive = [], rest = [];
  for (const m of state.members) {
    const b = baseOf(m.api_addr);
    if (!b || b === state.base) continue;
    (m.gossip_status === "alive" ? alive : rest).push(b);
  }
  for (const b of state.knownBases) {
    if (b !== state.base && !alive.includes(b) && !rest.includes(b)) rest.push(b);
  }
  for (const b of [...alive, ...rest, state.base]) {
    try {
      const st = await getJSON(b, "/v1/cluster/status");
      if (b !== state.base) {
        console.info("wharf console: switched from", state.base, "to", b);
        state.base = b;
      }
      return st;
    } catch (_) { /* try the next one */ }
  }
  throw new Error("no member of the cluster answers (last tried " + state.base + ")");
}

async function refreshCluster(st) {
  state.members = st.members || [];
  state.leaderID = st.leader_id || "";
  for (const m of state.members) {
    const b = baseOf(m.api_addr);
    if (b && !state.knownBases.includes(b)) state.knownBases.push(b);
  }
  // Each member's own view: its raft state, term and applied index.
  const views = await Promise.all(state.members.map(async (m) => {
    const b = baseOf(m.api_addr);
    if (!b) return null;
    if (b === state.base) return st;
    try { return await getJSON(b, "/v1/cluster/status"); } catch (_) { return null; }
  }));

  const leader = $("#leader");
  leader.textContent = state.leaderID || "none";
  leader.dataset.leader = state.leaderID;
  $("#leader-addr").textContent = st.leader_api_addr ? "(" + st.leader_api_addr + ")" : "";
  $("#term").textContent = st.term;
  $("#commit").textContent = st.commit_index;

  const rows = state.members.map((m, i) => {
    const v = views[i];
    // A member's own answer tells its role; for one that does not answer,
    // only whether it leads (as the others see it) or votes is known.
    let role = m.voter ? "voter" : "non-voter";
    if (v && v.state) role = v.state.toLowerCase();
    else if (m.id === state.leaderID) role = "leader";
    const tr = el("tr", { "data-id": m.id, "data-role": role, "data-gossip": m.gossip_status, "data-reachable": v ? "yes" : "no" },
      el("td", {}, m.id),
      el("td", { class: "role-" + role }, role),
      el("td", { class: "status-" + m.gossip_status }, m.gossip_status),
      el("td", { class: v ? "reach-yes" : "reach-no" }, v ? "up" : "unreachable"),
      el("td", {}, v ? v.state : "-"),
      el("td", { class: "num" }, v ? v.term : "-"),
      el("td", { class: "num" }, v ? v.applied_index : "-"),
      el("td", {}, el("code", {}, m.api_addr || "-")));
    if (m.id === state.leaderID) tr.classList.add("leader");
    return tr;
  });
  $("#members tbody").replaceChildren(...rows);

  const healthy = state.members.filter((m, i) => views[i] && m.gossip_status === "alive").length;
  if (!state.leaderID) setConn("down", "no leader");
  else if (healthy < state.members.length) setConn("degraded", healthy + "/" + state.members.length + " members up");
  else setConn("ok", "healthy");
}

// ---------------------------------------------------------------------------
// Queues

async function refreshQueues() {
  const list = await getJSON(state.base, "/v1/queues");
  const names = (list.queues || []).map((q) => q.name).slice(0, MAX_QUEUES);
  const details = await Promise.all(names.map(async (n) => {
    try { return await getJSON(state.base, "/v1/queues/" + encodeURIComponent(n)); } catch (_) { return null; }
  }));
  state.queues = names;
  // Rows are kept and updated in place, so a click on a row's button is
  // never lost to a redraw.
  const tbody = $("#queues tbody");
  const existing = new Map(Array.from(tbody.rows).map((tr) => [tr.dataset.queue, tr]));
  const rows = names.map((n, i) => {
    let tr = existing.get(n);
    if (!tr) {
      const peek = el("button", { class: "link", type: "button", textContent: "peek" });
      peek.addEventListener("click", () => peekQueue(n));
      tr = el("tr", { "data-queue": n },
        el("td", {}, n),
        el("td", { class: "num visible" }), el("td", { class: "num inflight" }), el("td", { class: "num delayed" }),
        el("td", { class: "num rate-sent" }), el("td", { class: "num rate-received" }), el("td", { class: "num rate-deleted" }),
        el("td", {}, peek));
    }
    const a = (details[i] && details[i].attributes) || {};
    const r = state.rates[n] || {};
    setText(tr, "td.visible", a.ApproximateNumberOfMessages ?? "?");
    setText(tr, "td.inflight", a.ApproximateNumberOfMessagesNotVisible ?? "?");
    setText(tr, "td.delayed", a.ApproximateNumberOfMessagesDelayed ?? "?");
    setText(tr, "td.rate-sent", fmtRate(r.sent));
    setText(tr, "td.rate-received", fmtRate(r.received));
    setText(tr, "td.rate-deleted", fmtRate(r.deleted));
    return tr;
  });
  const same = rows.length === tbody.rows.length && rows.every((tr, i) => tbody.rows[i] === tr);
  if (!same) tbody.replaceChildren(...rows);
  $("#no-queues").hidden = names.length > 0;
  updateQueueSelect(names);
}

function setText(tr, sel, v) {
  const td = tr.querySelector(sel);
  const t = String(v);
  if (td.textContent !== t) td.textContent = t;
}

function fmtRate(v) {
  if (v === undefined) return "-";
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function updateQueueSelect(names) {
  updateSelect("#send-queue", names);
}

// updateSelect sets a select's options to names, keeping the choice.
function updateSelect(selector, names) {
  const sel = $(selector);
  const current = sel.value;
  const have = Array.from(sel.options).map((o) => o.value);
  if (have.length === names.length && have.every((v, i) => v === names[i])) return;
  sel.replaceChildren(...names.map((n) => el("option", { value: n, textContent: n })));
  if (names.includes(current)) sel.value = current;
}

// ---------------------------------------------------------------------------
// Topics: every topic with its subscriptions, from two calls (the topics,
// and every subscription of the account, grouped here by topic).

async function refreshTopics() {
  const [list, all] = await Promise.all([
    getJSON(state.base, "/v1/topics"),
    getJSON(state.base, "/v1/subscriptions"),
  ]);
  const names = (list.topics || []).map((t) => t.name).slice(0, MAX_TOPICS);
  const byTopic = {};
  for (const s of all.subscriptions || []) (byTopic[s.topic] || (byTopic[s.topic] = [])).push(s);
  const view = names.map((n) => ({
    name: n,
    subs: (byTopic[n] || []).map((s) => ({
      id: s.id, protocol: s.protocol, endpoint: s.endpoint, pending: !!s.pending,
      raw: String((s.attributes || {}).RawMessageDelivery).toLowerCase() === "true",
      filter: (s.attributes || {}).FilterPolicy || "",
    })),
  }));
  const sig = JSON.stringify(view);
  if (sig !== state.topicsSig) {
    state.topicsSig = sig;
    const rows = [];
    for (const t of view) {
      const confirmed = t.subs.filter((s) => !s.pending).length;
      const pending = t.subs.length - confirmed;
      let count = t.subs.length ? confirmed + " confirmed" : "no subscriptions";
      if (pending) count += ", " + pending + " pending";
      rows.push(el("tr", { class: "topic", "data-topic": t.name },
        el("td", {}, t.name), el("td", { colSpan: 4, class: "muted" }, count)));
      for (const s of t.subs) {
        const status = s.pending ? "pending" : "confirmed";
        rows.push(el("tr", { class: "sub", "data-topic": t.name, "data-sub": s.id, "data-protocol": s.protocol, "data-status": status },
          el("td", { class: "endpoint" }, el("code", {}, s.endpoint)),
          el("td", {}, s.protocol),
          el("td", { class: "status sub-" + status }, status),
          el("td", { class: "raw" }, s.raw ? "raw" : "envelope"),
          el("td", { class: "filter" }, s.filter ? el("code", {}, s.filter) : "-")));
      }
    }
    $("#topics tbody").replaceChildren(...rows);
  }
  $("#no-topics").hidden = names.length > 0;
  updateSelect("#publish-topic", names);
}

// ---------------------------------------------------------------------------
// Rates, from the message counters of every member's /metrics. Each
// operation is counted once, on the leader that applied it, so a queue's
// rate is the sum over the members of each member's counter increase. The
// increases are added up as they are seen (a counter below its last value
// was reset by a restart), and the rate is taken over the last RATE_WINDOW_MS.

const RATE_WINDOW_MS = 10000;
const KINDS = ["sent", "received", "deleted"];
const COUNTER = /^wharf_messages_(sent|received|deleted)_total\{([^}]*)\}\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

const rateState = {
  last: {},     // member base -> queue -> its counters when last seen
  total: {},    // queue -> increases seen so far, summed over the members
  history: [],  // [{t, total}] over the window
};

function parseCounters(text) {
  const out = {};
  for (const line of text.split("\n")) {
    const m = COUNTER.exec(line);
    if (!m) continue;
    let queue = "";
    for (const l of m[2].matchAll(LABEL)) if (l[1] === "queue") queue = l[2];
    const q = out[queue] || (out[queue] = { sent: 0, received: 0, deleted: 0 });
    q[m[1]] += Number(m[3]);
  }
  return out;
}

async function refreshRates() {
  const bases = [...new Set(state.members.map((m) => baseOf(m.api_addr)).filter(Boolean))];
  const seen = {};
  await Promise.all(bases.map(async (b) => {
    try { seen[b] = parseCounters(await request(b, "/metrics", { raw: true })); } catch (_) { /* skip */ }
  }));
  const now = performance.now();
  for (const [b, queues] of Object.entries(seen)) {
    const before = rateState.last[b];
    rateState.last[b] = queues;
    if (!before) continue; // first sight of this member: no baseline
    for (const [q, c] of Object.entries(queues)) {
      const p = before[q] || { sent: 0, received: 0, deleted: 0 };
      const t = rateState.total[q] || (rateState.total[q] = { sent: 0, received: 0, deleted: 0 });
      for (const k of KINDS) t[k] += c[k] >= p[k] ? c[k] - p[k] : c[k];
    }
  }
  const h = rateState.history;
  h.push({ t: now, total: JSON.parse(JSON.stringify(rateState.total)) });
  while (h.length > 2 && now - h[1].t >= RATE_WINDOW_MS) h.shift();
  const rates = {};
  const old = h[0];
  const dt = (now - old.t) / 1000;
  for (const q of state.queues) {
    if (dt <= 0) break;
    const a = rateState.total[q] || {}, b = old.total[q] || {};
    rates[q] = {};
    for (const k of KINDS) rates[q][k] = ((a[k] || 0) - (b[k] || 0)) / dt;
  }
  state.rates = rates;
}

// ---------------------------------------------------------------------------
// Actions

async function sendMessage(ev) {
  ev.preventDefault();
  const queue = $("#send-queue").value;
  const out = $("#send-result");
  if (!queue) { out.textContent = "create a queue first"; return; }
  const body = { body: $("#send-body").value };
  const delay = Number($("#send-delay").value);
  if (delay > 0) body.delay_seconds = delay;
  const btn = $("#send-button");
  btn.disabled = true;
  out.textContent = "sending…";
  try {
    const res = await request(state.base, "/v1/queues/" + encodeURIComponent(queue) + "/messages",
      { method: "POST", body, timeout: 10000 });
    out.textContent = "sent " + res.message_id;
    out.dataset.messageId = res.message_id;
    poll(true);
  } catch (err) {
    out.textContent = "failed: " + err.message;
  } finally {
    btn.disabled = false;
  }
}

async function publishMessage(ev) {
  ev.preventDefault();
  const topic = $("#publish-topic").value;
  const out = $("#publish-result");
  if (!topic) { out.textContent = "create a topic first"; return; }
  const body = { message: $("#publish-message").value };
  const subject = $("#publish-subject").value.trim();
  if (subject) body.subject = subject;
  const attr = $("#publish-attr").value.trim();
  if (attr) {
    const i = attr.indexOf("=");
    if (i <= 0) { out.textContent = "attribute: name=value"; return; }
    body.attributes = { [attr.slice(0, i).trim()]: { data_type: "String", string_value: attr.slice(i + 1) } };
  }
  const btn = $("#publish-button");
  btn.disabled = true;
  out.textContent = "publishing…";
  try {
    const res = await request(state.base, "/v1/topics/" + encodeURIComponent(topic) + "/publish",
      { method: "POST", body, timeout: 10000 });
    out.textContent = "published " + res.message_id;
    out.dataset.messageId = res.message_id;
    poll(true);
  } catch (err) {
    out.textContent = "failed: " + err.message;
  } finally {
    btn.disabled = false;
  }
}

async function peekQueue(queue) {
  $("#peek-queue").textContent = queue;
  const tbody = $("#peek tbody");
  tbody.replaceChildren(el("tr", {}, el("td", { colSpan: 4, class: "muted" }, "loading…")));
  try {
    const res = await request(state.base, "/v1/queues/" + encodeURIComponent(queue) + "/messages?max=10",
      { timeout: 10000 });
    const msgs = res.messages || [];
    if (!msgs.length) {
      tbody.replaceChildren(el("tr", {}, el("td", { colSpan: 4, class: "muted" }, "no visible messages")));
      return;
    }
    tbody.replaceChildren(...msgs.map((m) => el("tr", { "data-message-id": m.message_id },
      el("td", {}, el("code", {}, m.message_id)),
      el("td", { class: "body" }, m.body),
      el("td", { class: "num" }, m.receive_count),
      el("td", {}, m.sent_timestamp ? new Date(Number(m.sent_timestamp)).toLocaleTimeString() : "-"))));
  } catch (err) {
    tbody.replaceChildren(el("tr", {}, el("td", { colSpan: 4, class: "error" }, "peek failed: " + err.message)));
  }
}

// ---------------------------------------------------------------------------
// The poll loop: one round at a time, every POLL_MS.

let timer = null;
let running = false;

async function poll(now) {
  if (now && timer) { clearTimeout(timer); timer = null; }
  if (running) return;
  running = true;
  try {
    const st = await connect();
    $("#via").textContent = state.base.replace(/^https?:\/\//, "");
    await refreshCluster(st);
    await refreshRates();
    await refreshQueues();
    await refreshTopics();
    state.lastOK = Date.now();
    $("#updated").textContent = new Date().toLocaleTimeString();
    showError("");
  } catch (err) {
    setConn("down", "disconnected");
    showError(err.message);
  } finally {
    running = false;
    timer = setTimeout(poll, POLL_MS);
  }
}

$("#send-form").addEventListener("submit", sendMessage);
$("#publish-form").addEventListener("submit", publishMessage);
poll();
