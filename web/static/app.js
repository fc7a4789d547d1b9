// The reader's browser side: every datum comes from the JSON API, which decides
// what this user may see; this file only draws it.  Pages render lazily: only the
// pages near the viewport are fetched (Range requests) and painted.
import * as pdfjsLib from "./pdfjs/pdf.min.mjs";

pdfjsLib.GlobalWorkerOptions.workerSrc = new URL("./pdfjs/pdf.worker.min.mjs", import.meta.url).href;

const $ = (id) => document.getElementById(id);
const state = { me: null, dossier: null, pdf: null, observer: null, pageSize: null, pending: null, marks: null };

// Every request carries the session's anti-forgery token; the server refuses a
// state-changing request without it.  The server's messages are shown as they come:
// it writes them in Chinese for the user.
async function api(path, options = {}) {
  const headers = { ...(options.headers || {}), ...(state.me ? { "X-CSRF-Token": state.me.csrf } : {}) };
  const response = await fetch(path, { credentials: "same-origin", ...options, headers });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  const detail = body && typeof body.detail === "string" ? body.detail : null;
  if (response.status === 401 && path !== "api/session") {
    state.me = null;
    show("signin");
    throw new Error(detail || "请先登录");
  }
  if (!response.ok) throw new Error(detail || `请求未能完成（${response.status}）`);
  return body;
}

// Times are stored in UTC; the court reads them in its own time zone.
const timeFormat = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
});
function localTime(iso) { return iso ? timeFormat.format(new Date(iso)) : ""; }

// LABELS: what the server calls each volume (正卷, 副卷, 正卷（第2版归档） for a sealed one kept beside later ones)
function pageCounts(pages, labels) {
  return Object.entries(pages).map(([volume, n]) => `${labels[volume] || volume} ${n}页`).join(" · ");
}
const post = (path, data) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });

function show(view) {
  for (const el of document.querySelectorAll(".view")) el.hidden = el.id !== `view-${view}`;
  $("nav").hidden = !state.me || state.me.must_change || view === "signin";
  document.body.dataset.view = view;
}

function error(message) { $("global-error").textContent = message || ""; }

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

// --- sign-in ---------------------------------------------------------------

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("signin-error").textContent = "";
  try {
    state.me = await post("api/session", { user: $("signin-user").value, password: $("signin-password").value });
    $("signin-password").value = "";
    route();
  } catch (e) { $("signin-error").textContent = e.message; show("signin"); }
});

$("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if ($("pw-new").value !== $("pw-confirm").value) { $("pw-error").textContent = "两次输入的新密码不一致"; return; }
  try {
    state.me = await post("api/password", { old: $("pw-old").value, new: $("pw-new").value });
    for (const id of ["pw-old", "pw-new", "pw-confirm"]) $(id).value = "";
    route();
  } catch (e) { $("pw-error").textContent = e.message; }
});

$("sign-out").addEventListener("click", async () => {
  await api("api/session", { method: "DELETE" }).catch(() => {});
  state.me = null;
  location.hash = "#/cases";
  show("signin");
});

// --- routing: #/cases, #/case/<case>/<version>/<volume>[/<page>] ------------------

// Other views (filings.js: #/filings, #/filing/<id>, #/inbox, #/service) register here;
// each hook of onRoute sees the signed-in user on every route (e.g. to show its nav links).
export const routes = {};
export const onRoute = [];

window.addEventListener("hashchange", route);

async function route() {
  error("");
  if (!state.me) {
    try { state.me = await api("api/me"); } catch { return; }
  }
  if (state.me.must_change) { show("password"); return; }
  $("who").textContent = `${state.me.user}（${roleName(state.me.role)}）`;
  for (const hook of onRoute) hook(state.me);
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  try {
    if (parts[0] === "case" && parts.length >= 4) {
      await openDossier(parts[1], Number(parts[2]), parts[3], Number(parts[4] || 1));
    } else if (routes[parts[0]]) {
      await routes[parts[0]](parts.slice(1));
    } else {
      await listCases();
    }
  } catch (e) { error(e.message); }
}

function roleName(role) {
  return { clerk: "书记员", judge: "法官", archivist: "档案员", lawyer: "律师", party: "当事人" }[role] || role;
}

function dossierHash(c, version, volume, page) {
  return `#/case/${encodeURIComponent(c)}/${version}/${volume}` + (page ? `/${page}` : "");
}

// --- case list and search across cases ------------------------------------------

async function listCases() {
  show("cases");
  const rows = await api("api/cases");
  const body = $("case-table").tBodies[0];
  body.replaceChildren(...rows.map((row) => el("tr", {},
    el("td", {}, el("a", { href: dossierHash(row.case, row.version, row.volumes[0]), className: "case-link" }, row.case)),
    el("td", {}, `第${row.version}版`), el("td", { className: "pages" }, pageCounts(row.pages, row.labels)),
    el("td", { className: "time" }, localTime(row.updated)))));
  await listSubmissions();
}

// --- the submitter's jobs and a clerk's review of held ones -----------------------------

function jobNote(job) {
  if (job.state === "accepted" || job.state === "unchanged") return `第${job.version}版`;
  return job.reason || "";
}

async function listSubmissions() {
  const mine = await api("api/submissions");
  $("my-submissions").hidden = mine.length === 0;
  $("my-submissions-table").tBodies[0].replaceChildren(...mine.map((job) => {
    const row = el("tr", {}, el("td", {}, job.case), el("td", {}, job.files.join("、")),
      el("td", { className: "state" }, job.state_name), el("td", {}, job.progress),
      el("td", { className: "reason" }, jobNote(job)),
      el("td", { className: "time" }, localTime(new Date(job.created * 1000).toISOString())));
    row.dataset.job = job.id;
    return row;
  }));
  $("review-panel").hidden = state.me.role !== "clerk";
  if (state.me.role !== "clerk") return;
  const held = await api("api/submissions?held=true");
  $("review-table").tBodies[0].replaceChildren(...held.map((job) => {
    const release = el("button", { type: "button", className: "release" }, "收入");
    const reject = el("button", { type: "button", className: "reject" }, "退回");
    release.addEventListener("click", () => review(job, "release", null));
    reject.addEventListener("click", () => {
      const reason = prompt("退回原因（提交人可见）", "经法院审核，未予收入");
      if (reason !== null) review(job, "reject", reason);
    });
    const row = el("tr", {}, el("td", {}, job.case), el("td", {}, job.user),
      el("td", {}, job.files.join("、")), el("td", {}, String(job.pages)), el("td", {}, job.reason || ""),
      el("td", {}, release, reject));
    row.dataset.job = job.id;
    return row;
  }));
}

async function review(job, action, reason) {
  try {
    await post(`api/submissions/${job.id}/${action}`, { reason });
    await listSubmissions();
  } catch (e) { error(e.message); }
}

$("global-search").addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = $("global-q").value.trim();
  if (!q) return;
  if (location.hash !== "#/cases") { location.hash = "#/cases"; await listCases(); }
  try {
    const result = await api(`api/search?q=${encodeURIComponent(q)}`);
    renderHits($("global-results"), result.hits, q, true);
  } catch (e) { error(e.message); }
});

function renderHits(container, hits, q, showCase) {
  if (!hits.length) { container.replaceChildren(el("p", { className: "none" }, `未检索到“${q}”`)); return; }
  container.replaceChildren(...hits.map((hit) => {
    const where = `${showCase ? hit.case + " · " : ""}${hit.volume_name} 第${hit.page}页 · ${hit.title}`;
    const node = el("div", { className: "hit" }, el("div", { className: "where" }, where), el("div", { className: "snippet" }, hit.snippet));
    node.dataset.page = hit.page;
    node.addEventListener("click", () => openHit(hit, q));
    return node;
  }));
}

async function openHit(hit, q) {
  state.marks = { q, page: hit.page, volume: hit.volume };
  const d = state.dossier;
  if (d && d.case === hit.case && d.version === hit.version && d.volume === hit.volume) {
    goTo(hit.page);
    await markPage(hit.page);
  } else {
    location.hash = dossierHash(hit.case, hit.version, hit.volume, hit.page);
  }
}

// --- the dossier view -------------------------------------------------------------

async function openDossier(c, version, volume, page) {
  const d = state.dossier;
  if (d && d.case === c && d.version === version && d.volume === volume) { show("dossier"); goTo(page); return; }
  show("dossier");
  const base = `api/cases/${encodeURIComponent(c)}/versions/${version}/volumes/${volume}`;
  const opening = openPdf(`${base}/pdf`);  // fetch the PDF while the catalogue loads
  const info = await api(base).catch((e) => { opening.destroy(); throw e; });
  state.dossier = info;
  trustPending();
  $("dossier-title").textContent = `${info.case} 第${info.version}版 ${info.volume_name}`;
  // a volume sealed by archiving: read, searched and verified like any other, never changed
  $("archived-mark").hidden = !info.archived_at;
  $("archived-mark").textContent = info.archived_at ? `已归档 · ${localTime(info.archived_at)}` : "";
  $("download").href = info.download;
  renderCatalogue(info);
  $("recat-title").dataset.document = "";
  renderVolumeSwitch(info);
  loadVersions(info);
  $("tab-submit-button").hidden = !(state.me.role === "clerk" || (["lawyer", "party"].includes(state.me.role) && state.me.cases.includes(info.case)));
  try {
    await showPdf(info, opening, page);
  } finally {
    // Checking signatures and hashes of a large PDF takes the server a CPU-second or more: asked
    // for once the page is on screen, so that it does not compete with showing it.
    if (state.dossier === info) loadTrust(info);
  }
}

function renderCatalogue(info) {
  $("catalogue").replaceChildren(...info.documents.map((doc, i) => {
    const item = el("li", { className: "entry" },
      el("span", { className: "title" }, doc.title), " ",
      el("span", { className: "pages" }, `第${doc.first_page}–${doc.last_page}页 · ${doc.type}`));
    if (doc.needs_review) item.append(" ", el("span", { className: "review" }, "待复核"));
    if (doc.moved_to) item.append(" ", el("span", { className: "moved" }, doc.moved_to === "main" ? "已移入正卷" : "已移入副卷"));
    item.dataset.index = i;
    item.dataset.number = doc.number;
    item.dataset.firstPage = doc.first_page;
    item.addEventListener("click", () => { location.hash = dossierHash(info.case, info.version, info.volume, doc.first_page); });
    return item;
  }));
}

// The volumes of this version the user may read: its own, then those archiving sealed and it keeps.
function renderVolumeSwitch(info) {
  const box = $("volume-switch");
  box.replaceChildren();
  if (info.volumes.length < 2) return;
  for (const v of info.volumes) {
    const b = el("button", { type: "button", className: v.volume === info.volume ? "active" : "" }, v.volume_name);
    b.dataset.volume = v.volume;
    if (v.archived_at) b.title = `已归档 ${localTime(v.archived_at)}`;
    b.addEventListener("click", () => { location.hash = dossierHash(info.case, info.version, v.volume); });
    box.append(b);
  }
}

// Until the volume on screen is checked, the badge says so, never what it said of the previous one.
function trustPending() {
  const badge = $("badge");
  badge.className = "badge pending";
  badge.textContent = "核验中…";
  badge.dataset.valid = "";
  $("trust-detail").replaceChildren();
}

async function loadTrust(info) {
  const badge = $("badge");
  trustPending();
  try {
    const t = await api(info.trust);
    if (state.dossier !== info) return;
    const sig = t.signature.signatures[0];
    badge.className = `badge ${t.valid ? "ok" : "bad"}`;
    badge.textContent = t.valid ? "✔ 签名有效 · 完整未改" : "✘ 核验未通过";
    const lines = [
      `签名：${t.signature.valid ? "有效" : "无效"}${sig ? `（${sig.signer}，${sig.signing_time || ""}${sig.level ? "，" + sig.level : ""}）` : ""}`,
      `完整性：${t.fixity.ok ? "与清单一致" : "不一致"} sha256 ${t.fixity.sha256}`,
      ...t.signature.problems, ...t.fixity.problems,
    ];
    $("trust-detail").replaceChildren(...lines.map((line) => el("div", {}, line)));
    badge.dataset.valid = String(t.valid);
  } catch (e) { badge.className = "badge bad"; badge.textContent = "无法核验"; error(e.message); }
}

async function loadVersions(info) {
  const history = await api(`api/cases/${encodeURIComponent(info.case)}/versions`);
  $("versions").replaceChildren(...history.slice().reverse().map((v) => {
    const item = el("li", {}, `第${v.version}版 · ${v.documents}件 · ${pageCounts(v.pages, v.labels)} · ${localTime(v.created)}${v.bound_by ? " · " + v.bound_by : ""}`);
    item.dataset.version = v.version;
    if (v.version === info.version) item.style.fontWeight = "bold";
    item.addEventListener("click", () => { location.hash = dossierHash(info.case, v.version, v.volumes.includes(info.volume) ? info.volume : v.volumes[0]); });
    return item;
  }));
}

function openPdf(url) {
  if (state.pdf) { state.pdf.destroy(); state.pdf = null; }
  if (state.observer) state.observer.disconnect();
  $("pages").replaceChildren();
  $("viewer").dataset.ready = "false";
  return pdfjsLib.getDocument({
    url, withCredentials: true, disableAutoFetch: true, disableStream: true, rangeChunkSize: 262144,
    cMapUrl: "static/pdfjs/cmaps/", cMapPacked: true, standardFontDataUrl: "static/pdfjs/standard_fonts/",
    isEvalSupported: false,
  });
}

async function showPdf(info, task, page) {
  const pages = $("pages");
  const pdf = await task.promise;
  if (state.dossier !== info) { pdf.destroy(); return; }
  state.pdf = pdf;
  const first = await pdf.getPage(1);
  const base = first.getViewport({ scale: 1 });
  const width = Math.min($("viewer").clientWidth - 40, 900);
  state.scale = width / base.width;
  state.observer = new IntersectionObserver((entries) => {
    for (const entry of entries) if (entry.isIntersecting) renderPage(Number(entry.target.dataset.page));
    updateIndicator();
  }, { root: $("viewer"), rootMargin: "600px 0px" });
  for (let n = 1; n <= pdf.numPages; n++) {
    const box = el("div", { className: "page" });
    box.dataset.page = n;
    box.style.width = `${base.width * state.scale}px`;
    box.style.height = `${base.height * state.scale}px`;
    box.append(el("span", { className: "label" }, String(n)));
    pages.append(box);
    state.observer.observe(box);
  }
  $("viewer").onscroll = updateIndicator;
  $("viewer").dataset.ready = "true";
  await goTo(page);
}

async function renderPage(n) {
  const box = document.querySelector(`.page[data-page="${n}"]`);
  if (!box || box.dataset.rendered || !state.pdf) return;
  box.dataset.rendered = "pending";
  const pdf = state.pdf;
  const page = await pdf.getPage(n);
  const natural = page.getViewport({ scale: 1 });
  const viewport = page.getViewport({ scale: state.scale * (window.devicePixelRatio || 1) });
  box.style.width = `${natural.width * state.scale}px`;
  box.style.height = `${natural.height * state.scale}px`;
  const canvas = el("canvas", { width: Math.floor(viewport.width), height: Math.floor(viewport.height) });
  await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
  if (state.pdf !== pdf) return;
  box.prepend(canvas);
  box.dataset.rendered = "true";
  // Time from navigation to the first painted page, read by bench/web.py.
  if (window.edossierFirstPageMs === undefined) window.edossierFirstPageMs = performance.now();
  if (marked(n)) markPage(n);
}

// Highlights belong to one page of one volume: the hit's page number, as printed on that volume's sheets.
function marked(n) {
  return Boolean(state.marks && state.dossier && state.marks.page === n && state.marks.volume === state.dossier.volume);
}

function goTo(n) {
  const box = document.querySelector(`.page[data-page="${n}"]`);
  if (!box) return;
  box.scrollIntoView({ block: "start" });
  const painted = renderPage(n);
  updateIndicator(n);
  if (marked(n)) markPage(n);
  return painted;
}

function updateIndicator(known) {
  let current = typeof known === "number" ? known : 1;
  if (typeof known !== "number") {
    const top = $("viewer").getBoundingClientRect().top;
    for (const box of document.querySelectorAll(".page")) {
      if (box.getBoundingClientRect().bottom > top + 20) { current = Number(box.dataset.page); break; }
    }
  }
  const total = state.pdf ? state.pdf.numPages : 0;
  $("page-indicator").textContent = `第 ${current} / ${total} 页`;
  $("viewer").dataset.currentPage = current;
  showCorrection(current);
}

// --- a clerk's catalogue corrections (编目更正) -----------------------------------------
// The document on screen is the one whose pages hold the page shown: split it there, merge it
// with the next one, or correct its title and type.  Each correction is a new signed version,
// which the reader then opens.

function shownDocument(page) {
  const d = state.dossier;
  return d ? d.documents.find((doc) => doc.first_page <= page && page <= doc.last_page) : undefined;
}

function showCorrection(page) {
  const box = $("recatalogue");
  const d = state.dossier;
  box.hidden = !(d && state.me && state.me.role === "clerk" && !d.archived_at);
  if (box.hidden) return;
  const doc = shownDocument(page);
  box.dataset.page = page;
  box.dataset.document = doc ? doc.number : "";
  $("recat-current").textContent = doc
    ? `第${page}页 · 第${doc.number}件《${doc.title}》（第${doc.first_page}–${doc.last_page}页）`
    : `第${page}页是目录或备考表，不属于任何文件`;
  $("recat-split").textContent = `自第${page}页起拆分`;
  $("recat-split").disabled = !doc || page === doc.first_page;
  const next = doc ? d.documents[d.documents.indexOf(doc) + 1] : undefined;
  $("recat-merge").disabled = !next || next.first_page !== doc.last_page + 1;
  $("recat-retitle").disabled = !doc;
  // to the other volume: a 正卷 is then bound anew without it, and its earlier versions are no longer given to parties
  $("recat-move").textContent = d.volume.startsWith("secondary") ? "移入正卷" : "移入副卷";
  $("recat-move").disabled = !doc || Boolean(doc.moved_to);
  if (doc && $("recat-title").dataset.document !== String(doc.number)) {
    $("recat-title").dataset.document = doc.number;
    $("recat-title").value = doc.title;
    // the types of the volume the document is bound in: its pages cannot move to the other one
    $("recat-type").replaceChildren(...d.types.map((label) => el("option", { value: label }, label)));
    $("recat-type").value = doc.type;
  }
}

async function correctCatalogue(action, extra = {}) {
  const d = state.dossier;
  const box = $("recatalogue");
  const status = $("recat-status");
  status.dataset.state = "sending";
  status.textContent = "正在更正并签名…";
  try {
    const result = await post(`api/cases/${encodeURIComponent(d.case)}/catalogue`,
      { version: d.version, action, document: Number(box.dataset.document), ...extra });
    status.dataset.state = "done";
    status.dataset.version = result.version;
    status.textContent = result.message;
    location.hash = dossierHash(d.case, result.version, result.volume, result.page);
  } catch (e) { status.dataset.state = "refused"; status.textContent = e.message; }
}

$("recat-split").addEventListener("click", () => correctCatalogue("split", { page: Number($("recatalogue").dataset.page) }));
$("recat-merge").addEventListener("click", () => correctCatalogue("merge"));
$("recat-retitle").addEventListener("click", () => correctCatalogue("retitle", { title: $("recat-title").value.trim(), type: $("recat-type").value }));
$("recat-move").addEventListener("click", () => correctCatalogue("move"));

async function markPage(n) {
  const d = state.dossier;
  const box = document.querySelector(`.page[data-page="${n}"]`);
  if (!d || !box || !state.marks) return;
  const result = await api(`api/cases/${encodeURIComponent(d.case)}/versions/${d.version}/volumes/${d.volume}/pages/${n}/highlights?q=${encodeURIComponent(state.marks.q)}`);
  for (const old of box.querySelectorAll(".mark")) old.remove();
  const sx = box.clientWidth / result.width;
  const sy = box.clientHeight / result.height;
  for (const [x0, y0, x1, y1] of result.rects) {
    const mark = el("div", { className: "mark" });
    Object.assign(mark.style, { left: `${x0 * sx}px`, top: `${y0 * sy}px`, width: `${(x1 - x0) * sx}px`, height: `${(y1 - y0) * sy}px` });
    box.append(mark);
  }
  box.dataset.marks = String(result.rects.length);
}

// --- side panel -------------------------------------------------------------------

for (const button of document.querySelectorAll(".tabs button")) {
  button.addEventListener("click", () => {
    for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b === button);
    for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== `tab-${button.dataset.tab}`;
    if (button.dataset.tab === "submit") loadDoctypes();
  });
}

$("case-search").addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = $("case-q").value.trim();
  const d = state.dossier;
  if (!q || !d) return;
  try {
    const result = await api(`api/search?q=${encodeURIComponent(q)}&case=${encodeURIComponent(d.case)}`);
    renderHits($("case-results"), result.hits, q, false);
  } catch (e) { error(e.message); }
});

async function loadDoctypes() {
  const select = $("submit-type");
  if (select.options.length > 1) return;
  const types = await api("api/doctypes");
  // a lawyer or party declares what is filed; the court's staff may leave it to the classifier
  select.options[0].hidden = select.required = !state.me.court;
  for (const label of types) select.append(el("option", { value: label }, label));
}

$("submit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const d = state.dossier;
  const form = new FormData();
  for (const file of $("submit-files").files) form.append("files", file);
  if ($("submit-type").value) form.append("doc_type", $("submit-type").value);
  if ($("submit-title").value) form.append("title", $("submit-title").value);
  const status = $("submit-status");
  status.dataset.state = "sending";
  status.textContent = "上传中…";
  try {
    let job = await api(`api/cases/${encodeURIComponent(d.case)}/submissions`, { method: "POST", body: form });
    while (["queued", "checking", "running"].includes(job.state)) {
      status.dataset.state = job.state;
      status.textContent = `${job.state_name}… ${job.progress}`;
      await new Promise((resolve) => setTimeout(resolve, 700));
      job = await api(`api/submissions/${job.id}`);
    }
    status.dataset.state = job.state;
    if (job.state === "accepted") {
      status.replaceChildren(`已收入第${job.version}版。 `,
        el("a", { href: dossierHash(d.case, job.version, "main"), id: "open-new-version" }, "打开新版本"));
      status.dataset.version = job.version;
    } else if (job.state === "unchanged") {
      status.textContent = `未新增材料：所交文件卷宗中已有，卷宗未改变（仍为第${job.version}版）。`;
      status.dataset.version = job.version;
    } else {
      status.textContent = `${job.state === "refused" || job.state === "failed" ? "未收入" : job.state_name}：${job.reason}`;
    }
  } catch (e) { status.dataset.state = "refused"; status.textContent = `未收入：${e.message}`; }
});

route();

// what the other views (filings.js) draw with: the same requests, helpers and state
export { $, api, dossierHash, el, error, post, show, state };
