// Copying the room's link: navigator.clipboard, else a hidden textarea and
// execCommand('copy'), else the link is shown so it can be copied by hand.

import { t } from './i18n.js';
import { stoa } from './state.js';
import { announce, showBanner, toast } from './ui.js';

export function inviteLink() {
  return `${location.origin}/${encodeURIComponent(stoa.room ?? '')}`;
}

function legacyCopy(text) {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

export async function copyInvite(returnFocus = null) {
  const link = inviteLink();
  let ok = false;
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(link);
      ok = true;
    }
  } catch {
    ok = false;
  }
  if (!ok) ok = legacyCopy(link);
  returnFocus?.focus();
  if (ok) {
    toast('room.link-copied', null, { kind: 'good', ms: 3000 });
    announce(t('room.link-copied'));
  } else {
    showBanner(t('room.copy-by-hand', { link }));
  }
}
