// The correction editor's helpers on text: no state, no page (see editor.js).

const escapeHtml = (text) => String(text).replace(/[&<>"]/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

const words = (text) => text.split(/\s+/).filter(Boolean);
const segText = (seg) => seg.toks.map((t) => t[0]).join(" ");

// New tokens for edited text: unchanged words keep their times, changed ones share the
// gap their neighbours leave (the server does the same with difflib).
function retime(old, texts, start, end) {
  let head = 0;
  while (head < old.length && head < texts.length && old[head][0] === texts[head]) head++;
  let tail = 0;
  while (tail < old.length - head && tail < texts.length - head
    && old[old.length - 1 - tail][0] === texts[texts.length - 1 - tail]) tail++;
  const a = old.slice(head, old.length - tail);
  const b = texts.slice(head, texts.length - tail);
  const lcs = Array.from({ length: a.length + 1 }, () => new Int32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i][0] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const middle = [];
  let i = 0;
  let j = 0;
  while (j < b.length) {
    if (i < a.length && a[i][0] === b[j]) { middle.push(a[i].slice()); i++; j++; }
    else if (i < a.length && lcs[i + 1][j] >= lcs[i][j + 1]) i++;
    else { middle.push([b[j], null, null, 0]); j++; }
  }
  const result = [...old.slice(0, head).map((t) => t.slice()), ...middle,
    ...old.slice(old.length - tail).map((t) => t.slice())];
  for (let k = 0; k < result.length;) {
    if (result[k][1] !== null && result[k][2] !== null) { k++; continue; }
    let g = k;
    while (g < result.length && (result[g][1] === null || result[g][2] === null)) g++;
    const left = k > 0 && result[k - 1][2] !== null ? result[k - 1][2] : start;
    let right = g < result.length && result[g][1] !== null ? result[g][1] : end;
    right = Math.max(left, right);
    const step = (right - left) / (g - k);
    for (let p = k; p < g; p++) {
      result[p][1] = +(left + step * (p - k)).toFixed(3);
      result[p][2] = +(left + step * (p - k + 1)).toFixed(3);
    }
    k = g;
  }
  return result;
}
