// Saving, and staying true to the stored transcript. Methods of the Editor (editor.js).
// Corrections go to the server as batches of operations (changes.py) through the
// component's trigger; the answer says which were refused, and what the person typed in a
// refused edit stays in the message, to copy back. The stored version is looked at every
// few seconds (a HEAD on the document's URL: a header, no body): a change saved in another
// tab is fetched and shown; a transcript deleted meanwhile leaves the screen at once.
// The saving status never contradicts the message beside it.

const POLL_EVERY = 5000; // ms between two looks at the stored version
const UNDO_NOTE = "transcribe.editor.undo-lost."; // + job id: a count of steps, no text

const SavingMethods = {
  flush() {
    if (this.isGone || this.inflight || !this.outbox.length || !this.trigger) { this.showStatus(); return; }
    const batch = { id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, base: this.version, ops: this.outbox.splice(0) };
    this.send(batch);
  },

  send(batch) {
    batch.sent = Date.now();
    this.inflight = batch;
    this.trigger("changes", { id: batch.id, base: batch.base, ops: batch.ops });
    this.showStatus();
  },

  acknowledged(ack) {
    const batch = this.inflight;
    this.inflight = null;
    if (ack.error) { this.gone("gone"); return; }
    if (!ack.stale) this.version = ack.version;
    const conflicts = ack.conflicts ? ack.conflicts.length : 0;
    if (ack.stale || conflicts) this.fetchDoc(); // the saved version, merged
    if (conflicts) {
      // Refused as not fitting the transcript (checked by the server), or as stale; the
      // text the person typed in a refused edit is given back to copy.
      const invalid = ack.conflicts.filter((reason) => reason === "invalid").length;
      const typed = (ack.refused || []).map((n) => batch && batch.ops[n])
        .filter((op) => op && (op.op === "text" || op.op === "gap") && op.text).map((op) => op.text);
      this.refused.push(...typed);
      this.say(this.label(invalid ? "invalid" : "conflict").replace("{count}", invalid || conflicts), "warning");
    } else if (ack.stale) this.say(this.label("reloaded"), "info");
    this.flush();
    this.showStatus();
  },

  // -- messages --------------------------------------------------------------------------
  // "info" goes at the next action (or its close button); "warning" (a refusal: the
  // status says "Not all saved" beside it) and "error" stay until closed; "gone" stays.

  say(text, kind = "info") {
    // A passing note never takes the place of a refusal still shown: it is added to it.
    if (text && kind === "info" && this.messageKind === "warning") {
      this.messageText.textContent = `${this.warningText} ${text}`;
      return;
    }
    if (kind === "warning") this.warningText = text;
    this.messageKind = text ? kind : null;
    this.messageText.textContent = text || "";
    const refused = kind === "warning" ? this.refused : [];
    this.messageRefused.hidden = !refused.length;
    this.messageRefused.innerHTML = refused.length ? `<p>${escapeHtml(this.label("refused_text"))}</p>`
      + refused.map((typed, n) => `<div class="te-refused-item"><blockquote class="te-refused-text">${escapeHtml(typed)}</blockquote>`
        + `<button type="button" class="te-copy" data-n="${n}">${escapeHtml(this.label("copy"))}</button></div>`).join("") : "";
    this.message.dataset.kind = kind;
    this.dismissButton.hidden = kind === "gone";
    this.message.hidden = !text;
    this.showStatus();
  },

  dismiss() {
    this.refused = [];
    this.say("");
  },

  // The next action closes a passing message.
  passing() {
    if (this.messageKind === "info") this.say("");
  },

  // Also noted under the message already shown (the transcript reloaded after a refusal).
  addNote(text) {
    if (this.message.hidden) this.say(text, "info");
    else this.messageText.textContent += ` ${text}`;
  },

  async copyRefused(button) {
    const typed = this.refused[+button.dataset.n];
    if (typed === undefined) return;
    let copied = false;
    try {
      await navigator.clipboard.writeText(typed);
      copied = true;
    } catch (error) { // no clipboard API (a plain-HTTP address): the old way
      const area = document.createElement("textarea");
      area.value = typed;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      this.box.appendChild(area);
      area.select();
      copied = document.execCommand("copy");
      area.remove();
    }
    if (copied) button.textContent = this.label("copied");
  },

  showStatus() {
    if (!this.strings) return;
    const busy = this.inflight || this.outbox.length || this.dirty.size;
    const state = this.isGone ? "not_saved" : busy ? "saving" : this.messageKind === "warning" ? "not_all_saved" : "saved";
    if (this.status.dataset.state !== state) {
      this.status.textContent = this.label(state);
      this.status.dataset.state = state;
    }
    this.undoButton.disabled = !this.undoStack.length && !this.dirty.size;
    this.redoButton.disabled = !this.redoStack.length;
  },

  // -- the stored version ----------------------------------------------------------------

  startWatching() {
    this.pollEvery = POLL_EVERY;
    this.lastPoll = Date.now();
    this.watcher = setInterval(() => {
      if (this.inflight && Date.now() - this.inflight.sent > RESEND_AFTER) this.send(this.inflight);
      if (Date.now() - this.lastPoll >= this.pollEvery) this.poll();
    }, 1000);
    this.onVisible = () => { if (document.visibilityState === "visible") this.poll(); };
    document.addEventListener("visibilitychange", this.onVisible);
    window.addEventListener("focus", this.onVisible);
    // Leaving with a change not yet saved: the browser asks first.
    this.onLeave = (e) => {
      if (!this.isGone && (this.inflight || this.outbox.length || this.dirty.size)) { e.preventDefault(); e.returnValue = ""; }
    };
    window.addEventListener("beforeunload", this.onLeave);
    this.onHide = () => this.noteUndoLost();
    window.addEventListener("pagehide", this.onHide);
  },

  stopWatching() {
    clearInterval(this.watcher);
    document.removeEventListener("visibilitychange", this.onVisible);
    window.removeEventListener("focus", this.onVisible);
    window.removeEventListener("beforeunload", this.onLeave);
    window.removeEventListener("pagehide", this.onHide);
    this.noteUndoLost(); // unmounted (another page): its undo history goes with it
  },

  jobId() { return this.docUrl ? this.docUrl.split("/").pop() : null; },

  // Undo history lives in this page only (never stored: it holds the interview's text).
  // Leaving with some, a count is noted for this tab, so that the editor, opened again on
  // the same transcript, says it starts anew.
  noteUndoLost() {
    try {
      if (this.undoStack.length && this.jobId()) sessionStorage.setItem(UNDO_NOTE + this.jobId(), String(this.undoStack.length));
    } catch (error) { /* storage refused: nothing said */ }
  },

  sayUndoLost() {
    try {
      const key = UNDO_NOTE + this.jobId();
      if (sessionStorage.getItem(key)) {
        sessionStorage.removeItem(key);
        this.say(this.label("undo_lost"), "info");
      }
    } catch (error) { /* storage refused */ }
  },

  async poll() {
    this.lastPoll = Date.now();
    if (this.polling || !this.docUrl || this.isGone || !this.segs) return;
    this.polling = true;
    let answer = null;
    try {
      answer = await fetch(this.docUrl, { method: "HEAD", credentials: "same-origin", cache: "no-store" });
    } catch (error) { /* the server out of reach: asked again next time */ }
    this.polling = false;
    if (!answer || this.isGone) return;
    if (answer.status === 404 || answer.status === 410) this.gone("gone");
    else if (answer.status === 401) this.gone("logged_out");
    else if (answer.ok) {
      const stored = Number(answer.headers.get("X-Transcript-Version"));
      if (answer.headers.get("X-Transcript-Version") === null || stored === this.version || this.inflight) return;
      if (this.pendingDoc && this.pendingDoc.version === stored) return;
      this.changedElsewhere = true;
      this.fetchDoc();
    }
  },

  // The transcript was deleted (or this browser logged out): nothing of it stays on the
  // screen, and the page is asked to run again without it.
  gone(reason) {
    if (this.isGone) return;
    this.isGone = true;
    this.audio.pause();
    this.audio.removeAttribute("src");
    this.audio.load();
    Object.assign(this, { segs: null, speakers: [], outbox: [], inflight: null, pendingDoc: null, undoStack: [], redoStack: [], matches: [], refused: [], rest: null, signatures: [], index: null, lit: null });
    this.dirty.clear();
    this.elements = new Map();
    this.doc.innerHTML = "";
    this.search.value = "";
    this.replaceWith.value = "";
    this.count.textContent = "";
    this.segCount.textContent = "";
    if (typeof CSS !== "undefined" && CSS.highlights) { CSS.highlights.delete("te-match"); CSS.highlights.delete("te-current"); }
    this.say(this.label(reason), "gone");
    if (this.trigger) this.trigger("gone", reason);
  },
};
