// Translations: every string the page shows comes from web/i18n/<lang>.json.
//
// Markup asks for strings with attributes:
//   data-i18n="key"             sets textContent
//   data-i18n-aria-label="key"  sets aria-label
//   data-i18n-placeholder="key" sets placeholder
//   data-i18n-title="key"       sets title

const SUPPORTED = ['en'];
const FALLBACK = 'en';

let strings = {};
let fallbackStrings = {};
let current = FALLBACK;

function pickLanguage() {
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || FALLBACK];
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (SUPPORTED.includes(base)) return base;
  }
  return FALLBACK;
}

async function fetchStrings(lang) {
  const res = await fetch(`/_/i18n/${lang}.json`, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`i18n ${lang}: HTTP ${res.status}`);
  return res.json();
}

/** Loads the best language for this browser (English when nothing else fits). */
export async function loadTranslations(lang = pickLanguage()) {
  current = lang;
  fallbackStrings = await fetchStrings(FALLBACK);
  strings = lang === FALLBACK ? fallbackStrings : await fetchStrings(lang).catch(() => fallbackStrings);
  document.documentElement.lang = lang;
}

export function language() {
  return current;
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

/** Fills every data-i18n* attribute under root. */
export function translateTree(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.setAttribute('title', t(el.dataset.i18nTitle));
}
