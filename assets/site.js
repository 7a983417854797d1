// Progressive enhancement for every page. Without it the site still reads and
// navigates; with it: the language switch keeps the reader's place, paragraphs
// get copy buttons, footnotes open in place, the contents follow the reader,
// and the search box comes alive. No inline script or style is used anywhere.
(() => {
  "use strict";
  const body = document.body;
  const data = body.dataset;
  const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

  // An element of the page the reader is looking at, by language-neutral id.
  const anchors = () => Array.from(document.querySelectorAll(".para[id], .figure[id], .prow[id], main h1[id], main h2[id], main h3[id], main h4[id]"));
  function currentAnchor() {
    const hash = decodeURIComponent(location.hash.slice(1));
    const items = anchors();
    if (!items.length) return hash;
    const top = document.querySelector(".site-header").getBoundingClientRect().bottom + 8;
    let best = null;
    for (const el of items) {
      const r = el.getBoundingClientRect();
      if (r.bottom > top) { best = el; break; }
    }
    if (hash) {
      const target = document.getElementById(hash);
      if (target) {
        const r = target.getBoundingClientRect();
        if (r.bottom > 0 && r.top < innerHeight) return hash;
      }
    }
    if (!best || (best === items[0] && window.scrollY < 40)) return "";
    return best.id;
  }

  // 0. The contents are shown beside the text on wide screens (CSS does that without
  // script); opening the <details> there too tells assistive technology it is open.
  const toc = document.querySelector("details.toc");
  if (toc) {
    const wide = matchMedia("(min-width: 64rem)");
    const sync = () => { toc.open = wide.matches; };
    sync();
    wide.addEventListener("change", sync);
  }

  // 1. Language switch: same page, same paragraph.
  for (const link of document.querySelectorAll("[data-lang-switch]")) {
    const base = link.getAttribute("href").split("#")[0];
    const update = () => {
      const id = currentAnchor();
      link.setAttribute("href", id ? base + "#" + encodeURIComponent(id) : base);
    };
    link.addEventListener("pointerenter", update);
    link.addEventListener("focus", update);
    link.addEventListener("click", update);
  }

  // 2. Copy a paragraph's link or its citation.
  const live = document.createElement("div");
  live.className = "visually-hidden";
  live.setAttribute("role", "status");
  body.appendChild(live);
  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    live.textContent = "";
    setTimeout(() => { live.textContent = data.copied + ": " + text; }, 50);
  }
  // The permanent address of a place on this page: the production URL (the canonical link), not the preview's.
  const canonical = document.querySelector("link[rel=canonical]");
  const permalink = (id) => (canonical ? canonical.href.split("#")[0] : location.origin + location.pathname) + "#" + id;
  for (const para of document.querySelectorAll(".para[id]")) {
    // Numbered paragraphs are cited by number ("…, para. 49."); the others by the report and their link.
    const n = para.querySelector(".pnum") ? para.id.slice(5) : "";
    const tools = document.createElement("span");
    tools.className = "ptools";
    const label = n ? fmt(data.paragraph || "{n}", { n }) : "";
    const linkBtn = document.createElement("button");
    linkBtn.type = "button";
    linkBtn.textContent = data.linkShort;
    linkBtn.setAttribute("aria-label", data.copyLink + (label ? " · " + label : ""));
    linkBtn.addEventListener("click", () => copy(permalink(para.id)));
    const citeBtn = document.createElement("button");
    citeBtn.type = "button";
    citeBtn.textContent = data.citeShort;
    citeBtn.setAttribute("aria-label", data.copyCitation + (label ? " · " + label : ""));
    citeBtn.addEventListener("click", () => copy((n ? fmt(data.cite, { n }) : data.citeReport) + " " + permalink(para.id)));
    tools.append(linkBtn, citeBtn);
    para.appendChild(tools);
  }
  // The cover's and figures' "Copy the citation": shown only where the script can copy.
  for (const button of document.querySelectorAll("button[data-copy-text]")) {
    button.hidden = false;
    button.addEventListener("click", () => copy(button.dataset.copyText));
  }

  // 3. Footnotes readable in place, on hover and on keyboard focus.
  const pop = document.createElement("div");
  pop.className = "fn-pop";
  pop.id = "fn-pop";
  pop.setAttribute("role", "tooltip");
  pop.hidden = true;
  body.appendChild(pop);
  let hideTimer = 0;
  function showNote(ref) {
    const note = document.querySelector(ref.getAttribute("href") + " .fn-text");
    if (!note) return;
    clearTimeout(hideTimer);
    pop.innerHTML = "";
    pop.append(...Array.from(note.childNodes, (n) => n.cloneNode(true)));
    pop.hidden = false;
    const r = ref.getBoundingClientRect();
    const left = Math.min(r.left + scrollX, scrollX + document.documentElement.clientWidth - pop.offsetWidth - 8);
    pop.style.left = Math.max(8, left) + "px";
    pop.style.top = r.bottom + scrollY + 6 + "px";
    ref.setAttribute("aria-describedby", "fn-pop");
  }
  function hideNote(ref, now) {
    const done = () => { pop.hidden = true; if (ref) ref.removeAttribute("aria-describedby"); };
    clearTimeout(hideTimer);
    if (now) done(); else hideTimer = setTimeout(done, 250);
  }
  for (const ref of document.querySelectorAll(".fnref a")) {
    ref.addEventListener("mouseenter", () => showNote(ref));
    ref.addEventListener("mouseleave", () => hideNote(ref));
    ref.addEventListener("focus", () => showNote(ref));
    ref.addEventListener("blur", () => hideNote(ref, true));
  }
  pop.addEventListener("mouseenter", () => clearTimeout(hideTimer));
  pop.addEventListener("mouseleave", () => hideNote(null));
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") hideNote(null, true); });

  // 4. The contents follow the reader on the whole-report page.
  const tocLinks = new Map(Array.from(document.querySelectorAll(".toc a[href^='#']"), (a) => [a.getAttribute("href").slice(1), a]));
  if (tocLinks.size && "IntersectionObserver" in window) {
    let current = null;
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const link = tocLinks.get(entry.target.id);
        if (!link || link === current) continue;
        if (current) current.removeAttribute("aria-current");
        link.setAttribute("aria-current", "location");
        current = link;
      }
    }, { rootMargin: "0px 0px -70% 0px" });
    for (const id of tocLinks.keys()) {
      const el = document.getElementById(id);
      if (el) observer.observe(el);
    }
  }

  // 5. Terms of a followed search result, highlighted in the target paragraph.
  const params = new URLSearchParams(location.search);
  const terms = params.getAll("hl").filter((t) => t.trim());
  if (terms.length && location.hash) {
    const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) highlight(target, terms);
  }
  function highlight(root, words) {
    const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).sort((a, b) => b.length - a.length);
    const re = new RegExp("(" + escaped.join("|") + ")", "gi");
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) {
      if (!re.test(node.data) || node.parentElement.closest("button, .pnum")) continue;
      re.lastIndex = 0;
      const frag = document.createDocumentFragment();
      let last = 0;
      node.data.replace(re, (m, g, offset) => {
        frag.append(node.data.slice(last, offset));
        const mark = document.createElement("mark");
        mark.textContent = m;
        frag.append(mark);
        last = offset + m.length;
        return m;
      });
      frag.append(node.data.slice(last));
      node.replaceWith(frag);
    }
  }

  // 6. Search: the box appears with this script; the index loads on first use.
  const form = document.querySelector("[data-search]");
  if (form) {
    form.hidden = false;
    const input = form.querySelector("input");
    let loaded = null;
    const load = () => {
      if (!loaded) loaded = import(form.dataset.searchModule).catch(() => null);
      return loaded;
    };
    form.addEventListener("submit", (e) => e.preventDefault());
    input.addEventListener("focus", () => { load(); }, { once: true });
    input.addEventListener("input", () => { load().then((m) => m && m.attach && m.attach(form)); }, { once: true });
  }
})();
