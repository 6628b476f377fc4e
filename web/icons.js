// Small line icons drawn for Stoa (24×24, stroke = currentColor).

const NS = 'http://www.w3.org/2000/svg';

const PATHS = {
  mic: ['M9 6a3 3 0 0 1 6 0v5a3 3 0 0 1-6 0z', 'M5.5 11a6.5 6.5 0 0 0 13 0', 'M12 17.5V21'],
  camera: ['M4 7h9a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2z', 'M15 10.5l6-3.5v10l-6-3.5'],
  screen: ['M4 4.5h16a1.5 1.5 0 0 1 1.5 1.5v9A1.5 1.5 0 0 1 20 16.5H4A1.5 1.5 0 0 1 2.5 15V6A1.5 1.5 0 0 1 4 4.5z', 'M8 20h8', 'M12 16.5V20', 'M12 13V8', 'M9.5 10.5L12 8l2.5 2.5'],
  hand: ['M8 12.5V6a1.4 1.4 0 0 1 2.8 0v5', 'M10.8 10.5V4.5a1.4 1.4 0 0 1 2.8 0v6', 'M13.6 10.5V5.8a1.4 1.4 0 0 1 2.8 0v5.2', 'M16.4 11V8.3a1.4 1.4 0 0 1 2.8 0V14c0 4-2.7 7-6.6 7-3 0-4.6-1.6-6-4l-2.7-4.4a1.4 1.4 0 0 1 2.3-1.6L8 13.2'],
  smile: ['M12 3a9 9 0 1 1 0 18a9 9 0 1 1 0-18z', 'M8.3 14.2a4.6 4.6 0 0 0 7.4 0', 'M9 9.5v.5', 'M15 9.5v.5'],
  tile: ['M4 4h7v7H4z', 'M13 4h7v7h-7z', 'M4 13h7v7H4z', 'M13 13h7v7h-7z'],
  stage: ['M3 4h18v11H3z', 'M3 18h5v2.5H3z', 'M9.5 18h5v2.5h-5z', 'M16 18h5v2.5h-5z'],
  chat: ['M5 4.5h14a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-8l-5 4v-4H5a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2z'],
  people: ['M9 4.5a3.5 3.5 0 1 1 0 7a3.5 3.5 0 1 1 0-7z', 'M2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6', 'M16.5 5.5a2.8 2.8 0 1 1 0 5.6', 'M17.5 14.2c2.4.5 4 2.4 4 5.3'],
  settings: ['M4 7h9', 'M19 7h1', 'M4 17h3', 'M13 17h7', 'M16 4.5a2.5 2.5 0 1 1 0 5a2.5 2.5 0 1 1 0-5z', 'M10 14.5a2.5 2.5 0 1 1 0 5a2.5 2.5 0 1 1 0-5z'],
  link: ['M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1.2 1.2', 'M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1.2-1.2'],
  leave: ['M3.2 14.3c4.9-4.4 12.7-4.4 17.6 0l-2 2.6-3.4-1.3v-2.4a10.6 10.6 0 0 0-6.8 0v2.4L5.2 16.9z'],
  pin: ['M9 3.5h6l-1.2 6 3.2 3.3H7l3.2-3.3z', 'M12 12.8V20.5'],
  close: ['M6 6l12 12', 'M18 6L6 18'],
  lock: ['M6 10.5h12v9.5H6z', 'M8.5 10.5V8a3.5 3.5 0 0 1 7 0v2.5'],
  send: ['M4 12l16-8-6 16-2.5-6.5z', 'M11.5 13.5L20 4'],
  slash: ['M3.5 3.5l17 17'],
  chevron: ['M7 14.5l5-5 5 5'],
  more: ['M5 11.2a.8.8 0 1 1 0 1.6a.8.8 0 1 1 0-1.6z', 'M12 11.2a.8.8 0 1 1 0 1.6a.8.8 0 1 1 0-1.6z', 'M19 11.2a.8.8 0 1 1 0 1.6a.8.8 0 1 1 0-1.6z'],
};

/** An inline SVG icon; with `off` a slash is drawn across it. */
export function icon(name, { off = false } = {}) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('icon');
  for (const d of [...(PATHS[name] ?? []), ...(off ? PATHS.slash : [])]) {
    const p = document.createElementNS(NS, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}
