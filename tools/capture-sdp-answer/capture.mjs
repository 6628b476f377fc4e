// Captures the SDP answers real browsers give to Stoa's offers, and so
// checks that they accept those offers at all: Chromium (playwright-core)
// and Firefox (puppeteer-core over WebDriver BiDi).
//
// The offers are tests/fixtures/sdp/offer-*.sdp, written by sdp_write_offer:
//   ./build/tests/unit/test_sdp --write-offers tests/fixtures/sdp
// then, in this folder:
//   npm ci && node capture.mjs [--firefox] [--check] [--only=NAME] [path/to/browser]
// writes tests/fixtures/sdp/chromium-answer-*.sdp, or with --firefox
// firefox-answer-*.sdp (--only=NAME: just those whose file name contains
// NAME; with --check it only negotiates and reports, e.g. to see that the
// browser still takes the offers without changing the fixtures the unit
// tests assert on). The browser is Debian's (/usr/bin/chromium, or
// /usr/bin/firefox-esr with --firefox); nothing is downloaded.
//
// The page is an empty document at http://localhost/ (about:blank is not a
// secure context, so it has no getUserMedia): served by Playwright's
// request interception for Chromium, by a loopback HTTP server of this
// script for Firefox.
//
// Each scenario plays the client side of docs/protocol.md ("The offers Stoa
// makes"): setRemoteDescription(offer), attach the fake microphone and camera
// to the transceivers of mids 0 and 1 (replaceTrack, direction 'sendonly'),
// createAnswer, setLocalDescription. The fixture is the createAnswer() text,
// which has no candidates (Stoa reads none), except for the 'gathered' one.

import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', 'tests', 'fixtures', 'sdp');
const args = process.argv.slice(2);
const checkOnly = args.includes('--check');    // negotiate and report, write nothing
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? onlyArg.slice('--only='.length) : null;   // write only fixtures whose name contains this
const firefox = args.includes('--firefox');
const engine = firefox ? 'firefox' : 'chromium';
const executablePath = args.find((a) => !a.startsWith('--')) || (firefox ? '/usr/bin/firefox-esr' : '/usr/bin/chromium');

async function readOffer(name) {
  const text = await readFile(join(fixtures, name), 'latin1');
  // Drop the '#' comment lines at the top; the rest is the SDP as written.
  return text.replace(/^(#[^\n]*\n)+/, '');
}

// Runs in the page. steps: [{ offer, name, gathered }], answered in order on one
// RTCPeerConnection; media: which fake devices the participant has.
async function negotiate({ steps, media }) {
  const stream = await navigator.mediaDevices.getUserMedia(media);
  const audio = stream.getAudioTracks()[0] || null;
  const video = stream.getVideoTracks()[0] || null;
  const pc = new RTCPeerConnection();
  const results = [];
  // Remote tracks: the stream id must be the sending participant's id.
  let tracks = [];
  pc.addEventListener('track', (e) => {
    tracks.push(`${e.transceiver.mid}=${e.streams.map((st) => st.id).join(',')}/${e.track.id}`);
  });
  try {
    for (const step of steps) {
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: step.offer });
      } catch (e) {
        throw new Error(`${step.name}: setRemoteDescription refused the offer: ${e.message}`);
      }
      for (const t of pc.getTransceivers()) {
        const track = t.mid === '0' ? audio : t.mid === '1' ? video : undefined;
        if (track === undefined)
          continue;
        if (track) {
          await t.sender.replaceTrack(track);
          t.direction = 'sendonly';
        } else {
          t.direction = 'inactive';     // no such device
        }
      }
      const answer = await pc.createAnswer();
      try {
        await pc.setLocalDescription(answer);
      } catch (e) {
        throw new Error(`${step.name}: setLocalDescription refused the answer: ${e.message}`);
      }
      let sdp = answer.sdp;
      if (step.gathered) {
        // What a client that waits for ICE gathering would send: the local
        // description with the browser's own candidates in it.
        if (pc.iceGatheringState !== 'complete') {
          await new Promise((resolve) => {
            pc.addEventListener('icegatheringstatechange', () => {
              if (pc.iceGatheringState === 'complete')
                resolve();
            });
          });
        }
        sdp = pc.localDescription.sdp;
      }
      results.push({
        name: step.name,
        sdp,
        mids: pc.getTransceivers().map((t) => `${t.mid}:${t.currentDirection}`).join(' '),
        tracks: tracks.join(' '),
      });
      tracks = [];
    }
  } finally {
    pc.close();
    stream.getTracks().forEach((t) => t.stop());
  }
  return results;
}

const scenarios = [
  {
    media: { audio: true, video: true },
    steps: [
      { offer: 'offer-1.sdp', out: 'answer-1-own.sdp',
        what: 'first offer: only the participant\'s own sections (mids 0, 1)' },
      { offer: 'offer-2.sdp', out: 'answer-2-others.sdp',
        what: 'renegotiation after the first: own sections + two other participants\' audio/video (mids 2-5 sendonly)' },
      { offer: 'offer-3.sdp', out: 'answer-3-disabled.sdp',
        what: 'renegotiation after the second: participant b7c2e91d left, mids 2 and 3 disabled (port 0)' },
    ],
  },
  {
    media: { audio: true, video: false },
    steps: [
      { offer: 'offer-1.sdp', out: 'answer-4-audio-only.sdp',
        what: 'first offer, participant without a camera: mid 1 set inactive' },
    ],
  },
  {
    media: { audio: true, video: true },
    steps: [
      { offer: 'offer-1.sdp', out: 'answer-5-gathered.sdp', gathered: true,
        what: 'first offer, sent after ICE gathering completed (pc.localDescription with the browser\'s host candidates)' },
    ],
  },
  {
    media: { audio: true, video: { width: 1280, height: 720 } },
    steps: [
      { offer: 'offer-4.sdp', out: 'answer-6-simulcast.sdp',
        what: 'first offer asking for simulcast on the camera (rids l;m;h recv): three layers (Chromium lists no SSRCs for them; Firefox lists each layer\'s and its RTX\'s)' },
    ],
  },
];

/** { version, page, close }: one page of the browser, at a secure empty document. */
async function openChromium() {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage();
  // Answered by Playwright itself: nothing listens there and no request
  // leaves the browser.
  await page.route('http://localhost/capture', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>capture</title>' }));
  await page.goto('http://localhost/capture');
  return { version: `Chromium ${browser.version()}`, page, close: () => browser.close() };
}

async function openFirefox() {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>capture</title>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
    },
  });
  const page = await browser.newPage();
  await page.goto(`http://localhost:${server.address().port}/capture`);
  const version = (await browser.version()).replace(/^firefox\//i, 'Firefox ');
  return { version, page, close: async () => { await browser.close(); server.close(); } };
}

const { version, page, close } = firefox ? await openFirefox() : await openChromium();
let failed = false;
try {
  for (const sc of scenarios) {
    const steps = [];
    for (const s of sc.steps)
      steps.push({ name: s.offer, offer: await readOffer(s.offer), gathered: !!s.gathered });
    let results;
    try {
      results = await page.evaluate(negotiate, { steps, media: sc.media });
    } catch (e) {
      console.error(`FAILED: ${e.message}`);
      failed = true;
      continue;
    }
    for (let i = 0; i < results.length; i++) {
      const s = sc.steps[i];
      const out = `${engine}-${s.out}`;
      const header =
        `# Captured from ${version} (Debian, ${executablePath}) by\n` +
        `# tools/capture-sdp-answer/capture.mjs: the answer to ${s.offer},\n` +
        `# ${s.what}.\n`;
      if (!checkOnly && (!only || out.includes(only)))
        await writeFile(join(fixtures, out), header + results[i].sdp, 'latin1');
      console.log(`${out}: ${results[i].sdp.length} bytes; transceivers ${results[i].mids}` +
        (results[i].tracks ? `; new remote tracks ${results[i].tracks}` : ''));
    }
  }
} finally {
  await close();
}
process.exit(failed ? 1 : 0);
