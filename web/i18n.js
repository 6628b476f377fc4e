// Translations: every string the page shows comes from web/i18n/<lang>.json.
// The languages on offer are listed in web/i18n/languages.json.
//
// Markup asks for strings with attributes (kept, so a language switch
// re-translates the whole page):
//   data-i18n="key"             sets textContent
//   data-i18n-aria-label="key"  sets aria-label
//   data-i18n-placeholder="key" sets placeholder
//   data-i18n-title="key"       sets title
//   data-i18n-args='{"name":"Ada"}'  values for {placeholders} in any of them

const FALLBACK = 'en';
const STORE_KEY = 'stoa.language';

let languages = [{ code: 'en', name: 'English' }];
let strings = {};
let fallbackStrings = {};
let current = FALLBACK;

/** Fires 'change' after the language changed. */
export const i18nEvents = new EventTarget();

async function fetchJson(path) {
  const res = await fetch(path, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

function storedLanguage() {
  try {
    return localStorage.getItem(STORE_KEY);
  } catch {
    return null;
  }
}

/** The best language: the remembered choice, else the browser's preferences. */
export function pickLanguage(list = languages, prefs = navigator.languages?.length ? navigator.languages : [navigator.language || FALLBACK]) {
  const codes = list.map((l) => l.code.toLowerCase());
  const stored = storedLanguage();
  if (stored && codes.includes(stored.toLowerCase())) return list[codes.indexOf(stored.toLowerCase())].code;
  for (const tag of prefs) {
    const lower = String(tag).toLowerCase();
    if (codes.includes(lower)) return list[codes.indexOf(lower)].code;
    const base = lower.split('-')[0];
    if (codes.includes(base)) return list[codes.indexOf(base)].code;
  }
  return FALLBACK;
}

/** Loads the list of languages and the best one for this browser. */
export async function loadTranslations() {
  const [list, english] = await Promise.all([
    fetchJson('/_/i18n/languages.json').catch((err) => {
      console.warn('languages.json', err);
      return null;
    }),
    fetchJson(`/_/i18n/${FALLBACK}.json`),
  ]);
  if (Array.isArray(list) && list.length) languages = list.filter((l) => l && typeof l.code === 'string');
  fallbackStrings = english;
  await setLanguage(pickLanguage(), { remember: false });
}

/** Switches the page to another language (remembered when asked). */
export async function setLanguage(code, { remember = true } = {}) {
  let next = fallbackStrings;
  if (code !== FALLBACK) {
    try {
      next = await fetchJson(`/_/i18n/${code}.json`);
    } catch (err) {
      console.warn('translation', code, err);
      code = FALLBACK;
    }
  }
  strings = next;
  current = code;
  document.documentElement.lang = code;
  const info = languages.find((l) => l.code === code);
  document.documentElement.dir = info?.dir === 'rtl' ? 'rtl' : 'ltr';
  if (remember) {
    try {
      localStorage.setItem(STORE_KEY, code);
    } catch {
      // private mode: not remembered
    }
  }
  translateTree();
  i18nEvents.dispatchEvent(new CustomEvent('change', { detail: { language: code } }));
}

export function language() {
  return current;
}

export function availableLanguages() {
  return languages.slice();
}

export function has(key) {
  return key in strings || key in fallbackStrings;
}

/** The string for key, with {placeholders} replaced from vars. */
export function t(key, vars = {}) {
  const s = strings[key] ?? fallbackStrings[key];
  if (s === undefined) {
    console.warn('missing translation', key);
    return key;
  }
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

function argsOf(el) {
  if (!el.dataset.i18nArgs) return {};
  try {
    return JSON.parse(el.dataset.i18nArgs);
  } catch {
    return {};
  }
}

const ATTRS = [
  ['i18nAriaLabel', 'aria-label'],
  ['i18nPlaceholder', 'placeholder'],
  ['i18nTitle', 'title'],
];

function translateElement(el) {
  const args = argsOf(el);
  if (el.dataset.i18n) el.textContent = t(el.dataset.i18n, args);
  for (const [prop, attr] of ATTRS) if (el.dataset[prop]) el.setAttribute(attr, t(el.dataset[prop], args));
}

/** Fills every data-i18n* attribute under root (root included). */
export function translateTree(root = document) {
  const sel = '[data-i18n],[data-i18n-aria-label],[data-i18n-placeholder],[data-i18n-title]';
  if (root instanceof Element && root.matches(sel)) translateElement(root);
  for (const el of root.querySelectorAll(sel)) translateElement(el);
}

/**
 * Gives el a translated text (or attribute) that follows language switches.
 * what: 'text' (default), 'aria-label', 'title' or 'placeholder'.
 */
export function tr(el, key, vars = null, what = 'text') {
  const prop = { text: 'i18n', 'aria-label': 'i18nAriaLabel', title: 'i18nTitle', placeholder: 'i18nPlaceholder' }[what];
  el.dataset[prop] = key;
  if (vars) el.dataset.i18nArgs = JSON.stringify(vars);
  else delete el.dataset.i18nArgs;
  translateElement(el);
  return el;
}
