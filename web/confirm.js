// Asks before a moderator action that cannot be undone (remove someone,
// mute everyone, end the meeting): a modal dialog whose safe choice, Cancel,
// has the keyboard; Escape cancels too.

import { tr } from './i18n.js';
import { el } from './state.js';

let dialog;
let pending = null;

function build() {
  dialog = el('dialog', 'confirm-dialog', { testid: 'confirm-dialog', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' });
  const title = el('h2', 'confirm-title', { id: 'confirm-title', testid: 'confirm-title' });
  const text = el('p', 'confirm-text', { id: 'confirm-text' });
  const row = el('div', 'confirm-actions');
  const cancel = tr(el('button', '', { type: 'button', testid: 'confirm-cancel' }), 'confirm.cancel');
  const ok = el('button', 'danger', { type: 'button', testid: 'confirm-ok' });
  row.append(cancel, ok);
  dialog.append(title, text, row);
  cancel.addEventListener('click', () => dialog.close('cancel'));
  ok.addEventListener('click', () => dialog.close('ok'));
  // Escape cancels here, before the page's own Escape handling (which
  // closes the side panel) sees it.
  dialog.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape') return;
    ev.preventDefault();
    ev.stopPropagation();
    dialog.close('cancel');
  });
  // `close` comes as a task of its own: one from a request that was
  // replaced arrives when the dialog is open again, and is not its answer.
  dialog.addEventListener('close', () => {
    if (dialog.open) return;
    const done = pending;
    pending = null;
    done?.(dialog.returnValue === 'ok');
  });
  document.body.append(dialog);
}

/**
 * Resolves true when the person confirms. what: the key prefix of the
 * texts (`confirm.<what>.title`, `.text`, `.ok`); vars for their placeholders.
 * A second request while one is open cancels the first.
 */
export function confirmAction(what, vars = null) {
  if (!dialog) build();
  if (dialog.open) {
    const replaced = pending;
    pending = null;
    dialog.close('cancel');
    replaced?.(false);
  }
  tr(dialog.querySelector('.confirm-title'), `confirm.${what}.title`, vars);
  tr(dialog.querySelector('.confirm-text'), `confirm.${what}.text`, vars);
  tr(dialog.querySelector('[data-testid="confirm-ok"]'), `confirm.${what}.ok`, vars);
  dialog.dataset.action = what;
  dialog.returnValue = '';
  const opener = document.activeElement;
  return new Promise((resolve) => {
    pending = (ok) => {
      // Back where the person was, whatever the browser does on close.
      if (opener?.isConnected) opener.focus({ preventScroll: true });
      resolve(ok);
    };
    dialog.showModal();
    dialog.querySelector('[data-testid="confirm-cancel"]').focus();
  });
}

/** Runs action once the person confirmed `what`. */
export async function confirmed(what, vars, action) {
  if (await confirmAction(what, vars)) action();
}
