// Small DOM helpers shared by every screen: building elements without innerHTML (so text
// from the server is never parsed as markup), showing problems, formatting numbers.

/** `h('p', {class: 'hint'}, 'text', child)`: an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * A problem box: what went wrong in words, and the server's own message verbatim when it
 * sent one.
 */
export function problem(summary, error) {
  const box = h('div', { class: 'problem', role: 'alert' }, h('strong', {}, summary));
  if (error) {
    const message = error.message || String(error);
    box.append(h('p', { class: 'server-message' }, message));
    if (error.hint) box.append(h('p', { class: 'hint' }, error.hint));
  }
  return box;
}

/** Shows `text` in a `[hidden]` problem paragraph, or hides it when `text` is empty. */
export function say(el, text) {
  el.textContent = text ?? '';
  el.hidden = !text;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** Milliseconds since the Unix epoch, as a local date and time. */
export function when(ms) {
  return ms ? dateFormat.format(new Date(ms)) : '—';
}

/** Milliseconds since the call connected, as `12.345 s`. */
export function offset(ms) {
  return `${(Number(ms) / 1000).toFixed(3)} s`;
}

/** A duration in milliseconds, as `1 min 5 s` or `3.2 s`. */
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

/**
 * Marks a drop zone: a file dropped on it becomes the choice of its file `input` (so
 * picking and dropping end the same way), and `onFile` hears of it.
 */
export function dropZone(zone, input, onFile) {
  input.addEventListener('change', () => {
    if (input.files?.[0]) onFile(input.files[0]);
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const files = e.dataTransfer?.files;
    if (!files?.length) return;
    input.files = files;
    onFile(files[0]);
  });
}
