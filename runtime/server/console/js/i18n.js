// The console's two languages, English and Chinese: every string the page shows, the
// choice (kept in local storage, first taken from the browser's language), and applying
// it to the static page. Scripts ask `t('key', { name })` for their words; the page's
// own elements name their key in `data-i18n` (text), `data-i18n-html` (text with
// `<code>` from this dictionary, never from the server) or `data-i18n-label`
// (`aria-label`). What the server says (error messages, state reasons) stays as sent.

import { STRINGS } from './strings.js';

const STORAGE = 'huashu.lang';
/** The languages, in the order of the pair each string is written as. */
const LANGUAGES = ['en', 'zh'];

function initial() {
  const kept = localStorage.getItem(STORAGE);
  if (LANGUAGES.includes(kept)) return kept;
  return /^zh\b/i.test(navigator.language ?? '') ? 'zh' : 'en';
}

let current = initial();
const listeners = new Set();

/** `en` or `zh`. */
export function language() {
  return current;
}

/** The string `key` in the current language, with `{name}` replaced from `vars`. */
export function t(key, vars = {}) {
  const pair = STRINGS[key];
  if (!pair) {
    console.warn(`no console string ${key}`);
    return key;
  }
  const text = pair[LANGUAGES.indexOf(current)] ?? pair[0];
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Applies the current language to the static page under `root`. */
export function translate(root = document) {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  // Our own dictionary's markup (`<code>`), never text from the server.
  for (const el of root.querySelectorAll('[data-i18n-html]')) el.innerHTML = t(el.dataset.i18nHtml);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  const toggle = document.getElementById('lang-switch');
  if (toggle) {
    const other = current === 'zh' ? 'en' : 'zh';
    toggle.textContent = other === 'zh' ? '中文' : 'English';
    toggle.lang = other === 'zh' ? 'zh-CN' : 'en';
    toggle.setAttribute('aria-label', other === 'zh' ? '切换到中文' : 'Switch to English');
  }
}

/** Switches the language, remembers it, redraws the page and tells the listeners. */
export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang) || lang === current) return;
  current = lang;
  localStorage.setItem(STORAGE, lang);
  translate();
  for (const listener of listeners) listener(lang);
}

/** `listener(lang)` runs after every switch (a screen redraws what its scripts wrote). */
export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** The browser's number formatting for the current language. */
export function number(n, options = {}) {
  return new Intl.NumberFormat(current === 'zh' ? 'zh-CN' : 'en', options).format(n);
}
