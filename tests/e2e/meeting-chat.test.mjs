// Chat in the web app: three participants talk, text stays text (no HTML),
// links are links, private messages stay private, the unread badge counts,
// a late joiner sees the public history, and reactions neither stack
// notices nor overlap.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  closeMeeting, describeMeeting, launchMeetingBrowser, openChatPanel, openMeeting, sendChat, shownChat, sleep, tid, waitChatShown,
  serverSurvives, reportServerDeath,
} from './lib/meeting.mjs';
import { startServer } from './lib/server.mjs';

const ROOM = 'chat-room';
const XSS = '<script>window.__xss=1</script><b>bold</b>';
const unread = (text) => Number((text ?? '').match(/\d+/)?.[0] ?? NaN);
const LINK_TEXT = 'see http://example.org for details';

describe('meeting chat', { timeout: 90000 }, () => {
  let server;
  let browser;
  const people = [];
  let ana;
  let bo;
  let cai;
  const publicTexts = [];

  before(async () => {
    server = await startServer({ label: 'meeting-chat' });
    browser = await launchMeetingBrowser();
    for (const name of ['Ana', 'Bo', 'Cai']) people.push(await openMeeting(browser, server.url, { room: ROOM, name }));
    [ana, bo, cai] = people;
    for (const p of people) {
      await p.page.waitForFunction((n) => window.stoa.participants.size === n, 2, { timeout: 10000 });
    }
  });

  after(async () => {
    await Promise.all(people.map(closeMeeting));
    await browser?.close();
    reportServerDeath(server);
    await server?.kill();
  });

  test('chat between three participants; the unread badge counts while the panel is closed', async () => {
    await openChatPanel(ana);
    await openChatPanel(bo);
    assert.equal(await cai.page.locator(tid('chat-panel')).isVisible(), false, 'Cai keeps the chat closed');
    assert.equal(await cai.page.locator(tid('chat-badge')).isVisible(), false, 'no badge before any message');

    await sendChat(ana, 'Hello from Ana');
    publicTexts.push('Hello from Ana');
    const seen = await waitChatShown(bo, 'Hello from Ana');
    assert.equal(seen.from, ana.id);
    assert.equal(seen.private, 'false');
    await waitChatShown(ana, 'Hello from Ana');
    await cai.page.waitForFunction(() => window.stoa.chat.some((m) => m.text === 'Hello from Ana'), null, { timeout: 5000 });
    const badge = cai.page.locator(tid('chat-badge'));
    await badge.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(unread(await badge.textContent()), 1, 'Cai\'s badge counts one');

    await sendChat(bo, 'Hi Ana, Bo here');
    publicTexts.push('Hi Ana, Bo here');
    await waitChatShown(ana, 'Hi Ana, Bo here');
    await cai.page.waitForFunction(() => window.stoa.chat.length === 2, null, { timeout: 5000 });
    await cai.page.waitForFunction(() => /(^|\D)2(\D|$)/.test(document.querySelector('[data-testid="chat-badge"]')?.textContent ?? ''), null, { timeout: 3000 })
      .catch(() => {});
    assert.equal(unread(await badge.textContent()), 2, 'Cai\'s badge counts two');
    assert.equal(await badge.isVisible(), true);

    await openChatPanel(cai);
    await waitChatShown(cai, 'Hi Ana, Bo here');
    assert.deepEqual((await shownChat(cai)).map((m) => [m.from, m.text]), [[ana.id, 'Hello from Ana'], [bo.id, 'Hi Ana, Bo here']]);
    await badge.waitFor({ state: 'hidden', timeout: 3000 });

    await sendChat(cai, 'Cai says hi');
    publicTexts.push('Cai says hi');
    for (const p of [ana, bo]) await waitChatShown(p, 'Cai says hi');
    for (const p of people) {
      assert.deepEqual((await shownChat(p)).map((m) => m.text), publicTexts, `${p.name} shows the messages in order`);
    }
  });

  test('markup in a message is shown as text, never interpreted', async () => {
    await sendChat(ana, XSS);
    publicTexts.push(XSS);
    for (const p of people) {
      await waitChatShown(p, XSS);
      const r = await p.page.evaluate((want) => {
        const texts = [...document.querySelectorAll('[data-testid="chat-text"]')].filter((t) => t.textContent === want);
        return {
          n: texts.length,
          b: texts.some((t) => t.querySelector('b, script')),
          anyB: !!document.querySelector('[data-testid="chat-messages"] b, [data-testid="chat-messages"] script'),
          xss: window.__xss,
        };
      }, XSS);
      assert.equal(r.n, 1, `${p.name} shows the text once`);
      assert.equal(r.b, false, `${p.name} created a <b> or <script> element from chat text`);
      assert.equal(r.anyB, false, `${p.name} has a <b> or <script> in the chat`);
      assert.equal(r.xss, undefined, `${p.name} ran the script`);
    }
  });

  test('a link is a clickable <a> with its address; javascript: is not', async () => {
    await sendChat(bo, LINK_TEXT);
    publicTexts.push(LINK_TEXT);
    await sendChat(bo, 'javascript:window.__xss=2');
    publicTexts.push('javascript:window.__xss=2');
    for (const p of people) {
      await waitChatShown(p, 'javascript:window.__xss=2');
      const links = await p.page.evaluate((want) => {
        const t = [...document.querySelectorAll('[data-testid="chat-text"]')].find((x) => x.textContent === want);
        return [...(t?.querySelectorAll('a') ?? [])].map((a) => ({ href: a.href, attr: a.getAttribute('href'), text: a.textContent }));
      }, LINK_TEXT);
      assert.equal(links.length, 1, `${p.name} shows one link: ${JSON.stringify(links)}`);
      assert.equal(new URL(links[0].href).href, 'http://example.org/', `${p.name}: href ${links[0].attr}`);
      assert.match(links[0].text, /http:\/\/example\.org/);
      const a = p.page.locator(tid('chat-text')).filter({ hasText: 'see http://example.org' }).locator('a');
      assert.equal(await a.isVisible(), true, `${p.name}: the link is visible`);
      assert.equal(await a.isEnabled(), true);
      const js = await p.page.evaluate(() => document.querySelectorAll('[data-testid="chat-messages"] a[href^="javascript:" i]').length);
      assert.equal(js, 0, `${p.name} made a javascript: link`);
    }
  });

  test('a private message is seen only by its addressee and its sender', async () => {
    await sendChat(ana, 'for Cai only', cai.id);
    const atCai = await waitChatShown(cai, 'for Cai only');
    assert.equal(atCai.private, 'true');
    assert.equal(atCai.from, ana.id);
    const atAna = await waitChatShown(ana, 'for Cai only');
    assert.equal(atAna.private, 'true');
    // Bo hears of it neither in the page nor in its state.
    await sendChat(ana, 'public again', '');
    publicTexts.push('public again');
    await waitChatShown(bo, 'public again');
    await sleep(300);
    const boSees = await shownChat(bo);
    assert.ok(!boSees.some((m) => m.text === 'for Cai only'), `Bo shows the private message: ${JSON.stringify(boSees)}`);
    assert.equal(await bo.page.evaluate(() => window.stoa.chat.some((m) => m.text === 'for Cai only')), false);
    assert.deepEqual(boSees.map((m) => m.text), publicTexts);
  });

  test('a late joiner sees the public history, not private messages', async () => {
    const dee = await openMeeting(browser, server.url, { room: ROOM, name: 'Dee' });
    people.push(dee);
    await dee.page.waitForFunction((n) => window.stoa.chat.length >= n, publicTexts.length, { timeout: 5000 })
      .catch(async () => assert.fail(`Dee has no history: ${await describeMeeting(dee)}`));
    assert.deepEqual(await dee.page.evaluate(() => window.stoa.chat.map((m) => m.text)), publicTexts);
    await openChatPanel(dee);
    await waitChatShown(dee, 'public again');
    const shown = await shownChat(dee);
    assert.deepEqual(shown.map((m) => m.text), publicTexts);
    assert.equal(shown[0].from, ana.id);
    assert.equal(await dee.page.evaluate(() => window.__xss), undefined);
  });
  test('reactions: a burst of clicks gives one slow-down notice; bursts shown together do not overlap', async () => {
    const menu = ana.page.locator('#reactions-menu');
    if (await menu.isHidden()) await ana.page.locator(tid('reactions-open')).click();
    await menu.waitFor({ state: 'visible', timeout: 5000 });
    const thumbs = ana.page.locator(`${tid('reaction')}[data-emoji="👍"]`);
    // 5 per 10 s are allowed: the other 3 clicks are refused, on our side or the server's.
    // The 8 clicks are one burst in the page: clicked one by one through
    // Playwright, on a loaded machine, they spread over seconds, and the
    // first bursts (4 s) or the notice (3 s) were gone before the last.
    await thumbs.first().waitFor({ state: 'visible', timeout: 5000 });
    await thumbs.evaluate((b) => { for (let i = 0; i < 8; i++) b.click(); });
    await bo.page.waitForFunction(() => document.querySelectorAll('[data-testid="reaction-burst"]').length >= 4, null, { timeout: 5000 })
      .catch(async () => assert.fail(`Bo sees few reactions: ${await describeMeeting(bo)}`));
    const shown = await bo.page.evaluate(() => [...document.querySelectorAll('[data-testid="reaction-burst"]')].map((b) => {
      const r = b.querySelector('.reaction-name').getBoundingClientRect();
      return { lane: b.dataset.lane, box: { left: r.left, right: r.right, top: r.top, bottom: r.bottom } };
    }));
    assert.ok(shown.length <= 4, `at most four bursts at once (${shown.length})`);
    assert.equal(new Set(shown.map((b) => b.lane)).size, shown.length, `each burst has a lane of its own: ${JSON.stringify(shown)}`);
    const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    // The labels rise with the animation: compare them at one moment.
    for (let i = 0; i < shown.length; i++) {
      for (let j = i + 1; j < shown.length; j++) {
        assert.ok(!overlap(shown[i].box, shown[j].box), `name labels ${i} and ${j} overlap: ${JSON.stringify(shown)}`);
      }
    }
    await sleep(300);
    const notices = await ana.page.evaluate(() => [...document.querySelectorAll('[data-testid="toast"]')]
      .filter((t) => !t.classList.contains('leaving')).map((t) => t.textContent));
    const slow = notices.filter((text) => text.includes('Not so fast') || text.includes('Too many at once'));
    assert.equal(slow.length, 1, `one slow-down notice, not one per click: ${JSON.stringify(notices)}`);
    // Notices sit at the bottom, above the controls, not over the faces at the top.
    const box = await ana.page.evaluate(() => {
      const t = [...document.querySelectorAll('[data-testid="toast"]')].find((x) => !x.classList.contains('leaving'));
      const r = t.getBoundingClientRect();
      const bar = document.getElementById('controls').getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, height: innerHeight, barTop: bar.top };
    });
    assert.ok(box.top > box.height / 2 && box.bottom <= box.barTop, `the notice is low, above the controls: ${JSON.stringify(box)}`);
  });

  test('the server survived and exits with status 0 on SIGTERM', () => serverSurvives(server));
});
