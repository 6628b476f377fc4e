// Before joining: the name (remembered), camera and microphone choice with a
// live preview and a level meter, and whether to join with them on.

import { animateMeter, meterFor } from './audio-level.js';
import { deviceErrorText, deviceOf, fillSelect, listDevices, openMedia, openTrack, rememberDevice } from './devices.js';
import { i18nEvents, t, tr } from './i18n.js';
import { icon } from './icons.js';
import { $, stoa, storageGet, storageSet } from './state.js';
import { showView } from './ui.js';

export const NAME_KEY = 'stoa.name';

let meter = null;
let stopAnim = () => {};

function startMeter(track) {
  stopAnim();
  meter?.stop();
  meter = meterFor(track);
  stopAnim = animateMeter(meter, $('prejoin-level'));
}

function renderToggle(btn, kind, on, available) {
  btn.setAttribute('aria-pressed', String(on));
  btn.classList.toggle('off', !on);
  btn.disabled = !available;
  btn.replaceChildren(icon(kind === 'mic' ? 'mic' : 'camera', { off: !on }));
  const key = kind === 'mic' ? (on ? 'controls.mic-turn-off' : 'controls.mic-turn-on') : on ? 'controls.camera-turn-off' : 'controls.camera-turn-on';
  btn.title = t(key);
}

/**
 * Shows the prejoin view. Resolves with {name} when the person joins; the
 * devices are left in stoa.localStream (tracks disabled when turned off).
 */
export function prejoin(room, initialName) {
  stoa.state = 'prejoin';
  showView('prejoin');
  tr($('prejoin-heading'), 'prejoin.heading', { room });
  document.title = t('prejoin.title', { room });
  const nameInput = $('prejoin-name');
  nameInput.value = initialName;
  const preview = $('prejoin-preview');
  const camSel = $('prejoin-camera-select');
  const micSel = $('prejoin-mic-select');
  const micBtn = $('prejoin-mic-toggle');
  const camBtn = $('prejoin-camera-toggle');
  const errorEl = $('prejoin-devices-error');
  let micOn = true;
  let camOn = true;

  const tracks = () => ({ mic: stoa.localStream?.getAudioTracks()[0] ?? null, cam: stoa.localStream?.getVideoTracks()[0] ?? null });
  const render = () => {
    const { mic, cam } = tracks();
    if (mic) mic.enabled = micOn;
    if (cam) cam.enabled = camOn;
    renderToggle(micBtn, 'mic', micOn && !!mic, !!mic);
    renderToggle(camBtn, 'camera', camOn && !!cam, !!cam);
    $('prejoin-preview-off').hidden = camOn && !!cam;
    preview.classList.toggle('hidden-video', !(camOn && cam));
  };
  const fill = async () => {
    const { cameras, mics } = await listDevices();
    const { mic, cam } = tracks();
    fillSelect(camSel, cameras, deviceOf(cam), 'camera');
    fillSelect(micSel, mics, deviceOf(mic), 'mic');
  };
  const swap = async (kind, deviceId) => {
    const { mic, cam } = tracks();
    const old = kind === 'camera' ? cam : mic;
    try {
      const track = await openTrack(kind, deviceId);
      if (!stoa.localStream) stoa.localStream = new MediaStream();
      if (old) {
        stoa.localStream.removeTrack(old);
        old.stop();
      }
      stoa.localStream.addTrack(track);
      rememberDevice(kind, deviceId);
      if (kind === 'camera') preview.srcObject = stoa.localStream;
      else startMeter(track);
      errorEl.hidden = true;
    } catch (err) {
      errorEl.textContent = deviceErrorText(err?.name);
      errorEl.hidden = false;
    }
    render();
  };

  const onLang = () => render();
  i18nEvents.addEventListener('change', onLang);
  micBtn.onclick = () => {
    micOn = !micOn;
    render();
  };
  camBtn.onclick = () => {
    camOn = !camOn;
    render();
  };
  camSel.onchange = () => camSel.value && swap('camera', camSel.value);
  micSel.onchange = () => micSel.value && swap('mic', micSel.value);

  render();
  nameInput.focus();
  const opened = (stoa.localStream ? Promise.resolve({ stream: stoa.localStream, error: null }) : openMedia()).then(async ({ stream, error }) => {
    if (stoa.state !== 'prejoin') {
      if (stream !== stoa.localStream) for (const track of stream?.getTracks() ?? []) track.stop();
      return;
    }
    stoa.localStream = stream;
    if (error && (!stream || stream.getTracks().length < 2)) {
      errorEl.textContent = deviceErrorText(error);
      errorEl.hidden = false;
    }
    if (stream) {
      preview.srcObject = stream;
      preview.play().catch(() => {});
      const mic = stream.getAudioTracks()[0];
      if (mic) startMeter(mic);
    }
    render();
    await fill();
  });

  return new Promise((resolve) => {
    $('prejoin-form').onsubmit = async (ev) => {
      ev.preventDefault();
      const name = nameInput.value.trim();
      storageSet(NAME_KEY, name);
      await opened;
      stopAnim();
      meter?.stop();
      meter = null;
      i18nEvents.removeEventListener('change', onLang);
      preview.srcObject = null;
      render();
      resolve({ name });
    };
  });
}

export const storedName = () => storageGet(NAME_KEY, '');
