// The web app at every screen size in every language: at 320×568,
// 390×844, 844×390 (a phone on its side) and 1280×800, in each language
// of web/i18n/languages.json, every control of the room is inside the
// viewport, the bottom bar is one row with the microphone, camera and
// Leave in it, and what does not fit is in the "More" popup (which opens
// inside the viewport and closes with Escape, giving the keyboard back to
// More). The landing and prejoin pages never scroll sideways, nor do the
// side panels (chat, people, settings) at phone and desktop widths, and the
// moderator's lobby checkbox sits on the line of its label.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { until } from './lib/stats.mjs';

const VIEWPORTS = [
  { width: 320, height: 568 },
  { width: 390, height: 844 },
  { width: 844, height: 390 },
  { width: 1280, height: 800 },
];
const LANGUAGES = JSON.parse(readFileSync(new URL('../../web/i18n/languages.json', import.meta.url))).map((l) => l.code);
const ALWAYS_IN_BAR = ['mic-toggle', 'camera-toggle', 'leave'];
const tid = (id) => `[data-testid="${id}"]`;

/** Switches the page's language through the app's own module (the same instance the page uses). */
async function setLanguage(page, code) {
  await page.evaluate(async (c) => {
    const m = await import('/_/i18n.js');
    await m.setLanguage(c, { remember: false });
  }, code);
  await until(() => page.evaluate((c) => document.documentElement.lang === c, code), { what: `language ${code}` });
}

/** Resizes and waits until the toolbar has been fitted to the new width (two frames). */
async function resize(page, vp) {
  await page.setViewportSize(vp);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Boxes of the visible elements matching selector, with their testid or text. */
function boxes(page, selector) {
  return page.evaluate((sel) => [...document.querySelectorAll(sel)]
    .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
    .map((e) => {
      const r = e.getBoundingClientRect();
      return { what: e.dataset.testid || e.id || e.textContent.trim().slice(0, 30), left: r.left, right: r.right,
        top: r.top, bottom: r.bottom };
    }), selector);
}

function assertInside(list, vp, where) {
  for (const b of list) {
    assert.ok(b.left >= -0.5 && b.right <= vp.width + 0.5 && b.top >= -0.5 && b.bottom <= vp.height + 0.5,
      `${where}: ${b.what} inside ${vp.width}×${vp.height} (${b.left.toFixed(0)}..${b.right.toFixed(0)} × ` +
      `${b.top.toFixed(0)}..${b.bottom.toFixed(0)})`);
  }
}

describe('every screen, every language', { timeout: 300000 }, () => {
  let server;
  let browser;
  let mod;
  let other;

  before(async () => {
    server = await startServer({ label: 'viewports' });
    browser = await launchBrowser();
    mod = await openParticipant(browser, server.url, { room: 'screens', name: 'Moderator' });
    other = await openParticipant(browser, server.url, { room: 'screens', name: 'Guest' });
  });

  after(async () => {
    await Promise.all([mod, other].filter(Boolean).map(closeParticipant));
    await browser?.close();
    await server?.kill();
  });

  test('the room: every control inside the viewport, the bar one row, the rest under More', async () => {
    const page = mod.page;
    const all = await page.locator('#controls .ctrl').evaluateAll((bs) => bs.map((b) => b.dataset.testid)
      .filter((id) => id !== 'more-open' && !document.querySelector(`[data-testid="${id}"]`).hidden));
    const seen = [];
    for (const lang of LANGUAGES) {
      await setLanguage(page, lang);
      for (const vp of VIEWPORTS) {
        await resize(page, vp);
        const where = `${lang} ${vp.width}×${vp.height}`;
        const bar = await boxes(page, '#controls .ctrl');
        assertInside(bar, vp, where);
        assertInside(await boxes(page, '.room-bar button, .room-bar h1, .room-bar .room-title'), vp, where);
        const tops = new Set(bar.map((b) => Math.round(b.top / 4)));
        assert.ok(Math.max(...bar.map((b) => b.top)) - Math.min(...bar.map((b) => b.top)) <= 2,
          `${where}: the bar is one row (${bar.map((b) => `${b.what}@${b.top.toFixed(0)}`).join(' ')})`);
        for (const id of ALWAYS_IN_BAR) assert.ok(bar.some((b) => b.what === id), `${where}: ${id} in the bar`);
        const inBar = bar.map((b) => b.what).filter((id) => id !== 'more-open');
        const hasMore = bar.some((b) => b.what === 'more-open');
        const overflow = await page.locator('#more-menu .ctrl').evaluateAll((bs) => bs.map((b) => b.dataset.testid));
        assert.deepEqual([...inBar, ...overflow].sort(), [...all].sort(), `${where}: every control in the bar or under More`);
        assert.equal(hasMore, overflow.length > 0, `${where}: More is shown exactly when something is under it`);
        if (hasMore) {
          await page.locator(tid('more-open')).click();
          await page.locator(tid('more-menu')).waitFor({ state: 'visible', timeout: 2000 });
          assertInside(await boxes(page, '#more-menu, #more-menu .ctrl'), vp, `${where}, More open`);
          assert.equal(await page.locator(tid('more-open')).getAttribute('aria-expanded'), 'true');
          assert.equal(await page.evaluate(() => document.getElementById('more-menu').contains(document.activeElement)),
            true, `${where}: opening More puts the keyboard on its first item`);
          await page.keyboard.press('Escape');
          await page.locator(tid('more-menu')).waitFor({ state: 'hidden', timeout: 2000 });
          assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'more-open',
            `${where}: Escape gives the keyboard back to More`);
        }
        if (vp.width === 320 || vp.height === 390) {
          // The device list opens inside the window too.
          await page.locator(tid('mic-devices')).click();
          await page.locator(tid('device-menu')).waitFor({ state: 'visible', timeout: 2000 });
          assertInside(await boxes(page, '#device-menu, #device-menu button'), vp, `${where}, devices open`);
          await page.keyboard.press('Escape');
          await page.locator(tid('device-menu')).waitFor({ state: 'hidden', timeout: 2000 });
        }
        seen.push(`${where}: ${inBar.length} in the bar, ${overflow.length} under More (${tops.size} row)`);
      }
    }
    console.log(`# ${seen.filter((s) => s.startsWith('en ') || s.startsWith('fr ')).join('; ')}`);
    // The phone sizes do need More; the desktop does not.
    await setLanguage(page, 'en');
    await resize(page, { width: 320, height: 568 });
    assert.ok(await page.locator(tid('more-open')).isVisible(), 'at 320 px some controls are under More');
    await resize(page, { width: 1280, height: 800 });
    assert.equal(await page.locator(tid('more-open')).isVisible(), false, 'at 1280 px everything is in the bar');
  });

  test('an action under More works and closes it; the chat badge shows on More', async () => {
    const page = mod.page;
    await resize(page, { width: 320, height: 568 });
    await page.locator(tid('more-open')).click();
    const hand = page.locator(`#more-menu ${tid('hand-toggle')}`);
    await hand.waitFor({ state: 'visible', timeout: 2000 });
    await hand.click();
    await page.locator(tid('more-menu')).waitFor({ state: 'hidden', timeout: 2000 });
    await until(() => other.page.evaluate((id) => window.stoa.hands.includes(id), mod.id),
      { what: 'the other participant sees the hand raised from under More' });
    await page.locator(tid('more-open')).click();
    await page.locator(`#more-menu ${tid('hand-toggle')}`).click();
    await until(() => other.page.evaluate(() => window.stoa.hands.length === 0), { what: 'hand lowered' });

    const inMenu = await page.locator(`#more-menu ${tid('chat-open')}`).count();
    if (inMenu) {
      await other.page.locator(tid('chat-open')).click();
      await other.page.locator(tid('chat-input')).fill('look under More');
      await other.page.locator(tid('chat-send')).click();
      await until(async () => (await page.locator(`${tid('more-open')} .ctrl-badge`).isVisible()),
        { what: 'an unread message marks the More button' });
    }
    await resize(page, { width: 1280, height: 800 });
  });

  test('landing and prejoin never scroll sideways; the lobby checkbox stays on its label\'s line', async () => {
    const page = await browser.newPage();
    try {
      for (const lang of LANGUAGES) {
        for (const path of ['/', '/screens']) {
          await page.goto(`${server.url}${path}`);
          await page.waitForFunction(() => ['landing', 'prejoin'].includes(window.stoa?.state), null, { timeout: 10000 });
          await setLanguage(page, lang);
          for (const vp of VIEWPORTS) {
            await resize(page, vp);
            const where = `${lang} ${path} ${vp.width}×${vp.height}`;
            const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            assert.ok(wide <= 0, `${where}: no sideways scrolling (${wide} px too wide)`);
            const list = await boxes(page, 'main button, main input, main select, main label, main h1, main h2');
            for (const b of list) {
              assert.ok(b.left >= -0.5 && b.right <= vp.width + 0.5, `${where}: ${b.what} within the width ` +
                `(${b.left.toFixed(0)}..${b.right.toFixed(0)})`);
            }
          }
        }
      }
    } finally {
      await page.close();
    }

    // The side panels: nothing sticks out sideways, every control inside the window.
    const panels = [['chat-open', 'chat-panel'], ['participants-open', 'participants-panel'], ['settings-open', 'settings-panel']];
    for (const lang of LANGUAGES) {
      await setLanguage(mod.page, lang);
      for (const vp of [VIEWPORTS[0], VIEWPORTS[2], VIEWPORTS[3]]) {
        await resize(mod.page, vp);
        for (const [opener, panel] of panels) {
          const where = `${lang} ${vp.width}×${vp.height} ${panel}`;
          const box = mod.page.locator(tid(panel));
          if (!(await box.isVisible())) {
            // On a phone an open panel covers the bar: close it first.
            const open = mod.page.locator('.panel-close:visible');
            if (await open.count()) await open.first().click();
            const b = mod.page.locator(`#controls ${tid(opener)}`);
            if (!(await b.isVisible())) await mod.page.locator(tid('more-open')).click();
            await mod.page.locator(tid(opener)).click();
            await box.waitFor({ state: 'visible', timeout: 3000 });
          }
          const sideways = await box.evaluate((e) => [...e.querySelectorAll('*')].filter((x) => x.scrollWidth > x.clientWidth + 1 &&
            getComputedStyle(x).overflowX !== 'visible' && !['SELECT', 'TEXTAREA', 'INPUT'].includes(x.tagName) &&
            !x.closest('.entry-name, .hand-name, .visually-hidden')).map((x) => x.className || x.tagName));
          assert.deepEqual(sideways, [], `${where}: nothing scrolls sideways`);
          const controls = (await boxes(mod.page, `[data-testid="${panel}"] button, [data-testid="${panel}"] select, [data-testid="${panel}"] input, [data-testid="${panel}"] label`))
            .map((b) => ({ ...b, top: 0, bottom: 0 }));   // panels scroll vertically
          assertInside(controls, vp, where);
        }
      }
    }
    await setLanguage(mod.page, 'en');
    await resize(mod.page, { width: 1280, height: 800 });

    const p = mod.page;
    await p.locator(tid('participants-open')).click().catch(async () => {
      await p.locator(tid('more-open')).click();
      await p.locator(`#more-menu ${tid('participants-open')}`).click();
    });
    await p.locator(tid('participants-panel')).waitFor({ state: 'visible', timeout: 5000 });
    for (const lang of LANGUAGES) {
      await setLanguage(p, lang);
      for (const vp of VIEWPORTS) {
        await resize(p, vp);
        const where = `${lang} ${vp.width}×${vp.height}`;
        const [box] = await boxes(p, tid('lobby-toggle'));
        const label = await p.locator(tid('lobby-toggle')).evaluate((c) => {
          const l = c.closest('label') ?? document.querySelector(`label[for="${c.id}"]`);
          const text = [...(l?.childNodes ?? [])].find((n) => n.nodeType === 3 && n.textContent.trim()) ??
            l?.querySelector('span');
          const range = document.createRange();
          range.selectNodeContents(text ?? l);
          const first = range.getClientRects()[0];
          return first ? { top: first.top, bottom: first.bottom, right: l.getBoundingClientRect().right } : null;
        });
        assert.ok(box && label, `${where}: lobby checkbox and label shown`);
        assert.ok(label.top < box.bottom && label.bottom > box.top,
          `${where}: the lobby label's first line is level with its checkbox (${label.top.toFixed(0)}..` +
          `${label.bottom.toFixed(0)} vs ${box.top.toFixed(0)}..${box.bottom.toFixed(0)})`);
        assert.ok(label.right <= vp.width + 0.5, `${where}: the lobby label within the width`);
      }
    }
    await setLanguage(p, 'en');
  });
});
