// The keys of a small popup list (More, the device list, a person's "…"):
// Escape closes it (and goes no further: the side panel stays open), the
// arrow keys move between its buttons, wrapping around.

const NEXT = new Set(['ArrowDown', 'ArrowRight']);
const PREVIOUS = new Set(['ArrowUp', 'ArrowLeft']);

/** close: called on Escape; horizontal: the left/right arrows move too. */
export function popupKeys(box, close, { horizontal = false } = {}) {
  box.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      close();
      return;
    }
    const vertical = ev.key === 'ArrowDown' || ev.key === 'ArrowUp';
    if (!vertical && !(horizontal && (ev.key === 'ArrowLeft' || ev.key === 'ArrowRight'))) return;
    ev.preventDefault();
    const list = [...box.querySelectorAll('button:not([hidden]):not([disabled])')];
    const step = NEXT.has(ev.key) ? 1 : PREVIOUS.has(ev.key) ? list.length - 1 : 0;
    list[(list.indexOf(document.activeElement) + step) % list.length]?.focus();
  });
}
