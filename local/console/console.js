// The local console: plain JS, no build step. Text from messages is only ever set as textContent;
// an e-mail's HTML goes into a sandboxed iframe (no scripts, an opaque origin), never into this page.
"use strict";

const state = { config: null, data: null, selected: null, explorerMounted: false, timer: null, dirty: false };
const $ = (selector) => document.querySelector(selector);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "onclick") node.addEventListener("click", value);
    else if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : "";
}

function status(value) {
  return el("span", { class: `status ${value || ""}` }, value || "—");
}

async function api(query, variables) {
  const response = await fetch(state.config.graphqlPath, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": state.config.apiKey },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

// --- views ------------------------------------------------------------------------------------

function showView() {
  const name = (location.hash || "#outbox").slice(1).split("/")[0];
  const known = ["outbox", "explorer", "history", "system"].includes(name) ? name : "outbox";
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${known}`;
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", link.dataset.view === known);
  if (known === "explorer") mountExplorer();
}

function mountExplorer() {
  if (state.explorerMounted || !state.config) return;
  state.explorerMounted = true;
  const container = $("#graphiql");
  if (!window.GraphiQL || !window.React || !window.ReactDOM) {
    container.replaceChildren(el("p", {}, "The explorer's files are missing: run `make setup` (it installs them from npm)."));
    return;
  }
  const headers = JSON.stringify({ "x-api-key": state.config.apiKey }, null, 2);
  const fetcher = GraphiQL.createFetcher({ url: state.config.graphqlPath, headers: { "x-api-key": state.config.apiKey } });
  const defaultTabs = state.config.examples.map((example) => ({
    query: example.query,
    variables: JSON.stringify(example.variables, null, 2),
    headers,
  }));
  container.replaceChildren();
  ReactDOM.createRoot(container).render(
    // The first tab's variables are given again: GraphiQL 3 fills only the query from defaultTabs[0].
    React.createElement(GraphiQL, {
      fetcher, defaultTabs, defaultHeaders: headers, defaultEditorToolsVisibility: "variables",
      query: defaultTabs[0].query, variables: defaultTabs[0].variables,
    }),
  );
}

// --- outbox -----------------------------------------------------------------------------------

function renderOutbox() {
  const { emails, smsThreads, inbound } = state.data;
  $("#email-count").textContent = `(${emails.length})`;
  $("#emails tbody").replaceChildren(
    ...emails.map((email) =>
      el(
        "tr",
        {
          class: email.providerMessageId === state.selected ? "selected" : null,
          "data-provider-id": email.providerMessageId,
          onclick: () => selectEmail(email.providerMessageId),
        },
        el("td", {}, time(email.sentAt)),
        el("td", {}, email.subject || "(no subject)"),
        el("td", {}, email.to),
        el("td", {}, email.from),
        el("td", {}, status(email.status)),
      ),
    ),
  );
  $("#sms-count").textContent = `(${smsThreads.reduce((n, thread) => n + thread.messages.length, 0)})`;
  $("#sms-threads").replaceChildren(
    ...smsThreads.map((thread) =>
      el(
        "div",
        { class: "thread" },
        el("strong", {}, thread.number),
        ...thread.messages.map((sms) =>
          el(
            "div",
            { class: "bubble" },
            el("div", {}, sms.body),
            el(
              "small",
              { class: "muted" },
              `${time(sms.sentAt)} · ${sms.provider} · ${sms.segments ?? "?"} segment(s) · `,
              status(sms.status),
              sms.failureReason ? ` ${sms.failureReason}` : "",
            ),
          ),
        ),
      ),
    ),
  );
  $("#inbound-block").hidden = inbound.length === 0;
  $("#inbound").replaceChildren(...inbound.map((sms) => el("div", { class: "bubble" }, `${sms.from}: ${sms.body}`)));
  if (state.selected) renderEmailDetail(false);
}

function selectEmail(providerId) {
  state.selected = providerId;
  for (const row of document.querySelectorAll("#emails tbody tr")) {
    row.classList.toggle("selected", row.dataset.providerId === providerId);
  }
  renderEmailDetail(true);
}

function renderEmailDetail(force) {
  const email = state.data.emails.find((entry) => entry.providerMessageId === state.selected);
  const detail = $("#email-detail");
  if (!email) return;
  const shown = `${email.providerMessageId}/${email.status}`;
  if (!force && detail.dataset.shown === shown) return; // keep the frame as it is between refreshes
  detail.dataset.shown = shown;
  const frame = el("iframe", { class: "email-html", sandbox: "", title: "HTML part", referrerpolicy: "no-referrer" });
  frame.srcdoc = email.body || "";
  const headers = [
    ["From", email.from], ["To", email.to], ["Subject", email.subject], ["Date", email.sentAt],
    ["Message-ID", email.providerMessageId], ["X-Message-Id", email.messageId],
  ];
  detail.replaceChildren(
    el("h2", {}, email.subject || "(no subject)"),
    el("p", {}, status(email.status), " ", email.messageId
      ? el("a", { href: `#history/${encodeURIComponent(email.messageId)}` }, "history") : ""),
    el("h3", {}, "HTML part"),
    frame,
    el("h3", {}, "Text part"),
    el("pre", { class: "text-part" }, email.text ?? "(not recorded)"),
    el("h3", {}, "Headers"),
    el("pre", { class: "headers" }, headers.filter(([, value]) => value).map(([name, value]) => `${name}: ${value}`).join("\n")),
  );
}

// --- DLQ and table ----------------------------------------------------------------------------

function renderSystem() {
  const { table, deadLetters } = state.data;
  const rows = [["all items", table.items], ...Object.entries(table.byKind).map(([kind, n]) => [`${kind || "?"} items`, n]),
    ...Object.entries(table.messagesByStatus).map(([status, n]) => [`messages ${status}`, n])];
  $("#table-counts").replaceChildren(el("table", {}, el("tbody", {}, ...rows.map(([name, n]) => el("tr", {}, el("td", {}, name), el("td", {}, n))))));
  $("#dead-letters").replaceChildren(
    deadLetters.length === 0
      ? el("p", { class: "muted" }, "Every dead-letter queue is empty.")
      : el("table", {},
          el("thead", {}, el("tr", {}, el("th", {}, "Queue"), el("th", {}, "Receives"), el("th", {}, "Body"))),
          el("tbody", {}, ...deadLetters.map((m) => el("tr", {},
            el("td", {}, m.queue), el("td", {}, m.attributes.ApproximateReceiveCount), el("td", {}, el("pre", {}, m.body)))))),
  );
}

// --- history ----------------------------------------------------------------------------------

const MESSAGE_FIELDS = "id to deliveryMethod deliveryStatus provider providerMessageId failureReason segments createdAt events { status at detail }";

async function showHistory(value) {
  const target = $("#history");
  const asked = value.trim();
  if (!asked) return;
  $("#history-query").value = asked;
  const byId = asked.startsWith("MESSAGE#") || /^[0-9A-HJKMNP-TV-Z]{26}$/i.test(asked);
  const body = byId
    ? await api(`query ($id: ID!) { getMessage(id: $id) { ${MESSAGE_FIELDS} } }`, { id: asked })
    : await api(`query ($f: MessageFilter!) { getMessages(filter: $f, first: 50, order: NEWEST_FIRST) { data { ${MESSAGE_FIELDS} } } }`, { f: { to: asked } });
  if (body.errors) {
    target.replaceChildren(el("pre", {}, body.errors.map((error) => `${error.errorType || "Error"}: ${error.message}`).join("\n")));
    return;
  }
  const messages = byId ? [body.data.getMessage].filter(Boolean) : body.data.getMessages.data;
  target.replaceChildren(
    messages.length === 0 ? el("p", { class: "muted" }, "Nothing found.") : "",
    ...messages.map((message) =>
      el("div", { class: "thread" },
        el("strong", {}, message.id), " ", message.deliveryMethod, " to ", message.to, " ", status(message.deliveryStatus),
        el("div", { class: "muted" }, `${message.provider || "no provider yet"} ${message.providerMessageId || ""} ${message.failureReason || ""}`),
        el("ol", { class: "timeline" }, ...message.events.map((event) =>
          el("li", {}, `${new Date(event.at).toLocaleString()} `, status(event.status), event.detail ? ` ${event.detail}` : ""))),
      ),
    ),
  );
}

// --- live -------------------------------------------------------------------------------------

async function refresh() {
  const response = await fetch("/local/console/state");
  state.data = await response.json();
  renderOutbox();
  renderSystem();
}

// At most one state read in flight and about two a second: under load every invocation moves the feed on.
// A change seen while a read is pending or in flight is read once that one is done: none is lost.
function scheduleRefresh() {
  if (state.timer) {
    state.dirty = true;
    return;
  }
  state.dirty = false;
  state.timer = setTimeout(() => {
    refresh().catch(() => {}).finally(() => {
      state.timer = null;
      if (state.dirty) scheduleRefresh();
    });
  }, 400);
}

function connectFeed() {
  const socket = new WebSocket(`ws://${location.host}/local/console/feed`);
  socket.onopen = () => { $("#live").textContent = "● live"; };
  socket.onmessage = scheduleRefresh;
  socket.onclose = () => {
    $("#live").textContent = "reconnecting…";
    setTimeout(connectFeed, 2000);
  };
}

async function main() {
  state.config = await (await fetch("/local/console/config")).json();
  window.addEventListener("hashchange", () => {
    showView();
    const [view, id] = location.hash.slice(1).split("/");
    if (view === "history" && id) showHistory(decodeURIComponent(id));
  });
  $("#history-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showHistory($("#history-query").value);
  });
  showView();
  await refresh();
  document.body.dataset.ready = "true";
  connectFeed();
}

main();
