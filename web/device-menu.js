// The arrows beside the microphone and camera buttons: a short list of the
// devices to switch to in the call (and, beside the microphone, where the
// sound goes, when the browser lets a page choose), as people know it from
// other meeting apps. The settings panel offers the same choices.

import { deviceOf, listDevices } from './devices.js';
import { t, tr } from './i18n.js';
import { icon } from './icons.js';
import { cameraTrack, micTrack, switchDevice } from './media.js';
import { popupKeys } from './popup-keys.js';
import { canChooseSpeaker, setSpeaker } from './remote-audio.js';
import { el, storageGet, storageSet } from './state.js';

let popup = null;
let opener = null;

function closeMenu({ restore = true } = {}) {
  if (!popup || popup.hidden) return;
  popup.hidden = true;
  opener?.setAttribute('aria-expanded', 'false');
  if (restore) opener?.focus();
}

function choice(label, pressed, onPick) {
  const b = el('button', 'device-choice', { type: 'button', testid: 'device-choice', 'aria-pressed': String(pressed) });
  b.append(el('span', 'device-check', { 'aria-hidden': 'true', text: pressed ? '✓' : '' }), el('span', '', { text: label }));
  b.addEventListener('click', async () => {
    closeMenu();
    await onPick();
  });
  return b;
}

function section(titleKey, devices, current, kindKey, onPick) {
  const box = el('div', 'device-section', { role: 'group' });
  const head = tr(el('div', 'device-head'), titleKey);
  box.append(head);
  if (!devices.length) box.append(tr(el('div', 'hint'), kindKey === 'camera' ? 'devices.no-camera' : 'devices.no-mic'));
  devices.forEach((d, i) => {
    const label = d.label || t({ camera: 'devices.camera-n', mic: 'devices.mic-n', speaker: 'devices.speaker-n' }[kindKey], { n: i + 1 });
    const b = choice(label, d.deviceId === current, () => onPick(d.deviceId));
    b.dataset.deviceId = d.deviceId;
    b.dataset.kind = kindKey;
    box.append(b);
  });
  return box;
}

async function openMenu(kind, button) {
  if (!popup.hidden && opener === button) return closeMenu();
  opener = button;
  const { cameras, mics } = await listDevices();
  const parts = [];
  if (kind === 'camera') {
    parts.push(section('devices.camera', cameras, deviceOf(cameraTrack()), 'camera', (id) => switchDevice('camera', id)));
  } else {
    parts.push(section('devices.microphone', mics, deviceOf(micTrack()), 'mic', (id) => switchDevice('mic', id)));
    if (canChooseSpeaker() && navigator.mediaDevices?.enumerateDevices) {
      const outs = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'audiooutput' && d.deviceId);
      if (outs.length) {
        parts.push(section('devices.speaker', outs, storageGet('stoa.speaker', 'default'), 'speaker', (id) => {
          storageSet('stoa.speaker', id);
          setSpeaker(id);
        }));
      }
    }
  }
  popup.replaceChildren(...parts);
  popup.dataset.kind = kind;
  tr(popup, kind === 'camera' ? 'controls.camera-devices' : 'controls.mic-devices', null, 'aria-label');
  // Above the bar, starting at the arrow, kept inside the window.
  const bar = button.closest('.controls');
  const r = button.getBoundingClientRect();
  popup.style.bottom = `${bar.offsetParent.clientHeight - bar.offsetTop + 8}px`;
  popup.hidden = false;
  const width = popup.offsetWidth;
  popup.style.left = `${Math.max(8, Math.min(r.left - 8, window.innerWidth - width - 8))}px`;
  button.setAttribute('aria-expanded', 'true');
  (popup.querySelector('[aria-pressed="true"]') ?? popup.querySelector('button'))?.focus();
}

/** Adds the arrow after each of the two buttons ({mic, camera}). */
export function initDeviceMenus({ mic, camera }) {
  popup = el('div', 'device-menu', { id: 'device-menu', testid: 'device-menu', role: 'group', hidden: true });
  mic.closest('.controls').after(popup);
  for (const [kind, button] of [['mic', mic], ['camera', camera]]) {
    const arrow = el('button', `ctrl ctrl-arrow ${kind}-devices`, { type: 'button', testid: `${kind}-devices`,
      'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': 'device-menu' });
    arrow.append(icon('chevron'));
    const key = kind === 'camera' ? 'controls.camera-devices' : 'controls.mic-devices';
    tr(arrow, key, null, 'aria-label');
    tr(arrow, key, null, 'title');
    arrow.addEventListener('click', () => openMenu(kind, arrow));
    button.after(arrow);
  }
  popupKeys(popup, () => closeMenu());
  document.addEventListener('pointerdown', (ev) => {
    if (!popup.hidden && !popup.contains(ev.target) && !opener?.contains(ev.target)) closeMenu({ restore: false });
  });
}
