// The correction editor: the recording and the transcript in one place, keyboard first.
// Streamlit (components v2) calls the default export on every rerun with new `data`; the
// editor is built once per mount and keeps its own state, so typing, highlighting and
// seeking never wait for the server. Changes go to the server in the background as
// operations with the version they were made on (see transcribe/changes.py).
// Plain files by concern, joined in order into this one module (web/correction.py):
// editor-text.js (helpers on text), editor-search.js (search and replace),
// editor-speakers.js (who speaks), editor-saving.js (saving, the stored version,
// messages), editor-gaps.js (the marks of speech with no text), and this one (the page,
// drawing, the caret, editing, keys).

const INSTANCES = new WeakMap();
const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];
const JUMP = 3; // seconds, F1 / F2
const REWIND = 1; // seconds given back on pause, like a transcription pedal
const FIRST_TURNS = 40; // drawn at once (a screenful and more); the rest right after
const SAVE_AFTER = 800; // ms of quiet typing before a text change is sent
const RESEND_AFTER = 15000; // ms without an answer: the batch is sent again
const PREFS = "transcribe.editor.prefs";
const STATES = ["saving", "saved", "not_all_saved", "not_saved"]; // the saving status

class Editor {
  constructor(root) {
    this.root = root;
    this.segs = null;
    this.version = null;
    this.uid = 0;
    this.fetches = 0;
    this.drawings = 0;
    this.outbox = [];
    this.inflight = null;
    this.undoStack = [];
    this.redoStack = [];
    this.dirty = new Set();
    this.matches = [];
    this.current = -1;
    this.lastTyping = 0;
    this.refused = []; // what the person typed in edits the server refused
    this.speakerRun = null; // the last presses of a speaker key (editor-speakers.js)
    this.isGone = false;
    this.prefs = { rate: 1, follow: true, font: 17 };
    try { Object.assign(this.prefs, JSON.parse(localStorage.getItem(PREFS) || "{}")); } catch (e) { /* none */ }
    this.build();
  }

  // -- the page --------------------------------------------------------------------------

  build() {
    const box = document.createElement("div");
    box.className = "te";
    box.innerHTML = `
      <div class="te-bar" role="toolbar">
        <audio class="te-audio" controls preload="metadata"></audio>
        <span class="te-group">
          <button type="button" class="te-slower"></button>
          <output class="te-rate" aria-live="polite"></output>
          <button type="button" class="te-faster"></button>
        </span>
        <label class="te-group"><input type="checkbox" class="te-follow"> <span class="te-follow-label"></span></label>
        <span class="te-group">
          <button type="button" class="te-smaller"></button>
          <button type="button" class="te-larger"></button>
        </span>
        <span class="te-group">
          <button type="button" class="te-undo"></button>
          <button type="button" class="te-redo"></button>
        </span>
        <output class="te-segments"></output>
        <span class="te-status-box">
          <span class="te-status" role="status" aria-live="polite"></span>
          <span class="te-status-sizer" aria-hidden="true"></span>
        </span>
        <button type="button" class="te-help-button" aria-expanded="false"></button>
      </div>
      <div class="te-bar te-find" role="search">
        <input type="search" class="te-search">
        <output class="te-count" aria-live="polite"></output>
        <button type="button" class="te-prev"></button>
        <button type="button" class="te-next"></button>
        <input type="text" class="te-with">
        <button type="button" class="te-replace"></button>
        <button type="button" class="te-replace-all"></button>
      </div>
      <div class="te-help" role="dialog" hidden><h3></h3><table><tbody></tbody></table><p class="te-help-note"></p></div>
      <div class="te-message" role="alert" hidden>
        <div class="te-message-body"><p class="te-message-text"></p><div class="te-refused" hidden></div></div>
        <button type="button" class="te-dismiss">×</button>
      </div>
      <div class="te-doc" role="document" tabindex="-1"></div>`;
    this.root.appendChild(box);
    const $ = (selector) => box.querySelector(selector);
    Object.assign(this, {
      box, audio: $(".te-audio"), rateOut: $(".te-rate"), follow: $(".te-follow"),
      status: $(".te-status"), help: $(".te-help"), helpButton: $(".te-help-button"),
      message: $(".te-message"), doc: $(".te-doc"), search: $(".te-search"),
      count: $(".te-count"), replaceWith: $(".te-with"), segCount: $(".te-segments"),
      messageText: $(".te-message-text"), messageRefused: $(".te-refused"),
      dismissButton: $(".te-dismiss"), undoButton: $(".te-undo"), redoButton: $(".te-redo"),
    });
    this.follow.checked = !!this.prefs.follow;
    this.applyFont();
    $(".te-slower").onclick = () => this.changeRate(-1);
    $(".te-faster").onclick = () => this.changeRate(1);
    $(".te-smaller").onclick = () => this.changeFont(-1);
    $(".te-larger").onclick = () => this.changeFont(1);
    $(".te-undo").onclick = () => this.undo();
    $(".te-redo").onclick = () => this.redo();
    $(".te-prev").onclick = () => this.jumpMatch(-1);
    $(".te-next").onclick = () => this.jumpMatch(1);
    $(".te-replace").onclick = () => this.replace(false);
    $(".te-replace-all").onclick = () => this.replace(true);
    this.helpButton.onclick = () => this.toggleHelp();
    this.follow.onchange = () => { this.prefs.follow = this.follow.checked; this.savePrefs(); };
    this.search.addEventListener("input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.find(), 120);
    });
    this.search.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); this.jumpMatch(e.shiftKey ? -1 : 1); }
    });
    this.audio.addEventListener("play", () => { this.audio.playbackRate = this.prefs.rate; this.tick(); });
    this.audio.addEventListener("seeked", () => this.highlight());
    this.audio.addEventListener("timeupdate", () => this.highlight());
    this.audio.addEventListener("loadedmetadata", () => { this.audio.playbackRate = this.prefs.rate; });
    this.doc.addEventListener("input", (e) => this.onInput(e));
    this.doc.addEventListener("focusout", (e) => this.onBlur(e));
    this.doc.addEventListener("click", (e) => this.onClick(e));
    this.watchSelecting();
    this.doc.addEventListener("paste", (e) => {
      // Plain text only: formatting or line breaks would not survive the save anyway.
      e.preventDefault();
      document.execCommand("insertText", false, (e.clipboardData.getData("text/plain") || "").replace(/\s+/g, " "));
    });
    this.onKey = (e) => this.keydown(e);
    document.addEventListener("keydown", this.onKey, true);
    // A click anywhere in the editor but on the message is the next action: a passing
    // message goes (before what the click does, which may say something new).
    box.addEventListener("click", (e) => { if (!this.message.contains(e.target)) this.passing(); }, true);
    this.dismissButton.onclick = () => this.dismiss();
    this.messageRefused.addEventListener("click", (e) => {
      const copy = e.target.closest(".te-copy");
      if (copy) this.copyRefused(copy);
    });
    this.startWatching();
  }

  label(key) { return (this.strings && this.strings[key]) || key; }

  labels() {
    const s = (selector, key, attribute) => {
      const element = this.box.querySelector(selector);
      if (attribute) element.setAttribute(attribute, this.label(key));
      else element.textContent = this.label(key);
    };
    // A button drawn as a symbol is named by the symbol and what it does: a name holds
    // what is shown (WCAG 2.5.3), so "A minus" said to speech control finds it too.
    const glyph = (selector, shown, key) => {
      const element = this.box.querySelector(selector);
      element.textContent = shown;
      element.setAttribute("aria-label", `${shown} ${this.label(key)}`);
      element.setAttribute("title", this.label(key));
    };
    this.box.setAttribute("lang", this.lang);
    s(".te-bar", "toolbar", "aria-label");
    s(".te-audio", "player", "aria-label");
    glyph(".te-slower", "−", "slower"); glyph(".te-faster", "+", "faster");
    s(".te-follow-label", "follow");
    glyph(".te-smaller", "A−", "smaller"); glyph(".te-larger", "A+", "larger");
    s(".te-undo", "undo"); s(".te-redo", "redo");
    s(".te-undo", "undo_key", "title"); s(".te-redo", "redo_key", "title");
    s(".te-help-button", "keys");
    s(".te-find", "find", "aria-label");
    s(".te-search", "search", "aria-label"); s(".te-search", "search", "placeholder");
    glyph(".te-prev", "↑", "previous"); glyph(".te-next", "↓", "next");
    s(".te-with", "with", "aria-label"); s(".te-with", "with", "placeholder");
    s(".te-replace", "replace"); s(".te-replace-all", "replace_all");
    s(".te-doc", "document", "aria-label");
    s(".te-help h3", "keys");
    s(".te-help-note", "keys_note");
    s(".te-dismiss", "dismiss", "aria-label"); s(".te-dismiss", "dismiss", "title");
    // Every status the same width: the toolbar never moves when it changes.
    this.box.querySelector(".te-status-sizer").innerHTML = STATES.map((state) => `<span>${escapeHtml(this.label(state))}</span>`).join("");
    this.status.dataset.state = "";
    this.help.setAttribute("aria-label", this.label("keys"));
    this.help.querySelector("tbody").innerHTML = (this.strings.key_rows || []).map(
      ([keys, what]) => `<tr><th scope="row"><kbd>${escapeHtml(keys)}</kbd></th><td>${escapeHtml(what)}</td></tr>`).join("");
    this.showRate();
    this.showStatus();
  }

  // -- data from the server -----------------------------------------------------------

  update(data, trigger) {
    this.trigger = trigger;
    if (this.isGone) return; // deleted: nothing of it drawn again
    if (data.strings && (data.lang !== this.lang || !this.strings)) {
      this.strings = data.strings;
      this.lang = data.lang;
      this.labels();
      if (this.segs) this.render();
    }
    if (data.audio && this.audio.getAttribute("src") !== data.audio) this.audio.setAttribute("src", data.audio);
    if (data.ack && this.inflight && data.ack.id === this.inflight.id) this.acknowledged(data.ack);
    // The data names where the stored transcript is, and its version when the page has just
    // read it: fetched when this tab has none (first drawn, or mounted again after another
    // page) or an older one.
    if (data.doc) {
      this.docUrl = data.doc.url;
      if (!this.segs || (data.doc.version !== null && data.doc.version !== this.version)) this.fetchDoc();
    }
    this.reloadIfQuiet();
  }

  // The transcript comes over plain HTTP (gzipped, behind the same password gate), not in
  // the component's data: a 3-hour interview opens in a fraction of the time.
  async fetchDoc() {
    const ticket = ++this.fetches;
    let doc;
    try {
      const response = await fetch(this.docUrl, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error(response.status === 404 || response.status === 410 ? "gone" : "load_failed");
      doc = await response.json();
    } catch (error) {
      if (ticket !== this.fetches) return;
      if (error.message === "gone") this.gone("gone");
      else this.say(this.label("load_failed"), "error");
      return;
    }
    if (ticket !== this.fetches || this.isGone) return; // a later request answers instead
    if (!this.segs) { this.load(doc); this.sayUndoLost(); }
    else if (doc.version !== this.version) this.pendingDoc = doc;
    this.reloadIfQuiet();
  }

  load(doc, keepView) {
    const anchor = keepView ? this.anchor() : null;
    // The transcript is read out in the language spoken, not the interface's.
    if (doc.language) this.doc.setAttribute("lang", doc.language);
    else this.doc.removeAttribute("lang");
    this.version = doc.version;
    this.duration = doc.duration;
    this.speakers = doc.speakers;
    this.segs = doc.segments.map(([start, end, spk, toks]) => ({ u: ++this.uid, start, end, spk, toks }));
    this.loadGaps(doc.gaps);
    this.pendingDoc = null;
    // Another copy: the undo steps name segments of the old one, they start anew (said).
    const undone = keepView && (this.undoStack.length || this.redoStack.length);
    this.undoStack = [];
    this.redoStack = [];
    this.speakerRun = null;
    this.render();
    if (anchor) this.restore(anchor);
    if (this.search.value) this.find();
    if (this.changedElsewhere && keepView) this.say(this.label("changed_elsewhere"), "info");
    this.changedElsewhere = false;
    if (undone) this.addNote(this.label("undo_reset"));
    this.showStatus();
    if (!this.opened) this.focusText();
    window.transcribeEditorReady = performance.now();
  }

  // Opening a transcript is to read or correct it: the focus goes to its text (from the
  // link that opened it, the page's body once that link is gone, or the navigation's),
  // unless the person has already gone elsewhere on the page meanwhile.
  focusText() {
    this.opened = true;
    const active = document.activeElement;
    const first = this.segs.length && this.elements.get(this.segs[0].u);
    const elsewhere = active && active !== document.body && !this.box.contains(active)
      && !active.closest('[data-testid="stSidebarNav"]');
    if (!first || elsewhere) return;
    this.placeCaret(first, 0);
    first.scrollIntoView({ block: "nearest" });
  }

  reloadIfQuiet() {
    // A copy of what this tab already has (its own saves) changes nothing: no redraw.
    if (this.pendingDoc && this.pendingDoc.version === this.version) this.pendingDoc = null;
    if (!this.pendingDoc || this.outbox.length || this.inflight || this.dirty.size) return;
    this.load(this.pendingDoc, true);
  }

  // -- rendering ----------------------------------------------------------------------

  speakerName(id) {
    const found = this.speakers.find(([key]) => key === id);
    return found ? found[1] : (id === null ? this.label("unknown") : id);
  }

  toksHtml(seg) {
    return seg.toks.map((t, k) => `<span class="te-w${t[3] ? " te-unc" : ""}" data-k="${k}">${escapeHtml(t[0])}</span>`).join(" ");
  }

  segHtml(seg) {
    const words = this.toksHtml(seg);
    const label = `${clock(seg.start)} ${this.speakerName(seg.spk)}`;
    return `<span class="te-seg" contenteditable="true" spellcheck="true" role="textbox" aria-label="${escapeHtml(label)}" data-u="${seg.u}">${words}</span>`;
  }

  turns() {
    const turns = [];
    for (let a = 0; a < this.segs.length;) {
      let b = a;
      while (b + 1 < this.segs.length && this.segs[b + 1].spk === this.segs[a].spk) b++;
      turns.push([a, b]);
      a = b + 1;
    }
    return turns;
  }

  // What a turn's drawing depends on beyond its segments' own text: who speaks, which
  // segments (a split or a merge changes these).
  signature([a, b]) {
    let text = `${this.segs[a].spk}|${a ? "" : this.gapSignature(-1)}`;
    for (let i = a; i <= b; i++) text += `${this.segs[i].u}${this.gapSignature(this.segs[i].u)},`;
    return text;
  }

  turnHtml([a, b]) {
    const segs = this.segs;
    const start = clock(segs[a].start);
    const name = escapeHtml(this.speakerName(segs[a].spk));
    const body = [];
    if (a === 0) body.push(this.gapsHtml(-1, segs[a].spk)); // speech before the first words
    for (let i = a; i <= b; i++) body.push(this.segHtml(segs[i]) + this.gapsHtml(segs[i].u, segs[a].spk));
    return `<section class="te-turn" data-u="${segs[a].u}"><div class="te-head" lang="${escapeHtml(this.lang)}">`
      + `<button type="button" tabindex="-1" class="te-spk" data-u="${segs[a].u}" title="${escapeHtml(this.label("speaker_key"))}">${name}</button>`
      + `<button type="button" tabindex="-1" class="te-time" data-t="${segs[a].start}" aria-label="${escapeHtml(this.label("play_from").replace("{time}", start))}">${start}</button>`
      + `</div><p class="te-text">${body.join(" ")}</p></section>`;
  }

  render() {
    this.placeGaps();
    const turns = this.turns();
    this.signatures = turns.map((turn) => this.signature(turn));
    this.elements = new Map();
    this.index = null;
    this.lit = null;
    this.rest = null;
    this.drawings++;
    this.countSegs();
    if (!turns.length) {
      this.doc.innerHTML = `<p class="te-empty">${escapeHtml(this.label("empty"))}</p><p class="te-text">${this.gapsHtml(-1)}</p>`;
      return;
    }
    // The first screenful now; the rest of a long document once that is painted (a
    // 3-hour interview: a few hundred milliseconds nobody waits for). Anything that needs
    // the whole document draws the rest first (`whole`).
    const first = Math.min(turns.length, FIRST_TURNS);
    this.doc.innerHTML = turns.slice(0, first).map((turn) => this.turnHtml(turn)).join("");
    this.collect(this.doc);
    if (first < turns.length) {
      this.rest = turns.slice(first);
      const drawing = this.drawings;
      requestAnimationFrame(() => setTimeout(() => { if (drawing === this.drawings) this.whole(); }, 0));
    } else {
      window.transcribeEditorDrawn = performance.now();
    }
  }

  whole() {
    if (!this.rest) return;
    const template = document.createElement("template");
    template.innerHTML = this.rest.map((turn) => this.turnHtml(turn)).join("");
    this.rest = null;
    this.collect(template.content);
    this.doc.appendChild(template.content);
    window.transcribeEditorDrawn = performance.now();
  }

  collect(root) {
    for (const element of root.querySelectorAll(".te-seg")) this.elements.set(+element.dataset.u, element);
  }

  // After a split, a merge or a change of speaker: only the turns that changed are drawn
  // again (the rest of a 3-hour document stays as it is).
  redraw() {
    this.whole();
    const old = this.signatures;
    if (!old || !old.length || !this.segs.length) { this.render(); return; }
    this.placeGaps();
    const turns = this.turns();
    const signatures = turns.map((turn) => this.signature(turn));
    let head = 0;
    while (head < old.length && head < signatures.length && old[head] === signatures[head]) head++;
    let tail = 0;
    while (tail < old.length - head && tail < signatures.length - head
      && old[old.length - 1 - tail] === signatures[signatures.length - 1 - tail]) tail++;
    const sections = [...this.doc.children];
    const after = sections[old.length - tail] || null;
    for (const section of sections.slice(head, old.length - tail)) {
      for (const element of section.querySelectorAll(".te-seg")) this.elements.delete(+element.dataset.u);
      section.remove();
    }
    const template = document.createElement("template");
    template.innerHTML = turns.slice(head, signatures.length - tail).map((turn) => this.turnHtml(turn)).join("");
    for (const element of template.content.querySelectorAll(".te-seg")) this.elements.set(+element.dataset.u, element);
    this.doc.insertBefore(template.content, after);
    this.signatures = signatures;
    this.index = null;
    if (this.lit && !this.lit.isConnected) this.lit = null;
    this.countSegs();
  }

  // How many segments, following splits and merges (the page's caption is drawn once).
  countSegs() {
    const text = this.label("segments").replace("{count}", this.segs.length);
    if (this.segCount.textContent !== text) this.segCount.textContent = text;
  }

  rerenderSeg(i) {
    this.whole();
    const element = this.elements.get(this.segs[i].u);
    if (!element || element === document.activeElement) return;
    element.innerHTML = this.toksHtml(this.segs[i]);
    this.index = null;
    this.lit = null;
  }

  // The segment at the top of the view (or the one being edited) and where it sits, so
  // that a redraw leaves the reader where they were.
  anchor() {
    this.whole();
    const focused = this.focusedSeg();
    const view = this.doc.getBoundingClientRect();
    let element = focused;
    if (!element) {
      element = [...this.elements.values()].find((e) => e.getBoundingClientRect().bottom > view.top);
    }
    if (!element) return null;
    const seg = this.segs.find((s) => s.u === +element.dataset.u);
    return seg && { start: seg.start, top: element.getBoundingClientRect().top - view.top, caret: focused ? this.caret() : null };
  }

  restore(anchor) {
    this.whole();
    const i = this.segs.findIndex((s) => Math.abs(s.start - anchor.start) < 1e-3);
    if (i < 0) return;
    const element = this.elements.get(this.segs[i].u);
    const view = this.doc.getBoundingClientRect();
    this.doc.scrollTop += element.getBoundingClientRect().top - view.top - anchor.top;
    if (anchor.caret !== null) this.placeCaret(element, Math.min(anchor.caret, element.textContent.length));
  }

  // -- follow-along ----------------------------------------------------------------------

  buildIndex() {
    const starts = [];
    const where = [];
    this.segs.forEach((seg, i) => seg.toks.forEach((t, k) => {
      starts.push(t[1] === null ? seg.start : t[1]);
      where.push([i, k]);
    }));
    this.index = { starts, where };
  }

  tokenAt(time) {
    if (!this.index) this.buildIndex();
    const { starts } = this.index;
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0 || time < starts[0]) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= time) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  highlight() {
    this.whole();
    if (!this.segs) return;
    this.stopAtGapEnd();
    const n = this.tokenAt(this.audio.currentTime);
    const [i, k] = n >= 0 ? this.index.where[n] : [-1, -1];
    const element = i >= 0 ? this.elements.get(this.segs[i].u)?.querySelector(`[data-k="${k}"]`) : null;
    if (element === this.lit) return;
    if (this.lit) this.lit.classList.remove("te-now");
    this.lit = element;
    if (!element) return;
    element.classList.add("te-now");
    if (this.follow.checked && Date.now() - this.lastTyping > 2500) this.reveal(element);
  }

  reveal(element) {
    const view = this.doc.getBoundingClientRect();
    const box = element.getBoundingClientRect();
    if (box.top < view.top + 40 || box.bottom > view.bottom - 40) {
      this.doc.scrollTop += box.top - view.top - view.height / 3;
    }
  }

  tick() {
    this.highlight();
    if (!this.audio.paused) requestAnimationFrame(() => this.tick());
  }

  // -- playback ------------------------------------------------------------------------

  playFrom(time) {
    this.audio.currentTime = Math.max(0, time);
    this.audio.play().catch(() => {});
    this.highlight();
  }

  togglePlay() {
    if (this.audio.paused) this.audio.play().catch(() => {});
    else {
      this.audio.pause();
      this.audio.currentTime = Math.max(0, this.audio.currentTime - REWIND);
    }
  }

  changeRate(step) {
    const at = SPEEDS.indexOf(this.prefs.rate);
    const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (at < 0 ? 2 : at) + step))];
    this.prefs.rate = next;
    this.audio.playbackRate = next;
    this.audio.defaultPlaybackRate = next;
    this.savePrefs();
    this.showRate();
  }

  showRate() {
    this.rateOut.textContent = `${this.prefs.rate}×`;
    this.rateOut.setAttribute("aria-label", `${this.label("speed")} ${this.prefs.rate}×`);
  }

  changeFont(step) {
    this.prefs.font = Math.min(28, Math.max(12, this.prefs.font + 2 * step));
    this.applyFont();
    this.savePrefs();
  }

  applyFont() { this.box.style.setProperty("--te-font", `${this.prefs.font}px`); }

  savePrefs() { try { localStorage.setItem(PREFS, JSON.stringify(this.prefs)); } catch (e) { /* private mode */ } }

  // -- the caret -------------------------------------------------------------------------

  focusedSeg() {
    const active = document.activeElement;
    return active && active.classList && active.classList.contains("te-seg") && this.doc.contains(active) ? active : null;
  }

  segIndexOf(element) {
    const u = +element.dataset.u;
    return this.segs.findIndex((s) => s.u === u);
  }

  caret() {
    const element = this.focusedSeg();
    const selection = document.getSelection();
    if (!element || !selection.rangeCount) return null;
    const range = selection.getRangeAt(0);
    if (!element.contains(range.startContainer)) return null;
    const before = document.createRange();
    before.setStart(element, 0);
    before.setEnd(range.startContainer, range.startOffset);
    return before.toString().length;
  }

  placeCaret(element, offset) {
    element.focus({ preventScroll: true });
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let left = offset;
    let node = walker.nextNode();
    while (node) {
      if (left <= node.length) {
        document.getSelection().collapse(node, left);
        return;
      }
      left -= node.length;
      node = walker.nextNode();
    }
    document.getSelection().selectAllChildren(element);
    document.getSelection().collapseToEnd();
  }

  // The token the caret is in or just before (text offsets over tokens joined by spaces).
  tokenAtOffset(seg, offset) {
    let position = 0;
    for (let k = 0; k < seg.toks.length; k++) {
      const end = position + seg.toks[k][0].length;
      if (offset <= end) return { k, start: position, end };
      position = end + 1;
    }
    return { k: seg.toks.length, start: position, end: position };
  }

  // -- editing -------------------------------------------------------------------------

  onInput(e) {
    this.whole();
    const element = e.target.closest && e.target.closest(".te-seg");
    if (!element) return;
    this.dirty.add(+element.dataset.u);
    this.lastTyping = Date.now();
    this.showStatus();
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.commitText(), SAVE_AFTER);
  }

  onBlur(e) {
    const element = e.target.closest && e.target.closest(".te-seg");
    if (!element || !this.segs) return;  // a transcript gone with the focus in its text
    this.commitText();
    const i = this.segIndexOf(element);
    if (i >= 0 && !element.contains(document.activeElement)) {
      // Typing may have left stray markup in the box: draw it again from the model.
      requestAnimationFrame(() => { if (document.activeElement !== element) this.rerenderSeg(i); });
    }
  }

  // Text typed into segments becomes "text" operations (one undo step per pause).
  commitText() {
    this.whole();
    clearTimeout(this.typingTimer);
    if (!this.dirty.size) return;
    const intents = [];
    for (const u of this.dirty) {
      const i = this.segs.findIndex((s) => s.u === u);
      const element = this.elements.get(u);
      if (i < 0 || !element) continue;
      const text = words(element.textContent).join(" ");
      if (text !== segText(this.segs[i])) intents.push({ op: "text", u, text });
    }
    this.dirty.clear();
    if (intents.length) this.perform(intents, false);
    this.showStatus();
  }

  // Apply intents here, at once; queue what the server must do and keep the way back.
  perform(intents, redraw = true, record = true) {
    this.whole();
    const inverse = [];
    for (const intent of intents) {
      const back = this.applyLocal(intent);
      if (back) inverse.unshift(...back);
    }
    if (record && inverse.length) {
      this.undoStack.push({ forward: intents, inverse });
      this.redoStack = [];
    }
    this.index = null;
    if (redraw) {
      const anchor = this.anchor();
      this.redraw();
      if (anchor) this.restore(anchor);
      if (this.search.value) this.find(true);
    }
    this.flush();
    return inverse;
  }

  // One intent on the local copy; returns the intents that undo it. Each also queues the
  // operation for the server, naming the segment as the server knows it now.
  applyLocal(intent) {
    const segs = this.segs;
    const i = intent.u !== undefined ? segs.findIndex((s) => s.u === intent.u) : -1;
    const seg = segs[i];
    const wire = (op, extra) => this.outbox.push({ op, seg: i, start: seg.start, ...extra });
    switch (intent.op) {
      case "text": {
        if (!seg) return null;
        const old = seg.toks.map((t) => t.slice());
        wire("text", { old: segText(seg), text: intent.text });
        seg.toks = intent.toks ? intent.toks.map((t) => t.slice()) : retime(seg.toks, words(intent.text), seg.start, seg.end);
        const element = this.elements.get(seg.u);
        if (element && element !== document.activeElement) this.rerenderSeg(i);
        return [{ op: "text", u: seg.u, text: old.map((t) => t[0]).join(" "), toks: old }];
      }
      case "split": {
        if (!seg || intent.at <= 0 || intent.at >= seg.toks.length) return null;
        const cut = intent.cut !== undefined ? intent.cut : (seg.toks[intent.at][1] ?? seg.start);
        const end = seg.end;
        wire("split", { old: segText(seg), at: intent.at, cut, end: intent.end });
        const second = { u: intent.newU || ++this.uid, start: Math.min(Math.max(cut, seg.start), seg.end), end, spk: seg.spk, toks: seg.toks.slice(intent.at) };
        seg.toks = seg.toks.slice(0, intent.at); // drawn again with its turn (perform redraws)
        seg.end = intent.end !== undefined ? Math.min(Math.max(intent.end, seg.start), second.start) : second.start;
        segs.splice(i + 1, 0, second);
        return [{ op: "merge", u: second.u }];
      }
      case "merge": {
        if (!seg || i === 0) return null;
        const previous = segs[i - 1];
        wire("merge", { prev: previous.start });
        const back = [{ op: "split", u: previous.u, at: previous.toks.length, cut: seg.start, end: previous.end, newU: seg.u }];
        if (seg.spk !== previous.spk) back.push({ op: "speaker", u: seg.u, speaker: seg.spk });
        previous.toks = previous.toks.concat(seg.toks);
        previous.end = Math.max(previous.end, seg.end);
        segs.splice(i, 1);
        this.rerenderSeg(i - 1); // its turn may be drawn again or not: its words changed
        return back;
      }
      case "speaker": {
        if (!seg) return null;
        const old = seg.spk;
        wire("speaker", { speaker: intent.speaker, from: old });
        seg.spk = intent.speaker;
        return [{ op: "speaker", u: seg.u, speaker: old }];
      }
      case "gap":
        return this.applyGap(intent);
      case "fill":
        return this.fillLocal(intent);
      case "unfill":
        return this.unfillLocal(intent);
      default:
        return null;
    }
  }

  undo() {
    this.whole();
    this.commitText();
    const step = this.undoStack.pop();
    if (!step) return;
    this.perform(step.inverse, true, false);
    this.redoStack.push(step);
    this.showStatus();
  }

  redo() {
    this.whole();
    this.commitText();
    const step = this.redoStack.pop();
    if (!step) return;
    const inverse = this.perform(step.forward, true, false);
    this.undoStack.push({ forward: step.forward, inverse });
    this.showStatus();
  }

  splitAtCaret() {
    const element = this.focusedSeg();
    if (!element) return;
    const offset = this.caret();
    this.commitText();
    const i = this.segIndexOf(element);
    const seg = this.segs[i];
    // Before the word the caret is at the start of, after the one it ends; inside a word,
    // at the nearer end.
    const { k, start, end } = this.tokenAtOffset(seg, offset);
    const at = offset <= start ? k : offset >= end ? k + 1 : (offset - start) * 2 >= end - start ? k + 1 : k;
    // At the sentence's start or end: a new turn there (editor-speakers.js).
    if (at <= 0 || at >= seg.toks.length) { this.newTurn(element, at > 0); return; }
    this.perform([{ op: "split", u: seg.u, at }]);
    this.placeCaret(this.elements.get(this.segs[i + 1].u), 0);
  }

  mergeWithPrevious(element) {
    this.commitText();
    const i = this.segIndexOf(element);
    if (i <= 0) return;
    const previous = this.segs[i - 1];
    const offset = segText(previous).length + 1;
    this.perform([{ op: "merge", u: this.segs[i].u }]);
    this.placeCaret(this.elements.get(previous.u), offset);
  }

  nextUncertain(step) {
    this.whole();
    if (!this.index) this.buildIndex();
    const { where } = this.index;
    const element = this.focusedSeg();
    let from = this.tokenAt(this.audio.currentTime);
    if (element) {
      const i = this.segIndexOf(element);
      const { k } = this.tokenAtOffset(this.segs[i], this.caret() ?? 0);
      from = where.findIndex(([a, b]) => a === i && b === k);
      if (step > 0 && from < 0) from = where.findIndex(([a]) => a > i) - 1;
    }
    for (let n = from + step; n >= 0 && n < where.length; n += step) {
      const [i, k] = where[n];
      if (this.segs[i].toks[k][3]) {
        const target = this.elements.get(this.segs[i].u);
        const word = target.querySelector(`[data-k="${k}"]`);
        let offset = 0;
        for (let j = 0; j < k; j++) offset += this.segs[i].toks[j][0].length + 1;
        this.placeCaret(target, offset);
        if (word) this.reveal(word);
        this.audio.currentTime = this.segs[i].toks[k][1] ?? this.segs[i].start;
        this.highlight();
        return;
      }
    }
  }

  // -- clicks and keys -----------------------------------------------------------------

  onClick(e) {
    this.whole();
    const time = e.target.closest(".te-time");
    if (time) { this.playFrom(+time.dataset.t); return; }
    const gap = e.target.closest(".te-gap");
    if (gap) { this.playGap(gap); return; }
    const speaker = e.target.closest(".te-spk");
    if (speaker) {
      // The name heads the turn: a click changes the whole turn's speaker, as Ctrl+F8.
      const element = this.elements.get(+speaker.dataset.u);
      if (element) this.changeSpeaker(element, 1, true);
      return;
    }
    const word = e.target.closest(".te-w");
    if (word && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      const seg = this.segs[this.segIndexOf(word.closest(".te-seg"))];
      const token = seg && seg.toks[+word.dataset.k];
      if (token) this.playFrom(token[1] ?? seg.start);
    }
  }

  playFromCaret() {
    const element = this.focusedSeg();
    if (!element) return;
    this.commitText();
    const seg = this.segs[this.segIndexOf(element)];
    const { k } = this.tokenAtOffset(seg, this.caret() ?? 0);
    const token = seg.toks[Math.min(k, seg.toks.length - 1)];
    this.playFrom(token ? token[1] ?? seg.start : seg.start);
  }

  keydown(e) {
    this.whole();
    if (!this.segs || !this.box.isConnected || !this.box.getClientRects().length) return;
    // Keys act inside the editor, and anywhere on the page but another form field.
    const target = e.target instanceof Element ? e.target : document.body;
    if (!this.box.contains(target) && target.closest("input, textarea, select, button, [contenteditable], [role=combobox], [role=grid], [role=dialog]")) return;
    const seg = e.target.closest && e.target.closest(".te-seg");
    const gap = e.target.closest && e.target.closest(".te-gap");
    const key = e.key;
    const ctrl = e.ctrlKey || e.metaKey;
    if (!["Control", "Shift", "Alt", "Meta"].includes(key)) this.passing();
    let done = true;
    if (key === "Escape" && !this.help.hidden) this.toggleHelp(false);
    else if (key === "Escape" || (ctrl && key === " ")) this.togglePlay();
    else if (key === "F1") this.jump(-JUMP);
    else if (key === "F2") this.jump(JUMP);
    else if (e.altKey && key === "ArrowDown") this.changeRate(-1);
    else if (e.altKey && key === "ArrowUp") this.changeRate(1);
    else if (key === "F4") this.nextUncertain(e.shiftKey ? -1 : 1);
    else if (key === "F8") this.changeSpeaker(seg || this.lastSeg(), e.shiftKey ? -1 : 1, ctrl);
    else if (ctrl && !e.altKey && (key === "z" || key === "Z") && !e.shiftKey) this.undo();
    else if (ctrl && !e.altKey && (key === "y" || key === "Y" || ((key === "z" || key === "Z") && e.shiftKey))) this.redo();
    else if (ctrl && (key === "/" || e.code === "Slash")) this.toggleHelp();
    else if (seg && ctrl && key === "Enter") this.playFromCaret();
    else if (seg && key === "Enter" && !e.shiftKey && !e.altKey) this.splitAtCaret();
    else if (seg && key === "Enter") { /* no line breaks inside a segment */ }
    else if (seg && key === "Backspace" && !ctrl && !e.altKey && this.caret() === 0 && document.getSelection().isCollapsed) this.mergeWithPrevious(seg);
    else if (seg && key === "ArrowRight" && !e.shiftKey && this.caret() === seg.textContent.length) done = this.step(seg, 1);
    else if (seg && key === "ArrowLeft" && !e.shiftKey && this.caret() === 0) done = this.step(seg, -1);
    else if (gap && (key === "Delete" || key === "Backspace")) this.dismissGap(gap);
    else if (gap && key.length === 1 && key !== " " && !ctrl && !e.altKey) this.fillGap(gap, key);
    else done = false;
    if (done) { e.preventDefault(); e.stopPropagation(); }
    if (seg) this.lastFocused = +seg.dataset.u;
  }

  lastSeg() { return this.lastFocused !== undefined ? this.elements.get(this.lastFocused) : null; }

  // Arrow keys go on into the next (or previous) segment, as in one document.
  step(element, direction) {
    const i = this.segIndexOf(element) + direction;
    if (i < 0 || i >= this.segs.length) return false;
    const next = this.elements.get(this.segs[i].u);
    this.placeCaret(next, direction > 0 ? 0 : next.textContent.length);
    return true;
  }

  jump(seconds) {
    this.audio.currentTime = Math.min(Math.max(0, this.audio.currentTime + seconds), this.audio.duration || Infinity);
    this.highlight();
  }

  toggleHelp(show) {
    const open = show === undefined ? this.help.hidden : show;
    this.help.hidden = !open;
    this.helpButton.setAttribute("aria-expanded", String(open));
    if (!open) this.helpButton.focus();
  }
}

Object.assign(Editor.prototype, SearchMethods, SpeakerMethods, SavingMethods, GapMethods);

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  let editor = INSTANCES.get(parentElement);
  if (!editor) {
    window.transcribeEditorMounted = performance.now();
    editor = new Editor(parentElement);
    INSTANCES.set(parentElement, editor);
    window.transcribeEditor = editor; // for the browser tests and the bench
  }
  editor.update(data || {}, setTriggerValue);
  return () => {
    document.removeEventListener("keydown", editor.onKey, true);
    editor.stopWatching();
    editor.audio.pause();
    INSTANCES.delete(parentElement);
  };
}
