// Search and replace in the correction editor: every match highlighted (CSS Custom
// Highlights, no markup added to the text), Enter / Shift+Enter in the box to go through
// them, Replace and Replace all as undoable changes. Methods of the Editor (editor.js).

const SearchMethods = {
  find(keep) {
    if (!this.segs) return;
    this.whole();
    const needle = this.search.value.trim().toLocaleLowerCase();
    this.matches = [];
    if (needle) {
      this.segs.forEach((seg, i) => {
        const text = segText(seg).toLocaleLowerCase();
        for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
          this.matches.push({ i, at, length: needle.length });
        }
      });
    }
    if (!keep || this.current >= this.matches.length) this.current = this.matches.length ? 0 : -1;
    this.paintMatches();
  },

  rangeOf(match) {
    const element = this.elements.get(this.segs[match.i].u);
    if (!element) return null;
    const range = document.createRange();
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let position = 0;
    let node = walker.nextNode();
    let started = false;
    while (node) {
      const next = position + node.length;
      if (!started && match.at < next) { range.setStart(node, match.at - position); started = true; }
      if (started && match.at + match.length <= next) { range.setEnd(node, match.at + match.length - position); return range; }
      position = next;
      node = walker.nextNode();
    }
    return null;
  },

  paintMatches() {
    const total = this.matches.length;
    this.count.textContent = this.search.value.trim()
      ? this.label("matches").replace("{current}", total ? this.current + 1 : 0).replace("{count}", total) : "";
    if (typeof CSS === "undefined" || !CSS.highlights) return;
    const all = [];
    for (const match of this.matches.slice(0, 5000)) {
      const range = this.rangeOf(match);
      if (range) all.push(range);
    }
    CSS.highlights.set("te-match", new Highlight(...all));
    const current = this.current >= 0 ? this.rangeOf(this.matches[this.current]) : null;
    if (current) CSS.highlights.set("te-current", new Highlight(current));
    else CSS.highlights.delete("te-current");
  },

  jumpMatch(step) {
    if (!this.matches.length) return;
    this.current = (this.current + step + this.matches.length) % this.matches.length;
    this.paintMatches();
    const range = this.rangeOf(this.matches[this.current]);
    if (range) {
      const view = this.doc.getBoundingClientRect();
      const box = range.getBoundingClientRect();
      if (box.top < view.top || box.bottom > view.bottom) this.doc.scrollTop += box.top - view.top - view.height / 3;
    }
  },

  replace(all) {
    this.commitText();
    if (!this.matches.length) return;
    const chosen = all ? this.matches : [this.matches[Math.max(0, this.current)]];
    const bySeg = new Map();
    for (const match of chosen) {
      if (!bySeg.has(match.i)) bySeg.set(match.i, []);
      bySeg.get(match.i).push(match);
    }
    const intents = [];
    for (const [i, found] of bySeg) {
      let text = segText(this.segs[i]);
      for (const match of found.sort((x, y) => y.at - x.at)) {
        text = text.slice(0, match.at) + this.replaceWith.value + text.slice(match.at + match.length);
      }
      intents.push({ op: "text", u: this.segs[i].u, text: words(text).join(" ") });
    }
    this.perform(intents, false); // each changed segment drawn again by its "text" step
    this.find(true);
    this.say(this.label("replaced").replace("{count}", chosen.length));
  }
};
