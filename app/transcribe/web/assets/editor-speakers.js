// Who speaks, at the level a transcriber thinks in. Methods of the Editor (editor.js).
// - F8 / Shift+F8: the sentence (segment) at the cursor, or every sentence a selection
//   touches, goes to the next / previous speaker alone; its turn is drawn split around it
//   (segments keep their identity: nothing is merged away).
// - Ctrl+F8 / Ctrl+Shift+F8, or a click on the turn's name: the whole turn.
// - Enter at the start of a sentence inside a turn: a new turn from there, the rest of the
//   turn given to the next speaker (a turn's start already: said, nothing changed).
// The same key again goes on round the speakers on the same sentences, so the reverse key
// comes back to exactly where it started, never to the merged turn a change may have drawn.
// Each press is one undo step, saved as "speaker" operations (changes.py).

const SpeakerMethods = {
  // The first and last segment of the turn segment `i` is in.
  turnOf(i) {
    const segs = this.segs;
    let a = i;
    while (a > 0 && segs[a - 1].spk === segs[i].spk) a--;
    let b = i;
    while (b + 1 < segs.length && segs[b + 1].spk === segs[i].spk) b++;
    return [a, b];
  },

  // The segments (indices) a selection in the document touches, at least one character of
  // each; null without such a selection.
  selectedSegs() {
    const selection = document.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!this.doc.contains(range.commonAncestorContainer)) return null;
    const touched = [];
    this.segs.forEach((seg, i) => {
      const element = this.elements.get(seg.u);
      if (!element || !range.intersectsNode(element)) return;
      const part = document.createRange();
      part.selectNodeContents(element);
      if (range.compareBoundaryPoints(Range.START_TO_START, part) > 0) part.setStart(range.startContainer, range.startOffset);
      if (range.compareBoundaryPoints(Range.END_TO_END, part) < 0) part.setEnd(range.endContainer, range.endOffset);
      if (part.toString().trim()) touched.push(i);
    });
    return touched.length ? touched : null;
  },

  // F8 (`whole`: Ctrl+F8, a click on the name): the next (step 1) or previous (-1) speaker.
  // `element`: the segment at the caret (or last edited, or whose name was clicked).
  changeSpeaker(element, step, whole) {
    this.whole();
    this.commitText();
    if (!this.segs || !this.speakers.length) return;
    // A selection across sentences (or made from outside them) wins over the caret.
    const selected = this.selectedSegs();
    const chosen = selected && (selected.length > 1 || !this.focusedSeg()) ? selected : null;
    const i = chosen ? chosen[0] : element ? this.segIndexOf(element) : -1;
    if (i < 0) return;
    let targets = chosen || [i];
    if (whole) {
      const [a, b] = this.turnOf(i);
      targets = [];
      for (let j = a; j <= b; j++) targets.push(j);
    }
    const kind = whole ? "turn" : "sentence";
    const us = targets.map((j) => this.segs[j].u);
    let run = this.speakerRun;
    const last = this.undoStack[this.undoStack.length - 1];
    if (!run || run.kind !== kind || !last || last !== run.step || !us.some((u) => run.us.includes(u))) {
      run = { kind, us, original: targets.map((j) => this.segs[j].spk), offset: 0 };
    }
    run.offset += step;
    this.applyRun(run, this.elements.get(this.segs[i].u), !!chosen && !whole);
  },

  // Where a run of presses has taken its segments: `offset` steps round the speakers from
  // where they started (state 0). Segments that started with one known speaker go round the
  // n speakers; others (several speakers, or none known) have n + 1 states, the first being
  // where they started.
  runSpeakers(run) {
    const ids = this.speakers.map(([id]) => id);
    const n = ids.length;
    const first = run.original[0];
    const uniform = ids.includes(first) && run.original.every((spk) => spk === first);
    const states = uniform ? n : n + 1;
    const k = ((run.offset % states) + states) % states;
    if (k === 0) return run.original;
    const speaker = ids[(ids.indexOf(first) + k + n) % n];
    return run.original.map(() => speaker);
  },

  applyRun(run, element, reselect) {
    const wanted = this.runSpeakers(run);
    const byU = new Map(this.segs.map((seg) => [seg.u, seg]));
    const intents = [];
    run.us.forEach((u, n) => {
      const seg = byU.get(u);
      if (seg && seg.spk !== wanted[n]) intents.push({ op: "speaker", u, speaker: wanted[n] });
    });
    if (!intents.length) return;
    const focused = this.focusedSeg();
    this.perform(intents); // the caret, when in a segment, is put back by the redraw
    run.step = this.undoStack[this.undoStack.length - 1];
    this.speakerRun = run;
    if (reselect) this.selectSegs(byU.get(run.us[0]), byU.get(run.us[run.us.length - 1]));
    else if (!focused && element) {
      const again = this.elements.get(+element.dataset.u);
      if (again) again.focus({ preventScroll: true });
    }
  },

  // A drag from one sentence into another, or a Shift+click in another sentence, selects
  // the whole sentences from one to the other: a box's own selection stops at its edge.
  watchSelecting() {
    this.doc.addEventListener("mousedown", (e) => {
      const from = e.target.closest(".te-seg");
      const focused = this.focusedSeg();
      this.dragFrom = from;
      if (e.shiftKey && from && focused && focused !== from) {
        e.preventDefault();
        this.selectBetween(focused, from);
      }
    });
    this.doc.addEventListener("mouseup", (e) => {
      const from = this.dragFrom;
      const to = e.target.closest && e.target.closest(".te-seg");
      this.dragFrom = null;
      if (from && to && to !== from && !e.shiftKey) this.selectBetween(from, to);
    });
  },

  selectBetween(one, other) {
    if (!this.segs || !one.isConnected || !other.isConnected) return;
    const [i, j] = [this.segIndexOf(one), this.segIndexOf(other)].sort((x, y) => x - y);
    if (i >= 0) this.selectSegs(this.segs[i], this.segs[j]);
  },

  // Whole segments selected (also again after their turns were drawn anew, so that the
  // next press acts on them too). The selection starts and ends outside the editable
  // boxes, between them, so that it may span several.
  selectSegs(first, last) {
    const a = first && this.elements.get(first.u);
    const b = last && this.elements.get(last.u);
    if (!a || !b) return;
    const at = (node) => Array.prototype.indexOf.call(node.parentNode.childNodes, node);
    document.getSelection().setBaseAndExtent(a.parentNode, at(a), b.parentNode, at(b) + 1);
  },

  // Enter where a sentence starts (`after`: where the one at the caret ends): inside a turn,
  // a new turn from the next sentence on, given to the next speaker; the caret goes there.
  newTurn(element, after) {
    const i = this.segIndexOf(element) + (after ? 1 : 0);
    const segs = this.segs;
    if (i <= 0 || i >= segs.length || segs[i - 1].spk !== segs[i].spk || !this.speakers.length) {
      this.say(this.label("turn_start"), "info");
      return;
    }
    const [, b] = this.turnOf(i);
    const us = [];
    for (let j = i; j <= b; j++) us.push(segs[j].u);
    const run = { kind: "turn", us, original: us.map(() => segs[i].spk), offset: 1 };
    const target = segs[i];
    this.applyRun(run, this.elements.get(target.u), false);
    this.placeCaret(this.elements.get(target.u), 0);
    this.say(this.label("new_turn").replace("{name}", this.speakerName(target.spk)), "info");
  },
};
