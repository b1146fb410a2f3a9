// The live monitoring page (/admin/monitoring) in headless Chromium through nginx, as an
// operator (an admin), against the whole stack with wsd and the streamer:
//   1. the page opens live (#connection data-state="live");
//   2. a stream started through the API gets its card within 1 s, and its progress bar moves;
//   3. a live-mount listener joining (a GET of /live/<slug>.ogg kept open) moves the card's
//      counter within 1 s; the page without JavaScript shows the same card as served;
//   4. a stream with a short auto-end timeout and nobody listening shows the countdown (the
//      warn-10 highlight at 10 s), and a listener joining hides it; stopping it removes its card;
//   5. sattva-wsd is killed with SIGKILL: the page shows "reconnecting"; a queue change made
//      during the outage appears once wsd is back, without a reload and without a duplicate
//      event in the log.
// With FLOW=resync instead: more queue changes during the outage than wsd keeps for a client
// that resumes (the itest sets wsd_client_queue low): the page gets resync_required, logs it,
// asks for a snapshot and shows the queue as it is, with no event twice in the log.
// Screenshots of each state go to SCREENSHOT_DIR when it is set.
//
// Run by tests/integration/browser_monitoring_itest.cc, which starts the stack and passes:
//   BASE_URL, ADMIN_EMAIL, ADMIN_PASSWORD, TRACK_ID (a track in the catalog, a minute long),
//   CONTROL_DIR (the outage handshake: this script writes kill-wsd and start-wsd there, the
//   itest answers with wsd-killed and wsd-started), FLOW (main or resync), SCREENSHOT_DIR
//   (optional).
// Prints "timing <what> <ms>" lines and "card_stream_id=N" and exits 0, or prints what went
// wrong and exits 1.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  env, check, Shots, run, newContext, login, apiOk, waitUntil,
} from './lib/station.mjs';

const base = env('BASE_URL');
const email = env('ADMIN_EMAIL');
const password = env('ADMIN_PASSWORD');
const trackId = Number(env('TRACK_ID'));
const controlDir = env('CONTROL_DIR');
const flow = env('FLOW');
const shotDir = process.env.SCREENSHOT_DIR || '';
const shots = shotDir ? new Shots(shotDir) : null;

async function shot(page, name) {
  if (shots) await shots.take(page, name);
}

const card = (id) => `#stream-cards > li.stream-card[data-stream-id="${id}"]`;

// A live-mount listener: a GET of /live/<slug>.ogg whose body is read and thrown away until
// close() is called. Resolves once the response headers are in.
function listen(slug) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/live/${slug}.ogg`, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /live/${slug}.ogg answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.on('data', () => {});
      res.on('error', () => {});
      resolve({ close: () => req.destroy() });
    });
    req.on('error', (e) => reject(e));
  });
}

async function createStream(context, slug, title, autoEnd) {
  const s = await apiOk(context, base, 'POST', '/api/v1/streams', {
    slug, title, auto_end_enabled: autoEnd > 0, auto_end_timeout_s: autoEnd > 0 ? autoEnd : 300,
  });
  return s.id;
}

// The handshake with the itest: ask for something and wait until it answers.
async function askItest(what, answer) {
  fs.writeFileSync(path.join(controlDir, what), '');
  await waitUntil(`the test to answer ${what} with ${answer}`,
    async () => fs.existsSync(path.join(controlDir, answer)), { timeoutMs: 40000, intervalMs: 50 });
}

// The event log: no event id twice, newest first, at most 50 lines. Returns the ids.
async function checkLog(page) {
  const ids = (await page.locator('#event-log > li').evaluateAll((lis) => lis.map((li) => li.dataset.eventId)))
    .filter((id) => id !== undefined);
  check(new Set(ids).size === ids.length, `the event log shows an id twice: ${ids.join(' ')}`);
  const sorted = [...ids].sort((a, b) => {
    const [am, as] = a.split('-').map(Number);
    const [bm, bs] = b.split('-').map(Number);
    return bm - am || bs - as;
  });
  check(sorted.join() === ids.join(), `the event log is not newest first: ${ids.join(' ')}`);
  const lines = await page.locator('#event-log > li').count();
  check(lines <= 50, `the event log holds ${lines} lines (more than 50)`);
  return ids;
}

// Opens the page as the operator and waits until it is live; marks the document (a reload
// would lose the mark).
async function openLive(browser) {
  const context = await newContext(browser);
  const page = await context.newPage();
  await login(page, base, email, password, '/admin/monitoring');
  await page.waitForSelector('#connection[data-state="live"]', { timeout: 10000 });
  await page.evaluate(() => { window.monitoringTestMark = 1; });
  return { context, page };
}

// Nothing went wrong in the page but the refused connections while wsd was down.
function checkProblems(context) {
  const problems = context.problems.filter((p) => !/WebSocket connection to .* failed/.test(p));
  check(problems.length === 0, `problems in the page: ${problems.join('; ')}`);
}

async function resyncFlow(browser) {
  const { context, page } = await openLive(browser);
  const sid = await createStream(context, 'mon-resync', 'Monitoring resync', 0);
  await apiOk(context, base, 'POST', `/api/v1/streams/${sid}/queue`, { track_ids: [trackId] });
  await apiOk(context, base, 'POST', `/api/v1/streams/${sid}/start`, {});
  await page.waitForSelector(card(sid), { timeout: 10000 });
  console.log(`card_stream_id=${sid}`);
  await page.waitForFunction((sel) => document.querySelector(`${sel} .now`).dataset.itemId !== '',
    card(sid), { timeout: 10000 });
  await shot(page, 'resync-before');
  await askItest('kill-wsd', 'wsd-killed');
  await page.waitForSelector('#connection[data-state="reconnecting"]', { timeout: 5000 });
  // A stream that starts during the outage: its stream_update is older than the 8 events wsd
  // keeps for a resuming client, so only the snapshot can bring its card.
  const other = await createStream(context, 'mon-resync-2', 'Monitoring resync two', 0);
  await apiOk(context, base, 'POST', `/api/v1/streams/${other}/start`, {});
  await waitUntil('the second stream to run', async () =>
    (await apiOk(context, base, 'GET', `/api/v1/streams/${other}`)).state === 'running');
  // Then twelve queue_update events: more than wsd keeps for a resuming client.
  for (let i = 0; i < 12; i++) {
    await apiOk(context, base, 'POST', `/api/v1/streams/${sid}/queue`, { track_ids: [trackId] });
  }
  const queue = await apiOk(context, base, 'GET', `/api/v1/streams/${sid}/queue`);
  check(queue.items.length === 12, `the queue through the API has ${queue.items.length} items, not 12`);
  await shot(page, 'resync-outage');
  await askItest('start-wsd', 'wsd-started');
  await page.waitForSelector('#event-log > li.event-notice[data-type="resync"]', { state: 'attached', timeout: 40000 });
  await page.waitForSelector('#connection[data-state="live"]', { timeout: 5000 });
  await page.waitForFunction(([sel, v]) => {
    const c = document.querySelector(sel);
    return c && c.querySelector('.queue-length').textContent === '12' &&
      c.querySelectorAll('.queue-head > li').length === 3 && c.dataset.queueVersion === String(v);
  }, [card(sid), queue.version], { timeout: 5000 });
  await page.waitForSelector(card(other), { timeout: 5000 });
  await shot(page, 'resync-after');
  await checkLog(page);
  check(await page.evaluate(() => window.monitoringTestMark === 1), 'the page was reloaded');
  checkProblems(context);
  for (const id of [sid, other]) {
    await apiOk(context, base, 'POST', `/api/v1/streams/${id}/stop`, {});
    await page.waitForSelector(card(id), { state: 'detached', timeout: 5000 });
  }
}

async function mainFlow(browser) {
  // 1. The page, live.
  const { context, page } = await openLive(browser);
  check(await page.locator('#no-streams').isVisible(), '#no-streams is not shown with nothing running');
  await shot(page, 'live-empty');

  // 2. A stream started through the API: its card within 1 s.
  const one = await createStream(context, 'mon-one', 'Monitoring one', 0);
  await apiOk(context, base, 'POST', `/api/v1/streams/${one}/queue`, { track_ids: [trackId, trackId] });
  const t0 = Date.now();
  await apiOk(context, base, 'POST', `/api/v1/streams/${one}/start`, {});
  await page.waitForSelector(card(one), { timeout: 10000 });
  const cardMs = Date.now() - t0;
  console.log(`timing card ${cardMs}`);
  console.log(`card_stream_id=${one}`);
  check(cardMs <= 1000, `the started stream's card took ${cardMs} ms (more than 1 s)`);
  check(!(await page.locator('#no-streams').isVisible()), '#no-streams still shows with a card');
  check((await page.locator(`${card(one)} .stream-title a`).innerText()).trim() === 'Monitoring one',
    'the card does not carry the stream title');
  // Now playing, and the progress bar moves by itself.
  await page.waitForFunction((sel) => {
    const bar = document.querySelector(`${sel} .now-progress`);
    return bar && bar.max > 1 && bar.value > 1500;
  }, card(one), { timeout: 10000 });
  const v1 = await page.locator(`${card(one)} .now-progress`).evaluate((b) => b.value);
  await page.waitForFunction(([sel, v]) => document.querySelector(`${sel} .now-progress`).value > v + 500,
    [card(one), v1], { timeout: 5000 });
  await page.waitForFunction((sel) => document.querySelector(`${sel} .queue-length`).textContent === '1',
    card(one), { timeout: 5000 });
  check(await page.locator('#stat-active-streams .stat-value').innerText() === '1', 'active streams is not 1');
  await shot(page, 'card-started');

  // 3. A live listener moves the counter within 1 s.
  const l1 = await listen('mon-one');
  const t1 = Date.now();
  await page.waitForFunction((sel) => {
    const c = document.querySelector(sel);
    return c && c.querySelector('.listeners-total').textContent === '1' &&
      c.querySelector('.listeners-live').textContent === '1';
  }, card(one), { timeout: 5000 });
  const listenerMs = Date.now() - t1;
  console.log(`timing listener ${listenerMs}`);
  check(listenerMs <= 1000, `the listener counter took ${listenerMs} ms (more than 1 s)`);
  await page.waitForFunction(() => document.querySelector('#stat-total-listeners .stat-value').textContent === '1',
    null, { timeout: 5000 });
  await shot(page, 'listener-joined');
  // Without JavaScript the page shows the same card as served.
  const nojs = await newContext(browser, { javaScript: false });
  const plain = await nojs.newPage();
  await login(plain, base, email, password, '/admin/monitoring');
  check(await plain.locator(card(one)).count() === 1, 'the page without JavaScript has no card');
  check(await plain.locator(`${card(one)} .listeners-total`).innerText() === '1',
    'the page without JavaScript does not count the listener');
  check((await plain.locator(`${card(one)} .now-title`).innerText()).trim() === 'Monitoring tone',
    'the page without JavaScript does not show what plays');
  check(await plain.locator('#connection').getAttribute('data-state') === 'offline',
    'the page without JavaScript does not say it is not live');
  await shot(plain, 'no-javascript');
  await nojs.close();
  l1.close();
  await page.waitForFunction((sel) => document.querySelector(`${sel} .listeners-total`).textContent === '0',
    card(one), { timeout: 5000 });

  // 4. The auto-end countdown: shows (highlighted from 10 s), and a listener cancels it.
  const lonely = await createStream(context, 'mon-lonely', 'Monitoring lonely', 15);
  await apiOk(context, base, 'POST', `/api/v1/streams/${lonely}/start`, {});
  await page.waitForSelector(`${card(lonely)} .auto-end:not([hidden])`, { timeout: 5000 });
  const left = Number(await page.locator(`${card(lonely)} .auto-end`).getAttribute('data-seconds'));
  check(left > 0 && left <= 15, `the countdown shows ${left} s for a 15 s timeout`);
  await shot(page, 'countdown');
  await page.waitForSelector(`${card(lonely)} .auto-end.warn-10:not([hidden])`, { timeout: 8000 });
  await shot(page, 'countdown-warn-10');
  const l2 = await listen('mon-lonely');
  await page.waitForSelector(`${card(lonely)} .auto-end[hidden]`, { state: 'attached', timeout: 3000 });
  await page.waitForFunction((sel) => document.querySelector(`${sel} .listeners-total`).textContent === '1',
    card(lonely), { timeout: 3000 });
  await shot(page, 'countdown-cancelled');
  l2.close();
  // Nobody again: a full new countdown; the stop removes the card.
  await page.waitForSelector(`${card(lonely)} .auto-end:not([hidden])`, { timeout: 5000 });
  await apiOk(context, base, 'POST', `/api/v1/streams/${lonely}/stop`, {});
  await page.waitForSelector(card(lonely), { state: 'detached', timeout: 5000 });
  await page.waitForFunction(() => document.querySelector('#stat-active-streams .stat-value').textContent === '1',
    null, { timeout: 5000 });

  // 5. The outage: kill -9 of wsd, a queue change meanwhile, wsd back.
  const before = await page.locator('#event-log > li').count();
  check(before > 0, 'the event log is empty after all that');
  await askItest('kill-wsd', 'wsd-killed');
  await page.waitForSelector('#connection[data-state="reconnecting"]', { timeout: 5000 });
  await page.waitForFunction(() => /^reconnecting/.test(document.getElementById('connection-text').textContent),
    null, { timeout: 5000 });
  await shot(page, 'reconnecting');
  const added = await apiOk(context, base, 'POST', `/api/v1/streams/${one}/queue`, { track_ids: [trackId] });
  const queue = await apiOk(context, base, 'GET', `/api/v1/streams/${one}/queue`);
  const wantLength = String(queue.items.length);
  check(wantLength === '2', `the queue through the API has ${wantLength} items, not 2 (${JSON.stringify(added)})`);
  // Still the old figure while wsd is down.
  check(await page.locator(`${card(one)} .queue-length`).innerText() === '1',
    'the queue length changed while wsd was down');
  await askItest('start-wsd', 'wsd-started');
  await page.waitForSelector('#connection[data-state="live"]', { timeout: 40000 });
  await page.waitForFunction(([sel, n]) => document.querySelector(`${sel} .queue-length`).textContent === n,
    [card(one), wantLength], { timeout: 5000 });
  await page.waitForFunction(([sid, v]) => [...document.querySelectorAll('#event-log > li[data-type="queue_update"]')]
    .some((li) => li.dataset.streamId === sid && li.querySelector('.event-text').textContent.includes(`version ${v})`)),
  [String(one), queue.version], { timeout: 5000 });
  await shot(page, 'caught-up');
  await checkLog(page);
  const heads = await page.locator(`${card(one)} .queue-head > li`).count();
  check(heads === 2, `the card lists ${heads} next items, not 2`);
  check(await page.evaluate(() => window.monitoringTestMark === 1), 'the page was reloaded');

  // The filter shows one type only.
  await page.selectOption('#event-filter', 'queue_update');
  const visibleTypes = await page.locator('#event-log > li:visible').evaluateAll(
    (lis) => [...new Set(lis.map((li) => li.dataset.type))]);
  check(visibleTypes.join() === 'queue_update', `the filter shows ${visibleTypes.join()}`);
  await shot(page, 'filtered');
  await page.selectOption('#event-filter', '');

  checkProblems(context);
  await apiOk(context, base, 'POST', `/api/v1/streams/${one}/stop`, {});
  await page.waitForSelector(card(one), { state: 'detached', timeout: 5000 });
  await page.waitForSelector('#no-streams:not([hidden])', { timeout: 5000 });
}

// Failure screenshots go with the others, or into the control directory when there are none.
await run(shots || new Shots(path.join(controlDir, 'failure-shots')), async (browser) => {
  if (flow === 'main') await mainFlow(browser);
  else if (flow === 'resync') await resyncFlow(browser);
  else throw new Error(`unknown FLOW ${flow}`);
});
