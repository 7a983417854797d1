// The search box. site.js imports this module on the reader's first use of
// the box; only then is Pagefind (/pagefind/pagefind.js, its wasm and the
// index chunks a query needs) downloaded. The bundle holds one index per
// language: the page's own by default, each other language's merged in, in
// its own language, when the reader ticks "Also search the … text". Results
// are paragraphs, figures, footnotes and section titles; every one links to
// the same place in each other language (the same path under another
// language's folder: every language has the same slugs and ids).
// Everything is built with DOM calls: the only markup taken from Pagefind is
// its <mark> around matched words, rebuilt here as elements.

const BUNDLE = "/pagefind/";
const SHOWN = 10; // results listed
const RERANK = 20; // results whose text is read to put literal matches first
// Only the section title and the Chinese n-grams (see reportsite/search.py)
// should lift a result; the other meta fields are for display.
const RANKING = { metaWeights: { title: 1, grams: 1, other: 0, lang: 0, kind: 0, para: 0, label: 0 } };
const CJK = /[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]/;

let pagefind = null;
const instances = {};

// The page's language (its folder) and the others, with the labels results use for them.
function page() {
  const form = document.querySelector("[data-search]");
  const others = JSON.parse(form.dataset.others || "[]");
  return { lang: document.body.dataset.lang, tag: document.documentElement.lang, others, same: form.dataset.sameHere };
}

// The same place in another language: /en/land/#para-49 -> /fr/land/#para-49.
function sameIn(url, from, to) {
  return url.replace(new RegExp("^/" + from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "/"), "/" + to + "/");
}

function instance(also) {
  const key = also.map((o) => o.path).sort().join(" ");
  instances[key] ??= (async () => {
    pagefind ??= await import(BUNDLE + "pagefind.js");
    const pf = pagefind.createInstance(); // the page's language, from <html lang>
    await pf.options({ ranking: RANKING });
    // The same bundle, another language's index each. Pagefind skips a merge
    // when its own base path (here "/pagefind/") starts with the merged path,
    // to avoid merging an index into itself: the absolute URL is not skipped.
    for (const other of also) {
      await pf.mergeIndex(new URL(BUNDLE, location.href).href, { language: other.search, ranking: RANKING });
    }
    return pf;
  })();
  return instances[key];
}

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// Accents off, one character for one, so that positions in the folded text
// are positions in the text: Queretaro finds Querétaro.
const fold = (s) => s.replace(/[^\x00-\x7f]/g, (c) => {
  const f = c.normalize("NFD").replace(/\p{M}/gu, "");
  return f.length === c.length ? f : c;
});
const latinStart = (s) => (/^[a-z0-9]/i.test(s) ? "(?<![a-z0-9])" : ""); // Latin words match from their start

// The query as written, in folded text: Chinese with or without spaces
// between characters, other text word after word.
function phraseOf(term) {
  const t = fold(term.trim());
  const body = CJK.test(t) ? [...t.replace(/\s+/g, "")].map(esc).join("\\s*") : t.split(/\s+/).map(esc).join("\\s+");
  return latinStart(t) + body;
}

// Pagefind's order, except that among the first RERANK results those holding
// the query as written come first (Pagefind scores words, not phrases), and
// with other languages, the page's own language before the others.
export async function find(term, also = [], limit = SHOWN) {
  const pf = await instance(also);
  const search = await pf.search(term);
  const head = await Promise.all(search.results.slice(0, Math.max(RERANK, limit)).map((r) => r.data()));
  const q = query(term);
  const lang = page().lang;
  const rank = (d) => (q.phrase.test(fold(plain(d.content))) ? 0 : 2) + (d.meta.lang === lang ? 0 : 1);
  const ordered = head.map((d, i) => [rank(d), i, d]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , d]) => d);
  return { total: search.results.length, results: ordered.slice(0, limit).map((d) => view(d, q)) };
}

function query(term) {
  // Words worth marking on their own: not "of", "and", a lone Chinese character.
  const words = term.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w) && w.length >= (CJK.test(w) ? 2 : 3));
  return {
    words,
    phrase: new RegExp(phraseOf(term), "i"),
    marks: new RegExp("(" + [phraseOf(term), ...words.map((w) => latinStart(w) + esc(fold(w)))].join("|") + ")", "gi"),
    cjk: CJK.test(term) ? fold(term).replace(/\s+/g, "").toLowerCase() : null,
  };
}

const plain = (content) => content.replace(/\u200b/g, ""); // Pagefind keeps its Chinese word breaks

function view(d, q) {
  const text = plain(d.content);
  const m = q.phrase.exec(fold(text));
  // Where the query occurs as written: the text around it, marked here.
  // Elsewhere: Pagefind's excerpt and marks (stems, Chinese segments).
  const parts = m ? mark(around(text, m.index, m[0].length), q.marks) : pagefindExcerpt(d.excerpt, text, q);
  const hl = [...new Set([...q.words, ...parts.filter(([, on]) => on).map(([t]) => t)])].slice(0, 8);
  const u = new URL(d.url, location.href); // a merged index gives absolute URLs
  const url = u.origin === location.origin ? u.pathname + u.hash : d.url;
  return {
    url, href: withTerms(url, hl), lang: d.meta.lang, kind: d.meta.kind, title: d.meta.title,
    para: d.meta.para || "", label: d.meta.label || "", excerpt: parts,
  };
}

function around(text, at, length) {
  const reach = CJK.test(text[at]) ? 40 : 100;
  let start = Math.max(0, at - reach);
  let end = Math.min(text.length, at + length + reach);
  if (start > 0 && !CJK.test(text[start])) start = Math.min(at, text.indexOf(" ", start) + 1 || at);
  if (end < text.length && !CJK.test(text[end - 1])) end = Math.max(at + length, text.lastIndexOf(" ", end));
  const cut = text.slice(start, end).trim();
  return (start > 0 ? "…" : "") + cut + (end < text.length && !/[.。;；]$/.test(cut) ? "…" : "");
}

// Pagefind's "text <mark>word</mark> text" as [[text, false], [word, true], ...];
// any other "<" stays text. For a Chinese query only the marked words that are
// part of it stay marked: Pagefind also marks every word that one of the
// query's one-character segments begins (人 marks 人员).
function pagefindExcerpt(excerpt, text, q) {
  const parts = excerpt.split(/(<mark>.*?<\/mark>)/s).filter(Boolean)
    .map((s) => (s.startsWith("<mark>") && s.endsWith("</mark>") ? [s.slice(6, -7), true] : [s, false]))
    .map(([t, on]) => [t, on && (!q.cjk || q.cjk.includes(fold(t).toLowerCase().trim()))]);
  const shown = parts.map(([t]) => t).join("");
  const at = text.indexOf(shown);
  if (at > 0) parts.unshift(["…", false]);
  if (at >= 0 && at + shown.length < text.length) parts.push(["…", false]);
  return parts;
}

// [[text, marked?], ...]: split on the folded text, cut from the text itself.
function mark(text, re) {
  let at = 0;
  return fold(text).split(re).map((s, i) => [text.slice(at, (at += s.length)), i % 2 === 1]).filter(([t]) => t);
}

// /en/slug/#para-49 -> /en/slug/?hl=land&hl=tenure#para-49: site.js marks the terms in #para-49.
function withTerms(url, terms) {
  const u = new URL(url, location.origin);
  if (!u.hash) return url;
  for (const t of terms) u.searchParams.append("hl", t);
  return u.pathname + u.search + u.hash;
}

// -- the interface ------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

// "1 result", "2 results": the string for the number's plural category (CLDR's, through Intl).
function count(forms, n, tag) {
  let table = forms;
  try { table = JSON.parse(forms); } catch (e) { return fmt(forms, { count: n }); }
  if (typeof table === "string") return fmt(table, { count: n });
  const category = new Intl.PluralRules(tag).select(n);
  return fmt(table[category] ?? table.other, { count: n });
}

export function attach(form) {
  if (form.dataset.attached) return;
  form.dataset.attached = "true";
  const ui = form.dataset;
  const input = form.querySelector("input[type=search]");
  const here = page();
  const boxes = here.others.map((o) => [o, el("input", { type: "checkbox", id: "search-also-" + o.path })]);
  const status = el("p", { class: "search-status", role: "status", "aria-live": "polite" });
  const list = el("ul", { class: "search-results", id: "search-results" });
  const more = el("button", { type: "button", class: "search-more" }, ui.more);
  const choices = boxes.map(([o, box]) => el("label", { class: "search-also", for: box.id }, box, o.also));
  const panel = el("div", { class: "search-panel", id: "search-panel" }, ...choices, status, list, more);
  panel.hidden = true;
  form.append(panel);
  input.setAttribute("aria-controls", panel.id);

  let seq = 0;
  let timer = 0;
  let limit = SHOWN;
  const links = () => Array.from(list.querySelectorAll("a.r-link"));
  const close = () => { panel.hidden = true; };
  const also = () => boxes.filter(([, box]) => box.checked).map(([o]) => o);

  async function run() {
    const term = input.value.trim();
    const n = ++seq;
    if (!term) { list.replaceChildren(); status.textContent = ""; more.hidden = true; close(); return; }
    panel.hidden = false;
    status.textContent = ui.loading;
    let out = null;
    try { out = await find(term, also(), limit); } catch (e) { console.warn("search:", e); }
    if (n !== seq) return; // a later keystroke has its own search
    list.replaceChildren(...(out ? out.results : []).map((r) => item(r, here)));
    status.textContent = out && out.total ? count(ui.count, out.total, here.tag) : ui.none;
    more.hidden = !out || out.total <= limit;
  }
  const later = () => { clearTimeout(timer); limit = SHOWN; timer = setTimeout(run, 120); };

  input.addEventListener("input", later);
  for (const [, box] of boxes) box.addEventListener("change", () => { limit = SHOWN; run(); });
  more.addEventListener("click", () => { limit += SHOWN; run(); });
  input.addEventListener("focus", () => { if (input.value.trim()) panel.hidden = false; });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const first = links()[0];
    if (first && !panel.hidden) location.assign(first.href);
  });
  form.addEventListener("keydown", (e) => {
    const items = links();
    const at = items.indexOf(document.activeElement);
    if (e.key === "Escape" && !panel.hidden) {
      e.preventDefault(); // also keeps the query in the box
      input.focus(); // first: focusing the box opens the panel
      close();
    } else if (e.key === "ArrowDown" && items.length && (e.target === input || at >= 0)) {
      e.preventDefault();
      panel.hidden = false;
      items[Math.min(at + 1, items.length - 1)].focus();
    } else if (e.key === "ArrowUp" && at >= 0) {
      e.preventDefault();
      (at > 0 ? items[at - 1] : input).focus();
    }
  });
  form.addEventListener("focusout", (e) => { if (e.relatedTarget && !form.contains(e.relatedTarget)) close(); });
  document.addEventListener("pointerdown", (e) => { if (!form.contains(e.target)) close(); });
  run(); // the keystroke that loaded this module
}

// One result: its link (in its own language and direction), where it is, the text around
// the words found, and the same place in each other language.
function item(r, here) {
  const own = r.lang === here.lang;
  const lang = own ? { path: here.lang, tag: here.tag, dir: document.documentElement.dir }
    : here.others.find((o) => o.path === r.lang) || { path: r.lang, tag: r.lang, dir: "auto", name: r.lang };
  const marked = () => r.excerpt.map(([text, on]) => (on ? el("mark", {}, text) : text));
  const where = r.kind === "para" ? fmt(document.body.dataset.paragraph || "{n}", { n: r.para }) : r.label;
  // A section's record is its title: the title itself shows the marks.
  const section = r.kind === "section";
  const link = el("a", { class: "r-link", href: r.href, hreflang: own ? null : lang.tag },
    el("span", { class: "r-title", lang: lang.tag, dir: lang.dir }, ...(section ? marked() : [r.title])));
  if (where) link.append(" ", el("bdi", { class: "r-meta", lang: r.kind === "para" ? null : lang.tag }, where));
  if (!own) link.append(" ", el("span", { class: "r-lang" }, lang.name));
  const targets = [{ path: here.lang, tag: here.tag, same: here.same }, ...here.others].filter((o) => o.path !== r.lang);
  const others = targets.map((o) => el("a", { class: "r-other", href: sameIn(r.url, r.lang, o.path), hreflang: o.tag },
    o.same));
  const tail = others.length ? [el("p", { class: "r-others" }, ...others.flatMap((a, i) => (i ? [" · ", a] : [a])))] : [];
  const body = section ? [] : [el("p", { class: "r-excerpt", lang: lang.tag, dir: lang.dir }, ...marked())];
  return el("li", {}, link, ...body, ...tail);
}
