// The settings panel: language, camera, microphone, speaker, and the list of
// keyboard shortcuts. Also the language picker of the top bar.

import { deviceOf, fillSelect, listDevices } from './devices.js';
import { availableLanguages, i18nEvents, language, setLanguage, tr } from './i18n.js';
import { cameraTrack, micTrack, switchDevice } from './media.js';
import { registerPanel } from './panels.js';
import { canChooseSpeaker, setSpeaker } from './remote-audio.js';
import { shortcutList } from './shortcuts.js';
import { $, el, stoa, storageGet, storageSet } from './state.js';

/** Fills a <select> with the languages (each in its own name) and wires it. */
export function languagePicker(select) {
  const fill = () => {
    select.replaceChildren(
      ...availableLanguages().map((l) => el('option', '', { value: l.code, text: l.name, lang: l.code })),
    );
    select.value = language();
  };
  fill();
  select.addEventListener('change', () => setLanguage(select.value));
  i18nEvents.addEventListener('change', () => {
    select.value = language();
    stoa.language = language();
  });
  stoa.language = language();
}

let cameraSelect;
let micSelect;
let speakerSelect;

async function refreshDevices() {
  const { cameras, mics } = await listDevices();
  fillSelect(cameraSelect, cameras, deviceOf(cameraTrack()), 'camera');
  fillSelect(micSelect, mics, deviceOf(micTrack()), 'mic');
  if (speakerSelect && navigator.mediaDevices?.enumerateDevices) {
    const outs = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'audiooutput' && d.deviceId);
    fillSelect(speakerSelect, outs, storageGet('stoa.speaker', 'default'), 'speaker');
  }
}

function field(labelKey, control) {
  const id = control.id;
  const wrap = el('div', 'field');
  wrap.append(tr(el('label', '', { for: id }), labelKey), control);
  return wrap;
}


export function initSettings() {
  const body = registerPanel('settings', $('panel-settings'), { titleKey: 'settings.title', onOpen: refreshDevices });
  const langSelect = el('select', '', { id: 'language-select', testid: 'language-select' });
  languagePicker(langSelect);
  cameraSelect = el('select', '', { id: 'settings-camera-select', testid: 'settings-camera-select' });
  micSelect = el('select', '', { id: 'settings-mic-select', testid: 'settings-mic-select' });
  cameraSelect.addEventListener('change', () => cameraSelect.value && switchDevice('camera', cameraSelect.value));
  micSelect.addEventListener('change', () => micSelect.value && switchDevice('mic', micSelect.value));
  body.append(field('settings.language', langSelect), field('devices.camera', cameraSelect), field('devices.microphone', micSelect));
  if (canChooseSpeaker()) {
    speakerSelect = el('select', '', { id: 'settings-speaker-select' });
    speakerSelect.addEventListener('change', () => {
      storageSet('stoa.speaker', speakerSelect.value);
      setSpeaker(speakerSelect.value);
    });
    body.append(field('devices.speaker', speakerSelect));
  }
  const head = tr(el('h3'), 'shortcuts.title');
  body.append(head, shortcutList());
  navigator.mediaDevices?.addEventListener?.('devicechange', () => {
    if (!$('panel-settings').hidden) refreshDevices();
  });
}
