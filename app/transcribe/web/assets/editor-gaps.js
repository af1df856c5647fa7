// Speech with no text (the transcript's gaps, transcribe/gaps.py): a mark among the
// segments where the stretch lies, `[inaudible 00:07-00:14]` as in the exports. The mark
// is a button in the tab order: activated, it plays that stretch and stops at its end;
// typing on it writes what is said there, a sentence of its own in the mark's place;
// Delete (or Backspace) takes it away. Both are saved as changes ("gap" in changes.py)
// and undoable like every edit.

function gapClock(seconds) {
  const hours = Math.floor(seconds / 3600);
  const pad = (n) => String(n).padStart(2, "0");
  const rest = `${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
  return hours ? `${hours}:${rest}` : rest;
}

const GapMethods = {
  loadGaps(list) {
    this.gaps = (list || []).map(([start, end, spk, reason]) => ({ g: ++this.uid, start, end, spk, reason }));
    this.stopAt = null;
  },

  // Which segment each gap follows in time (the key -1: before the first one); a gap is
  // drawn after that segment, in its turn.
  placeGaps() {
    this.gapsAfter = new Map();
    for (const gap of this.gaps || []) {
      let lo = 0;
      let hi = this.segs.length - 1;
      let at = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (this.segs[mid].start <= gap.start) { at = mid; lo = mid + 1; } else hi = mid - 1;
      }
      const key = at < 0 ? -1 : this.segs[at].u;
      if (!this.gapsAfter.has(key)) this.gapsAfter.set(key, []);
      this.gapsAfter.get(key).push(gap);
    }
  },

  // The marks after a segment (`key`: its u) of a turn of `spk`.
  gapsHtml(key, spk) {
    const list = this.gapsAfter && this.gapsAfter.get(key);
    return list ? list.map((gap) => this.gapHtml(gap, spk)).join("") : "";
  },

  // What a turn's drawing owes to its gaps (see `signature`).
  gapSignature(key) {
    const list = this.gapsAfter && this.gapsAfter.get(key);
    return list ? `g${list.map((gap) => gap.g).join("g")}` : "";
  },

  gapHtml(gap, spk) {
    const known = gap.spk !== null && gap.spk !== undefined;
    const mark = `[${this.label("gap_word")} ${gapClock(Math.floor(gap.start))}-${gapClock(Math.ceil(gap.end))}]`;
    // Someone else's speech inside a turn says whose it is, as the exports' paragraph does.
    const shown = known && gap.spk !== spk ? `${this.speakerName(gap.spk)}: ${mark}` : mark;
    const who = known && gap.spk === spk ? `${this.speakerName(gap.spk)}, ` : "";
    // The name starts with what is shown (WCAG 2.5.3), then what it is and does.
    const name = `${shown} ${who}${this.label("gap_play")}`;
    const why = this.label(gap.reason === "guard" ? "gap_guard" : "gap_no_text");
    return ` <button type="button" class="te-gap" data-g="${gap.g}" aria-label="${escapeHtml(name)}" title="${escapeHtml(why)}">${escapeHtml(shown)}</button> `;
  },

  playGap(element) {
    const gap = (this.gaps || []).find((g) => g.g === +element.dataset.g);
    if (!gap) return;
    this.stopAt = { start: gap.start, end: gap.end };
    this.playFrom(gap.start);
  },

  // A gap played stops at its end; once playback is elsewhere (the person sought), not.
  stopAtGapEnd() {
    const range = this.stopAt;
    if (!range) return;
    const now = this.audio.currentTime;
    if (now >= range.end && now < range.end + 1) {
      this.stopAt = null;
      this.audio.pause();
    } else if (now < range.start - 0.5 || now >= range.end + 1) this.stopAt = null;
  },

  dismissGap(element) {
    this.commitText();
    // The focus goes on to what follows the mark (or what comes before the last one).
    const all = [...this.doc.querySelectorAll(".te-gap, .te-seg")];
    const at = all.indexOf(element);
    const next = all[at + 1] || all[at - 1];
    const selector = next && (next.dataset.g ? `.te-gap[data-g="${next.dataset.g}"]` : `.te-seg[data-u="${next.dataset.u}"]`);
    this.perform([{ op: "gap", g: +element.dataset.g, keep: false }]);
    const target = selector && this.doc.querySelector(selector);
    if (target && target.classList.contains("te-seg")) this.placeCaret(target, 0);
    else if (target) target.focus();
    this.showStatus();
  },

  // A character typed on the mark: a sentence of the gap's speaker in its place, starting
  // with that character, the caret after it (what follows is typed as in any sentence).
  fillGap(element, text) {
    this.commitText();
    const intent = { op: "fill", g: +element.dataset.g, text };
    this.perform([intent]);
    const target = intent.newU && this.elements.get(intent.newU);
    if (target) this.placeCaret(target, text.length);
    this.showStatus();
  },

  fillLocal(intent) {
    const at = this.gaps.findIndex((g) => g.g === intent.g);
    if (at < 0) return null;
    const [gap] = this.gaps.splice(at, 1);
    intent.newU = intent.newU || ++this.uid; // the same sentence again on a redo
    const seg = { u: intent.newU, start: gap.start, end: gap.end, spk: gap.spk, toks: retime([], words(intent.text), gap.start, gap.end) };
    let i = 0;
    while (i < this.segs.length && this.segs[i].start <= gap.start) i++;
    this.segs.splice(i, 0, seg);
    this.outbox.push({ op: "gap", start: gap.start, end: gap.end, keep: false, text: intent.text, speaker: gap.spk });
    return [{ op: "unfill", u: seg.u, gap: { ...gap } }];
  },

  // Undoing a fill: the sentence goes, the mark comes back.
  unfillLocal(intent) {
    const i = this.segs.findIndex((s) => s.u === intent.u);
    if (i < 0) return null;
    const seg = this.segs[i];
    const gap = { ...intent.gap };
    this.outbox.push({ op: "gap", start: gap.start, end: gap.end, keep: true, speaker: gap.spk, reason: gap.reason, seg: i, old: segText(seg) });
    this.segs.splice(i, 1);
    this.gaps.push(gap);
    this.gaps.sort((a, b) => a.start - b.start || a.end - b.end);
    return [{ op: "fill", g: gap.g, text: segText(seg), newU: seg.u }];
  },

  // The "gap" intent on the local copy (see applyLocal): returns the way back.
  applyGap(intent) {
    if (intent.keep) {
      const gap = { ...intent.gap };
      if (this.gaps.some((g) => g.g === gap.g)) return null;
      this.gaps.push(gap);
      this.gaps.sort((a, b) => a.start - b.start || a.end - b.end);
      this.outbox.push({ op: "gap", start: gap.start, end: gap.end, keep: true, speaker: gap.spk, reason: gap.reason });
      return [{ op: "gap", g: gap.g, keep: false }];
    }
    const at = this.gaps.findIndex((g) => g.g === intent.g);
    if (at < 0) return null;
    const [gap] = this.gaps.splice(at, 1);
    this.outbox.push({ op: "gap", start: gap.start, end: gap.end, keep: false });
    return [{ op: "gap", gap: { ...gap }, keep: true }];
  },
};
