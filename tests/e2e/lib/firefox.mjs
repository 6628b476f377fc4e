// Firefox participants: Debian's firefox-esr driven by puppeteer-core over
// WebDriver BiDi, with fake devices (media.navigator.streams.fake) and no
// permission prompts. One browser per test file, one BiDi user context per
// participant (its own cookies and storage), as browser.mjs does for
// Chromium.
//
//   FIREFOX_BIN   the browser (default /usr/bin/firefox-esr); never downloaded.
//
// A participant's `page` is a small adapter with the calls the other
// helpers (stats.mjs, browser.mjs's describe) make of a Playwright page:
// evaluate(fn, arg) and waitForFunction(fn, arg, { timeout }); `raw` is the
// puppeteer page itself.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

import puppeteer from 'puppeteer-core';

export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // No picker for getDisplayMedia either: it takes the (virtual) screen.
  'media.getdisplaymedia.enabled': true,
  'media.navigator.video.enabled': true,
  // Nothing leaves loopback.
  'network.captive-portal-service.enabled': false,
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

export function firefoxPath() {
  return process.env.FIREFOX_BIN || '/usr/bin/firefox-esr';
}

export function haveFirefox() {
  return fs.existsSync(firefoxPath());
}

/**
 * An address of this machine other than loopback, for the server to
 * advertise as its media address: Firefox gathers no loopback candidates
 * (media.peerconnection.ice.loopback notwithstanding) and pairs none of its
 * own with a loopback one, so a server on 127.0.0.1 is unreachable to it.
 * null when the machine has none.
 */
export function firefoxReachableAddress() {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

/**
 * A virtual X display (Debian's xvfb) for a Firefox that must share its
 * screen: headless Firefox has no screen, and getDisplayMedia fails there
 * with NotFoundError. Resolves to { display, stop }.
 */
export function startXvfb() {
  return new Promise((resolve, reject) => {
    // -displayfd: Xvfb picks a free display itself and writes its number.
    const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x720x24', '-nolisten', 'tcp'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`Xvfb did not start: ${err}`)); }, 10000);
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.stdio[3].on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve({
        display: `:${out.trim()}`,
        stop: () => new Promise((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

export function haveXvfb() {
  return fs.existsSync('/usr/bin/Xvfb');
}

/**
 * executablePath: e.g. a wrapper script that runs Firefox in a namespace.
 * screen: run with a display of its own (startXvfb) so that it can share
 * its screen; the browser's close() also stops the display.
 */
export async function launchFirefox({ executablePath, screen = false } = {}) {
  const xvfb = screen ? await startXvfb() : null;
  let browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: executablePath || firefoxPath(),
      headless: !xvfb,
      extraPrefsFirefox: FIREFOX_PREFS,
      protocolTimeout: 30000,
      timeout: 30000,
      ...(xvfb ? { env: { ...process.env, DISPLAY: xvfb.display } } : {}),
    });
  } catch (err) {
    await xvfb?.stop();
    throw err;
  }
  if (xvfb) {
    const close = browser.close.bind(browser);
    browser.close = async () => {
      try {
        await close();
      } finally {
        await xvfb.stop();
      }
    };
  }
  return browser;
}

function adapter(page) {
  return {
    raw: page,
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    waitForFunction: (fn, arg, { timeout = 10000 } = {}) => page.waitForFunction(fn, { timeout, polling: 100 }, arg),
    click: (selector) => page.click(selector),
  };
}

/**
 * A participant page loading `/<room>?name=<name>&autojoin=1`, resolved once
 * the server said `joined` (p.id is then its participant id).
 */
export async function openFirefoxParticipant(browser, baseUrl, { room, name, timeoutMs = 20000, viewport = { width: 800, height: 600 } }) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(viewport);
  const logs = [];
  page.on('console', (msg) => logs.push(`[${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (err) => logs.push(`[pageerror] ${err.message}`));
  const p = { context, page: adapter(page), name, room, logs, engine: 'firefox' };
  await page.goto(`${baseUrl}/${encodeURIComponent(room)}?name=${encodeURIComponent(name)}&autojoin=1`, { timeout: timeoutMs });
  await p.page.waitForFunction(() => window.stoa?.state === 'joined' && !!window.stoa.selfId, null, { timeout: timeoutMs })
    .catch(async (err) => {
      throw new Error(`${name} (Firefox) did not join within ${timeoutMs} ms: ${err.message}\n${logs.slice(-15).join('\n')}`);
    });
  p.id = await p.page.evaluate(() => window.stoa.selfId);
  return p;
}

export async function closeFirefoxParticipant(p) {
  try {
    await p.context.close();
  } catch {
    // already closed
  }
}
