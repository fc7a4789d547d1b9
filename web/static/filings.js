// 网上立案, e键送达 and 在线审批 in the browser: the filer's form and status, the clerk's
// review (materials read in pdf.js) and decision, the party's inbox, the clerk's service
// desk, and a judge's approval bound into the 副卷.
// Every request goes through app.js's api()/post(), so what protects them protects these.
import * as pdfjsLib from "./pdfjs/pdf.min.mjs";
import { $, api, dossierHash, el, error, onRoute, post, routes, show, state } from "./app.js";

const FILER_ROLES = ["lawyer", "party"];
const when = (seconds) => new Date(seconds * 1000).toLocaleString("zh-CN", { hour12: false });

function age(seconds) {
  if (seconds < 3600) return `${Math.floor(seconds / 60)} 分钟`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} 小时`;
  return `${Math.floor(seconds / 86400)} 天`;
}

onRoute.push((me) => {
  const filer = FILER_ROLES.includes(me.role);
  $("nav-inbox").hidden = !filer;
  $("nav-service").hidden = me.role !== "clerk";
  $("tab-serve-button").hidden = me.role !== "clerk";
  $("tab-approve-button").hidden = me.role !== "judge";
});

// Render every page of a (small) PDF into CONTAINER: a filing's material or a served document.
async function renderPdf(container, url) {
  container.replaceChildren();
  container.dataset.ready = "false";
  const pdf = await pdfjsLib.getDocument({
    url, withCredentials: true, isEvalSupported: false,
    cMapUrl: "static/pdfjs/cmaps/", cMapPacked: true, standardFontDataUrl: "static/pdfjs/standard_fonts/",
  }).promise;
  for (let n = 1; n <= pdf.numPages; n++) {
    const page = await pdf.getPage(n);
    const natural = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: Math.min(container.clientWidth || 800, 800) / natural.width });
    const canvas = el("canvas", { width: Math.floor(viewport.width), height: Math.floor(viewport.height), className: "doc-page" });
    canvas.dataset.page = n;
    await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
    container.append(canvas);
  }
  container.dataset.pages = String(pdf.numPages);
  container.dataset.ready = "true";
}

// --- 网上立案: list, new filing, one filing ------------------------------------------

routes.filings = async () => {
  show("filings");
  const filer = FILER_ROLES.includes(state.me.role);
  $("filing-form").hidden = !filer;
  $("filings-filter-box").hidden = filer;
  if (filer) resetForm(correcting);
  correcting = null;
  await listFilings();
};

async function listFilings() {
  const status = $("filings-filter").value;
  const rows = await api(`api/filings${status ? `?status=${status}` : ""}`);
  $("filings-table").tBodies[0].replaceChildren(...rows.map((f) => {
    const row = el("tr", {},
      el("td", {}, el("a", { href: `#/filing/${f.id}`, className: "filing-link" }, f.id)),
      el("td", {}, f.case_type), el("td", {}, f.cause), el("td", {}, f.filer),
      el("td", { className: "state" }, f.state_name), el("td", {}, f.case || ""), el("td", {}, when(f.created)));
    row.dataset.id = f.id;
    row.dataset.state = f.state;
    return row;
  }));
}

$("filings-filter").addEventListener("change", () => listFilings().catch((e) => error(e.message)));

let resubmitting = null;  // the rejected filing being corrected (补正), or null for a new one

function resetForm(filing) {
  resubmitting = filing;
  $("filing-form-title").textContent = filing ? `补正立案申请 ${filing.id}` : "新立案申请";
  $("filing-court").value = filing ? filing.court : "";
  $("filing-type").value = filing ? filing.case_type : "民初";
  $("filing-cause").value = filing ? filing.cause : "";
  $("filing-parties").value = filing ? filing.parties.map((p) => `${p.role}：${p.name}`).join("\n") : "";
  $("filing-claims").value = filing ? filing.claims : "";
  $("filing-complaint").value = "";
  $("filing-other").value = "";
  $("filing-complaint").required = !filing;
  $("filing-form-status").textContent = "";
}

$("filing-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData();
  form.append("court", $("filing-court").value);
  form.append("case_type", $("filing-type").value);
  form.append("cause", $("filing-cause").value);
  form.append("claims", $("filing-claims").value);
  for (const line of $("filing-parties").value.split("\n")) if (line.trim()) form.append("parties", line.trim());
  for (const file of $("filing-complaint").files) { form.append("files", file); form.append("doc_types", "起诉状"); }
  for (const file of $("filing-other").files) { form.append("files", file); form.append("doc_types", ""); }
  const status = $("filing-form-status");
  status.textContent = "提交中…";
  try {
    const path = resubmitting ? `api/filings/${resubmitting.id}/resubmit` : "api/filings";
    const filing = await api(path, { method: "POST", body: form });
    location.hash = `#/filing/${filing.id}`;
  } catch (e) { status.textContent = `未提交：${e.message}`; }
});

routes.filing = async ([id]) => {
  show("filing");
  $("filing-viewer").replaceChildren();
  const filing = await api(`api/filings/${encodeURIComponent(id)}`);
  drawFiling(filing);
  if (filing.state === "accepting") watchFiling(filing.id);
};

function drawFiling(f) {
  state.filing = f;
  $("filing-heading").textContent = `立案申请 ${f.id}`;
  const status = $("filing-state");
  status.dataset.state = f.state;
  status.textContent = f.state_name + (f.reason ? `：${f.reason}` : "") + (f.case ? `（${f.case}）` : "");
  const facts = [["受理法院", f.court], ["案件类型", f.case_type], ["案由", f.cause],
    ["当事人", f.parties.map((p) => `${p.role}：${p.name}`).join("；")], ["诉讼请求", f.claims], ["申请人", f.filer]];
  $("filing-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const readable = f.state !== "accepted";
  $("filing-materials").replaceChildren(...f.materials.map((m, i) => {
    const item = el("li", { className: "material" }, `${m.name}（${m.doc_type || "自动识别"}）`);
    item.dataset.number = i + 1;
    const url = `api/filings/${encodeURIComponent(f.id)}/materials/${i + 1}/pdf`;
    if (readable) item.addEventListener("click", () => renderPdf($("filing-viewer"), url).catch((e) => error(e.message)));
    return item;
  }));
  $("filing-history").replaceChildren(...f.history.map((h) =>
    el("li", {}, `${when(h.time)} · ${h.user} · ${stateName(h.state)}${h.reason ? "：" + h.reason : ""}${h.case ? "：" + h.case : ""}`)));
  $("filing-decision").hidden = !(state.me.role === "clerk" && ["pending", "failed"].includes(f.state));
  const link = $("filing-case-link");
  link.hidden = f.state !== "accepted";
  if (f.state === "accepted") link.href = dossierHash(f.case, f.version, "main");
  const mine = f.filer === state.me.user;
  $("filing-resubmit").hidden = !(mine && f.state === "rejected");
}

function stateName(s) {
  return { pending: "待审查", accepting: "立案中", accepted: "已立案", rejected: "已退回补正", failed: "立案失败" }[s] || s;
}

async function watchFiling(id) {
  let f = state.filing;
  while (f && f.id === id && f.state === "accepting" && location.hash === `#/filing/${id}`) {
    await new Promise((resolve) => setTimeout(resolve, 700));
    f = await api(`api/filings/${encodeURIComponent(id)}`);
    drawFiling(f);
  }
}

$("accept-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = state.filing;
  $("decision-status").textContent = "立案中…";
  try {
    drawFiling(await post(`api/filings/${f.id}/accept`, { case: $("accept-case").value }));
    $("decision-status").textContent = "";
    await watchFiling(f.id);
  } catch (e) { $("decision-status").textContent = `未立案：${e.message}`; }
});

$("reject-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = state.filing;
  try {
    drawFiling(await post(`api/filings/${f.id}/reject`, { reason: $("reject-reason").value }));
    $("decision-status").textContent = "";
  } catch (e) { $("decision-status").textContent = `未退回：${e.message}`; }
});

let correcting = null;  // set when the filer chooses 补正, read when the form is shown

$("filing-resubmit").addEventListener("click", () => {
  correcting = state.filing;
  location.hash = "#/filings";
});

// --- e键送达: the party's inbox ---------------------------------------------------------

routes.inbox = async ([id]) => {
  show("inbox");
  const rows = await api("api/inbox");
  $("inbox-table").tBodies[0].replaceChildren(...rows.map((s) => {
    const row = el("tr", {},
      el("td", {}, s.case), el("td", {}, el("a", { href: `#/inbox/${s.id}`, className: "served-link" }, `${s.title}（${s.doc_type}）`)),
      el("td", {}, s.served_by), el("td", {}, when(s.created)), el("td", { className: "state" }, s.state_name));
    row.dataset.id = s.id;
    row.dataset.state = s.state;
    return row;
  }));
  $("served").hidden = !id;
  if (id) await openServed(id);
};

async function openServed(id) {
  let s = await api(`api/inbox/${encodeURIComponent(id)}`);  // opening is delivery
  const file = `api/inbox/${encodeURIComponent(id)}/file`;
  $("served-title").textContent = `${s.case} · ${s.title}（${s.doc_type}）`;
  $("served-download").href = file;
  drawServedState(s);
  const viewer = $("served-viewer");
  const type = s.media_type || "";
  if (type === "application/pdf") await renderPdf(viewer, file);
  else if (type === "image/png" || type === "image/jpeg") viewer.replaceChildren(el("img", { src: file, className: "doc-page" }));
  else viewer.replaceChildren(el("p", {}, "此格式无法在浏览器中显示，请下载查看。"));
  while (s.state === "delivered" && location.hash === `#/inbox/${id}`) {
    await new Promise((resolve) => setTimeout(resolve, 700));
    s = (await api("api/inbox")).find((row) => row.id === id) || s;
    drawServedState(s);
  }
}

function drawServedState(s) {
  const cell = document.querySelector(`#inbox-table tr[data-id="${s.id}"] td.state`);
  if (cell) { cell.textContent = s.state_name; cell.parentElement.dataset.state = s.state; }
  const box = $("served-state");
  box.dataset.state = s.state;
  box.dataset.version = s.version || "";
  const at = s.delivered ? `，送达时间 ${when(s.delivered)}` : "";
  box.replaceChildren(`${s.state_name}${at}`);
  if (s.state === "receipted") {
    box.append("。送达回证已装订入卷宗第", String(s.version), "版 ",
      el("a", { href: dossierHash(s.case, s.version, "main"), id: "receipt-link" }, "查看卷宗"));
  }
  if (s.state === "failed") box.append(`：${s.reason}`);
}

// --- e键送达: the clerk's desk ---------------------------------------------------------

routes.service = async () => {
  show("service");
  await listService();
};

async function listService() {
  const undelivered = $("service-undelivered").checked;
  const rows = await api(`api/service${undelivered ? "?undelivered=true" : ""}`);
  $("service-table").tBodies[0].replaceChildren(...rows.map(serviceRow));
}

function serviceRow(s) {
  const cells = [s.case, `${s.title}（${s.doc_type}）`, s.recipient, when(s.created), s.state_name, age(s.age_s)];
  const row = el("tr", {}, ...cells.map((text) => el("td", {}, text)));
  row.dataset.id = s.id;
  row.dataset.state = s.state;
  return row;
}

$("service-undelivered").addEventListener("change", () => listService().catch((e) => error(e.message)));

$("tab-serve-button").addEventListener("click", async () => {
  const d = state.dossier;
  if (!d) return;
  const select = $("serve-document");
  select.replaceChildren(el("option", { value: "" }, "（上传新文书）"));
  if (d.volume === "main") {
    d.documents.forEach((doc, i) => select.append(el("option", { value: String(i + 1) }, `${i + 1}. ${doc.title}（${doc.type}）`)));
  }
  const types = $("serve-type");
  if (types.options.length <= 1) for (const label of await api("api/doctypes")) types.append(el("option", { value: label }, label));
  await listCaseService(d.case);
});

async function listCaseService(c) {
  const rows = await api(`api/cases/${encodeURIComponent(c)}/service`);
  $("serve-table").tBodies[0].replaceChildren(...rows.map((s) => {
    const row = el("tr", {}, el("td", {}, s.title), el("td", {}, s.recipient), el("td", {}, s.state_name), el("td", {}, age(s.age_s)));
    row.dataset.id = s.id;
    row.dataset.state = s.state;
    return row;
  }));
}

$("serve-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const d = state.dossier;
  const form = new FormData();
  form.append("recipient", $("serve-recipient").value);
  if ($("serve-document").value) form.append("document", $("serve-document").value);
  for (const file of $("serve-file").files) form.append("file", file);
  if ($("serve-type").value) form.append("doc_type", $("serve-type").value);
  if ($("serve-title").value) form.append("title", $("serve-title").value);
  const status = $("serve-status");
  try {
    const s = await api(`api/cases/${encodeURIComponent(d.case)}/service`, { method: "POST", body: form });
    status.dataset.state = "sent";
    status.dataset.id = s.id;
    status.textContent = `已发送给 ${s.recipient}，待其打开（送达编号 ${s.id}）`;
    await listCaseService(d.case);
  } catch (e) { status.dataset.state = "refused"; status.textContent = `未送达：${e.message}`; }
});

// --- 在线审批: a judge's approval, bound into the 副卷 ---------------------------------------

$("approve-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const d = state.dossier;
  const status = $("approve-status");
  status.dataset.state = "sending";
  status.textContent = "装订签名中…";
  try {
    const done = await post(`api/cases/${encodeURIComponent(d.case)}/approvals`, {
      subject: $("approve-subject").value, request: $("approve-request").value, opinion: $("approve-opinion").value,
      decision: document.querySelector('input[name="approve-decision"]:checked').value,
    });
    status.dataset.state = "recorded";
    status.dataset.version = done.version;
    status.replaceChildren(`审批表已装订入副卷第${done.version}版 `,
      el("a", { href: dossierHash(d.case, done.version, "secondary"), id: "approval-link" }, "查看副卷"));
  } catch (e) { status.dataset.state = "refused"; status.textContent = `未审批：${e.message}`; }
});
