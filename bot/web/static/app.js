// Nearer's Mini App: the journal, the calendar and the settings. Plain JavaScript, no
// framework and nothing loaded from elsewhere. Every word shown comes from the catalogue the
// server embeds (#texts); answers are put on the page as text, never as HTML.
"use strict";

const TEXTS = JSON.parse(document.getElementById("texts").textContent || "{}");
const t = (key, vars = {}) =>
  (TEXTS[key] || key).replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// The bridge to the Telegram client ---------------------------------------------------------
// Telegram passes launch parameters in the URL's fragment and talks to the page through
// events: a native web view exposes TelegramWebviewProxy, the web client uses postMessage.

const Bridge = (() => {
  const handlers = {};
  let params = new URLSearchParams(location.hash.slice(1));
  if (params.has("tgWebAppData")) {
    sessionStorage.setItem("nearer.launch", location.hash.slice(1));
  } else {
    params = new URLSearchParams(sessionStorage.getItem("nearer.launch") || "");
  }
  function post(type, data = {}) {
    const payload = JSON.stringify({ eventType: type, eventData: data });
    if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, JSON.stringify(data));
    else if (window.parent !== window) window.parent.postMessage(payload, "https://web.telegram.org");
  }
  function receive(type, data) {
    for (const handler of handlers[type] || []) handler(data || {});
  }
  window.Telegram = window.Telegram || {};
  window.Telegram.WebView = { receiveEvent: receive };
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent || event.origin !== "https://web.telegram.org") return;
    if (typeof event.data !== "string") return;
    try {
      const { eventType, eventData } = JSON.parse(event.data);
      if (typeof eventType === "string") receive(eventType, eventData);
    } catch (_) { /* not a message for us */ }
  });
  let theme = {};
  try { theme = JSON.parse(params.get("tgWebAppThemeParams") || "{}"); } catch (_) { theme = {}; }
  return {
    initData: params.get("tgWebAppData") || "",
    theme,
    post,
    on(type, handler) { (handlers[type] = handlers[type] || []).push(handler); },
    haptic(kind) {
      if (kind === "select") post("web_app_trigger_haptic_feedback", { type: "selection_change" });
      else if (kind === "light") post("web_app_trigger_haptic_feedback", { type: "impact", impact_style: "light" });
      else post("web_app_trigger_haptic_feedback", { type: "notification", notification_type: kind });
    },
    backButton(visible) { post("web_app_setup_back_button", { is_visible: visible }); },
  };
})();

function applyTheme(theme) {
  const root = document.documentElement;
  for (const [key, value] of Object.entries(theme || {})) {
    if (/^[a-z_]+$/.test(key) && /^#[0-9a-f]{3,8}$/i.test(value)) {
      root.style.setProperty(`--tg-${key.replace(/_/g, "-")}`, value);
    }
  }
  const bg = (theme && theme.bg_color) || "";
  if (/^#[0-9a-f]{6}$/i.test(bg)) {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(bg.slice(i, i + 2), 16));
    root.dataset.scheme = 0.299 * r + 0.587 * g + 0.114 * b < 128 ? "dark" : "light";
  }
}

function applySafeArea(inset, prefix) {
  for (const side of ["top", "bottom", "left", "right"]) {
    if (typeof inset[side] === "number") {
      document.documentElement.style.setProperty(`--tg-${prefix}-${side}`, `${inset[side]}px`);
    }
  }
}

// Talking to the server -----------------------------------------------------------------------

class Refused extends Error {}

async function call(path, body = {}, { raw = false } = {}) {
  const response = await fetch(`api/${path}`, {
    method: "POST",
    headers: { Authorization: `tma ${Bridge.initData}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
    cache: "no-store",
  });
  if (response.status === 401) throw new Refused("refused");
  if (raw && response.ok) return response.blob();
  const data = await response.json().catch(() => ({ error: "failed" }));
  if (!response.ok) {
    const error = new Error(data.error || "failed");
    error.key = data.error || "failed";
    throw error;
  }
  return data;
}

let noticeTimer = 0;
function notice(text) {
  const box = $("notice");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, 2600);
}

function showProblem(key) {
  const box = $("problem");
  box.textContent = t(key);
  box.hidden = false;
  for (const view of document.querySelectorAll(".view")) view.hidden = true;
  document.body.dataset.state = key;
}

function failed(error) {
  if (error instanceof Refused) { showProblem("refused"); return; }
  Bridge.haptic("error");
  notice(t(TEXTS[error.key] ? error.key : "failed"));
}

// Tabs and the back button -------------------------------------------------------------------

const state = {
  me: null, ready: Promise.resolve(), tab: "journal", month: null, settings: null, today: [], loaded: {},
};

function showTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  }
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== tab;
  Bridge.backButton(tab !== "journal");
  if (tab === "calendar" && !state.loaded.calendar) loadMonth(null);
  if (tab === "settings" && !state.loaded.settings) loadSettings();
  document.body.dataset.tab = tab;
}

// The journal --------------------------------------------------------------------------------

const journal = { cursor: null, done: false, busy: false, generation: 0, filter: {} };
const dateFormat = new Intl.DateTimeFormat(navigator.language || "en-GB", { day: "numeric", month: "short", year: "numeric" });

function formatDay(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return dateFormat.format(new Date(Date.UTC(y, m - 1, d, 12)));
}

async function showMedia(holder, entryId, whose, kind, button) {
  if (button) button.disabled = true;
  try {
    const blob = await call(`media/${entryId}/${whose}`, {}, { raw: true });
    const url = URL.createObjectURL(blob);
    let media;
    if (kind === "photo") media = el("img", { src: url, alt: "" });
    else if (kind === "voice") media = el("audio", { src: url, controls: true, autoplay: !!button });
    else media = el("video", { src: url, controls: true, playsinline: true, autoplay: !!button });
    if (button) { button.replaceWith(media); Bridge.haptic("light"); } else holder.append(media);
  } catch (error) {
    if (button) button.disabled = false;
    failed(error);
  }
}

const photos = new IntersectionObserver((seen) => {
  for (const { isIntersecting, target } of seen) {
    if (!isIntersecting) continue;
    photos.unobserve(target);
    showMedia(target, target.dataset.entry, target.dataset.whose, "photo", null);
  }
}, { rootMargin: "300px" });

function answerBlock(entry, answer, whose, name) {
  const block = el("div", { class: "answer", "data-whose": whose }, el("b", { text: name }));
  if (!answer) { block.append(el("p", { class: "hint", text: t("deleted") })); return block; }
  if (answer.kind === "photo" && answer.media) {
    // Fetched only when it comes near the screen: the first screen stays small however many
    // photos a page of the journal holds.
    const frame = el("div", { class: "photo", "data-entry": entry.id, "data-whose": whose });
    block.append(frame);
    photos.observe(frame);
  } else if (answer.kind !== "text" && answer.media) {
    block.append(el("button", {
      type: "button", class: "play", "data-kind": answer.kind, text: `▶ ${t("play")}`,
      onclick: (event) => showMedia(block, entry.id, whose, answer.kind, event.currentTarget),
    }));
  }
  if (answer.text) block.append(el("p", { text: answer.text }));
  return block;
}

function entryNode(entry) {
  return el("li", { class: "entry", "data-id": entry.id, "data-category": entry.category || "" },
    el("time", { datetime: entry.date, text: formatDay(entry.date) }),
    el("h3", { text: entry.question }),
    answerBlock(entry, entry.mine, "mine", t("you")),
    answerBlock(entry, entry.theirs, "theirs", entry.partner || t("partner_gone")));
}

async function loadJournal() {
  if (journal.busy || journal.done) return;
  journal.busy = true;
  const generation = journal.generation;
  $("journal-status").textContent = t("loading");
  try {
    const page = await call("journal", { ...journal.filter, cursor: journal.cursor });
    await state.ready;  // the person's own words ("You", ...) come with who they are
    if (generation !== journal.generation) return;
    const list = $("entries");
    for (const entry of page.entries) list.append(entryNode(entry));
    journal.cursor = page.next;
    journal.done = !page.next;
    const filtered = Object.values(journal.filter).some(Boolean);
    $("journal-status").textContent = list.children.length ? "" : t(filtered ? "no_match" : "empty");
  } catch (error) {
    $("journal-status").textContent = "";
    failed(error);
  } finally {
    if (generation === journal.generation) journal.busy = false;
  }
  if (generation === journal.generation && !journal.done && sentinelVisible()) loadJournal();
}

function sentinelVisible() {
  return $("sentinel").getBoundingClientRect().top < window.innerHeight + 400;
}

function restartJournal() {
  journal.generation += 1;
  journal.cursor = null;
  journal.done = false;
  journal.busy = false;
  journal.filter = { search: $("search").value.trim(), category: $("category").value, kind: $("kind").value };
  $("entries").replaceChildren();
  loadJournal();
}

function streakText(count) {
  return count > 0 ? t("streak", { count }) : t("streak_none");
}

function fillFilters(me) {
  const category = $("category");
  category.append(el("option", { value: "", text: t("all_topics") }));
  category.append(el("option", { value: "yours", text: t("partner_written") }));
  for (const c of me.categories) category.append(el("option", { value: c.id, text: c.name }));
  const kind = $("kind");
  kind.append(el("option", { value: "", text: t("all_formats") }));
  for (const k of me.kinds) kind.append(el("option", { value: k, text: t(`format_${k}`) }));
}

// Today's question: answered here as in the chat ---------------------------------------------

function todayCard(question) {
  const area = el("textarea", { name: "answer", maxlength: "4000", placeholder: t("answer_placeholder", { partner: state.me.partner }) });
  const card = el("form", { class: "today-card", "data-prompt": question.id },
    el("small", { text: question === state.today[0] ? t("today") : formatDay(question.date) }),
    el("h3", { text: question.question }));
  const send = el("button", { type: "submit", class: "action", text: t("send") });
  if (question.mine) {
    area.value = question.mine;
    area.hidden = true;
    send.hidden = true;
    card.append(el("p", { class: "mine", text: `${t("your_answer")}: ${question.mine}` }),
      el("button", { type: "button", class: "action", name: "change", text: t("change_answer"),
        onclick: (event) => { event.currentTarget.remove(); area.hidden = false; send.hidden = false; area.focus(); } }));
  }
  card.append(area, send);
  card.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!area.value.trim()) return;
    send.disabled = true;
    try {
      const result = await call("today", { prompt_id: question.id, answer: area.value });
      Bridge.haptic("success");
      notice(result.outcome === "revealed" ? t("revealed") : t("waiting", { partner: state.me.partner }));
      renderToday(result.questions);
      if (result.outcome === "revealed") restartJournal();
    } catch (error) { failed(error); }
    send.disabled = false;
  });
  return card;
}

function renderToday(questions) {
  state.today = questions;
  // The newest open question only: older ones are still answered in the chat.
  $("today").replaceChildren(...questions.slice(0, 1).map(todayCard));
}

async function loadToday() {
  try { renderToday((await call("today")).questions); } catch (error) { failed(error); }
}

// The calendar -------------------------------------------------------------------------------

const monthFormat = new Intl.DateTimeFormat(navigator.language || "en-GB", { month: "long", year: "numeric" });

function shiftMonth(month, by) {
  const [y, m] = month.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1 + by, 1));
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, "0")}`;
}

async function loadMonth(month) {
  try {
    const data = await call("calendar", month ? { month } : {});
    await state.ready;
    state.loaded.calendar = true;
    state.month = data.month;
    const [y, m] = data.month.split("-").map(Number);
    $("month-title").textContent = monthFormat.format(new Date(Date.UTC(y, m - 1, 15)));
    $("next-month").disabled = data.month >= data.today.slice(0, 7);
    const days = $("days");
    days.replaceChildren();
    const first = new Date(Date.UTC(y, m - 1, 1)).getUTCDay();
    for (let i = 0; i < (first + 6) % 7; i += 1) days.append(el("span"));
    for (const [iso, mark] of data.days) {
      const classes = [mark, iso === data.today ? "today" : ""].join(" ").trim();
      days.append(el("span", { class: classes, "data-day": iso, "data-mark": mark, text: String(Number(iso.slice(8))) }));
    }
    $("calendar-streak").textContent = streakText(data.streak);
  } catch (error) { failed(error); }
}

// Settings -----------------------------------------------------------------------------------

// One's own (the partner is not told): one's own question time and zone too.
const PERSONAL = new Set(["send_time", "timezone", "reminders", "reminder_hours", "nudges", "quiet", "language"]);

async function change(name, value) {
  try {
    state.settings = await call("settings", { change: name, value });
    if (name === "language") {  // every word on the page changes: start again in it
      history.replaceState(null, "", `${location.pathname}?tab=settings${location.hash}`);
      location.reload();
      return;
    }
    Bridge.haptic("success");
    const saved = PERSONAL.has(name) ? t("saved_personal") : t("saved", { partner: state.settings.partner });
    notice(state.settings.notice || saved);
  } catch (error) { failed(error); }
  renderSettings();
}

function choice(name, label, options, current) {
  const select = el("select", { name, "aria-label": label, onchange: (e) => change(name, e.target.value) });
  const values = Object.keys(options);
  if (!values.includes(String(current))) values.unshift(String(current));
  for (const value of values) {
    select.append(el("option", { value, text: options[value] || value, selected: value === String(current) }));
  }
  return el("label", { class: "row" }, el("span", { text: label }), select);
}

function toggle(name, label, on) {
  return el("label", { class: "row" }, el("span", { text: label }),
    el("input", { type: "checkbox", role: "switch", class: "switch", name, checked: on,
      onchange: (e) => change(name, e.target.checked) }));
}

function renderSettings() {
  const s = state.settings;
  if (!s) return;
  const o = s.options;
  const asMap = (list, label = (x) => x) => Object.fromEntries(list.map((x) => [String(x), label(x)]));
  const topics = el("div", { class: "topics" });
  for (const topic of s.topics) {
    topics.append(el("button", {
      type: "button", class: "chip", name: "topic", "data-topic": topic.id, "aria-pressed": String(topic.on),
      onclick: () => change("topic", topic.id),
    }, topic.name, topic.sensitive ? el("small", { text: ` · ${t("topic_opt_in")}` }) : null));
  }
  const quietOptions = Object.fromEntries(o.quiet.map((label, i) => [String(i), label || t("quiet_none")]));
  const quietIndex = o.quiet.indexOf(s.quiet);
  const quiet = el("select", { name: "quiet", "aria-label": t("quiet"), onchange: (e) => change("quiet", Number(e.target.value)) });
  if (quietIndex < 0) quiet.append(el("option", { value: "", text: s.quiet, selected: true }));
  for (const [value, label] of Object.entries(quietOptions)) {
    quiet.append(el("option", { value, text: label, selected: Number(value) === quietIndex }));
  }
  const pause = el("div", { class: "actions" });
  let status = null;
  if (s.paused) {
    const until = s.pause_ends_at ? formatDay(s.pause_ends_at.slice(0, 10)) : null;
    status = el("p", { class: "status", text: until ? t("paused_until", { until }) : t("paused_open") });
    pause.append(el("button", { type: "button", class: "action", name: "resume", text: t("resume"), onclick: () => change("resume", "") }));
  } else {
    for (const [value, key] of [["3d", "pause_3d"], ["2w", "pause_2w"], ["", "pause_open"]]) {
      pause.append(el("button", { type: "button", class: "action", name: "pause", "data-value": value, text: t(key), onclick: () => change("pause", value) }));
    }
  }
  const hours = choice("reminder_hours", t("reminder_hours"), asMap(o.reminder_hours, (h) => t("hours", { hours: h })), s.reminder_hours);
  hours.querySelector("select").onchange = (e) => change("reminder_hours", Number(e.target.value));
  $("settings-form").replaceChildren(
    el("fieldset", {},
      el("legend", { text: t("shared") }),
      choice("frequency", t("frequency"), o.frequencies, s.frequency),
      choice("depth", t("depth"), o.depths, s.depth),
      toggle("apart", s.labels.apart, s.apart),
      choice("stage", s.labels.stage, o.stages, s.stage),
      choice("pace", s.labels.pace, o.paces, s.pace),
      choice("heat", s.labels.heat, o.heats, s.heat),
      choice("series", s.labels.series, o.series, s.series),
      el("label", { class: "row" }, el("span", { text: t("anniversary") }),
        el("input", { type: "date", name: "anniversary", value: s.anniversary, class: "date",
          onchange: (e) => e.target.value && change("anniversary", e.target.value) })),
      el("div", { class: "row" }, el("span", { text: t("topics") })),
      topics),
    el("fieldset", {},
      el("legend", { text: t("personal") }),
      choice("send_time", t("send_time"), asMap(o.times), s.send_time),
      choice("timezone", t("timezone"), asMap(o.zones), s.timezone),
      toggle("reminders", t("reminders"), s.reminders),
      hours,
      toggle("nudges", t("nudges"), s.nudges),
      el("label", { class: "row" }, el("span", { text: t("quiet") }), quiet),
      choice("language", t("language"), o.languages, s.language)),
    el("fieldset", {}, el("legend", { text: t("pause") }), status, pause));
}

async function loadSettings() {
  try {
    state.settings = await call("settings");
    await state.ready;
    state.loaded.settings = true;
    renderSettings();
  } catch (error) { failed(error); }
}

// Start --------------------------------------------------------------------------------------

function translatePage() {
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-tp]")) node.placeholder = t(node.dataset.tp);
  for (const node of document.querySelectorAll("[data-tl]")) node.setAttribute("aria-label", t(node.dataset.tl));
  document.title = t("title");
  $("weekdays").replaceChildren(...t("weekdays").split(" ").map((day) => el("span", { text: day })));
}

async function start() {
  translatePage();
  applyTheme(Bridge.theme);
  Bridge.on("theme_changed", (data) => applyTheme(data.theme_params));
  Bridge.on("safe_area_changed", (inset) => applySafeArea(inset, "safe"));
  Bridge.on("content_safe_area_changed", (inset) => applySafeArea(inset, "content"));
  Bridge.on("back_button_pressed", () => { Bridge.haptic("select"); showTab("journal"); });
  Bridge.post("web_app_ready");
  Bridge.post("web_app_expand");
  Bridge.post("web_app_request_theme");
  Bridge.post("web_app_request_safe_area");
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.addEventListener("click", () => { Bridge.haptic("select"); showTab(button.dataset.tab); });
  }
  $("prev-month").addEventListener("click", () => loadMonth(shiftMonth(state.month, -1)));
  $("next-month").addEventListener("click", () => loadMonth(shiftMonth(state.month, 1)));
  let typing = 0;
  $("search").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(restartJournal, 250); });
  $("category").addEventListener("change", restartJournal);
  $("kind").addEventListener("change", restartJournal);
  new IntersectionObserver((seen) => { if (seen.some((e) => e.isIntersecting)) loadJournal(); },
    { rootMargin: "400px" }).observe($("sentinel"));
  if (!Bridge.initData) { showProblem("refused"); return; }
  const wanted = new URLSearchParams(location.search).get("tab");
  showTab(["calendar", "settings"].includes(wanted) ? wanted : "journal");
  // The first page of the journal, who we are and today's question, all at once: on a slow
  // link every round trip waited for is a fraction of the first second.
  const me = call("me");
  // The person's own language arrives with who they are; pages wait for it before drawing.
  state.ready = me.then((who) => { Object.assign(TEXTS, who.texts || {}); translatePage(); },
    () => undefined);
  restartJournal();
  let today;
  try {
    [state.me, today] = await Promise.all([me, call("today")]);
  } catch (error) { failed(error); return; }
  await state.ready;
  if (!state.me.paired) { showProblem("not_paired"); return; }
  fillFilters(state.me);
  $("streak-line").textContent = streakText(state.me.streak);
  if (state.me.guesses) { $("guesses").textContent = state.me.guesses; $("guesses").hidden = false; }
  renderToday(today.questions);
  document.body.dataset.ready = "true";
}

start();
