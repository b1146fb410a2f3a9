// Shared helpers for the station browser tests (station_js.mjs, station_nojs.mjs,
// queue_conflict.mjs), run by tests/integration/browser_station_itest.cc through nginx.
//
// - launchBrowser(): Debian's /usr/bin/chromium, headless, with audio autoplay allowed.
// - Shots: numbered full-page screenshots, NN-name.png, of every page a test visits.
// - login(), submitAndWait(), gotoOk(): navigation that checks the final status.
// - api(): JSON requests with the browser context's session cookie.
// - nowPlayingItem(), waitUntil(): waiting for the live state of a stream.
// - queueOrder(): the item ids in #queue, in play order.
// - run(): the script's main, with a failure screenshot and exit code.
// Waits are on selectors, navigations, responses and events; where the state lives on the
// server only (the streamer moving on), waitUntil polls it with a deadline.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export function env(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
}

export function check(cond, message) {
  if (!cond) throw new Error(message);
}

export const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: LAUNCH_ARGS,
  });
}

// A context with the viewport every test uses; javaScriptEnabled false for the no-JS flows.
// Console errors and failed page requests are collected in ctx.problems.
export async function newContext(browser, { javaScript = true } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled: javaScript,
    acceptDownloads: true,
  });
  context.problems = [];
  context.on('page', (page) => watchPage(context, page));
  return context;
}

function watchPage(context, page) {
  page.on('console', (m) => {
    if (m.type() === 'error') context.problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => context.problems.push(`page error on ${page.url()}: ${e.message}`));
}

// Numbered screenshots in one directory: 01-login.png, 02-streams.png, ...
export class Shots {
  constructor(dir) {
    this.dir = dir;
    this.n = 0;
    fs.mkdirSync(dir, { recursive: true });
  }

  async take(page, name) {
    this.n += 1;
    const file = path.join(this.dir, `${String(this.n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }
}

export function pathOf(page) {
  return new URL(page.url()).pathname;
}

// The flash message or error text on the page (for failure messages).
export async function pageText(page, max = 600) {
  try {
    return (await page.locator('main').innerText()).replace(/\s+/g, ' ').slice(0, max);
  } catch {
    return '(no main element)';
  }
}

// Clicks (or presses) something that submits a form or follows a link, waits for the navigation
// it causes, and checks the final status (after redirects) is `want` (a number or a list).
export async function submitAndWait(page, action, want = 200) {
  const [response] = await Promise.all([page.waitForNavigation(), action()]);
  const status = response ? response.status() : 0;
  const ok = Array.isArray(want) ? want.includes(status) : status === want;
  check(ok, `expected status ${want} after submitting, got ${status} at ${page.url()}: ${await pageText(page)}`);
  return response;
}

export async function gotoOk(page, url, want = 200) {
  const response = await page.goto(url);
  const status = response ? response.status() : 0;
  check(status === want, `GET ${url} answered ${status}, not ${want}: ${await pageText(page)}`);
  return response;
}

// Logs in through the login form; `next` is where the login should land.
export async function login(page, base, email, password, next = '/admin/streams') {
  await page.goto(`${base}${next}`);
  check(pathOf(page) === '/admin/login', `expected the login page, got ${page.url()}`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await submitAndWait(page, () => page.click('form button[type=submit]'));
  check(pathOf(page) === next, `login did not return to ${next}: ${page.url()}`);
}

// A JSON request with the context's session cookie (and, for writes, its CSRF token from
// /api/v1/auth/me and an Origin the server accepts).
export async function api(context, base, method, p, body) {
  const headers = {};
  if (method !== 'GET') {
    const me = await context.request.get(`${base}/api/v1/auth/me`);
    check(me.ok(), `GET /api/v1/auth/me answered ${me.status()}`);
    headers['X-CSRF-Token'] = (await me.json()).csrf_token;
    headers.Origin = base;
  }
  const r = await context.request.fetch(`${base}${p}`, {
    method, headers, data: body === undefined ? undefined : body,
  });
  let json = null;
  try { json = await r.json(); } catch { json = null; }
  return { status: r.status(), json };
}

export async function apiOk(context, base, method, p, body) {
  const r = await api(context, base, method, p, body);
  check(r.status >= 200 && r.status < 300, `${method} ${p} answered ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json;
}

// Polls `probe` (an async function returning a value, falsy while not there yet) until it
// returns something truthy or `timeoutMs` passes; `what` names it in the error. Between probes it
// waits `intervalMs`: the thing waited for is a server-side state with no event to wait on.
export async function waitUntil(what, probe, { timeoutMs = 20000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// The now-playing item id the page shows ('' when none).
export async function nowPlayingItem(page) {
  return (await page.locator('#now-playing').getAttribute('data-item-id')) || '';
}

// Waits until the stream page shows `itemId` as now playing. First for `liveMs` without reloading
// (a page that refreshes itself passes here), then by reloading the page until it does. Returns
// 'live' or 'reload' to say which.
export async function waitForNowPlaying(page, itemId, { liveMs = 0, timeoutMs = 20000 } = {}) {
  const sel = `#now-playing[data-item-id="${itemId}"]`;
  if (liveMs > 0) {
    try {
      await page.waitForSelector(sel, { timeout: liveMs, state: 'attached' });
      return 'live';
    } catch { /* fall through to reloads */ }
  }
  await waitUntil(`#now-playing to show item ${itemId} (it shows "${await nowPlayingItem(page)}")`,
    async () => {
      await gotoOk(page, page.url());
      return (await nowPlayingItem(page)) === itemId;
    }, { timeoutMs, intervalMs: 300 });
  return 'reload';
}

// The item ids of #queue in play order, and their titles.
export async function queueOrder(page) {
  const items = page.locator('#queue > li[data-item-id]');
  const ids = [];
  const titles = [];
  const n = await items.count();
  for (let i = 0; i < n; i++) {
    const li = items.nth(i);
    ids.push(await li.getAttribute('data-item-id'));
    titles.push((await li.locator('.queue-title').innerText()).trim());
  }
  return { ids, titles };
}

export async function queueVersion(page) {
  return page.locator('#queue').getAttribute('data-version');
}

// The queue through the API: { version, now, ids, trackIds }.
export async function apiQueue(context, base, streamId) {
  const q = await apiOk(context, base, 'GET', `/api/v1/streams/${streamId}/queue`);
  return {
    version: q.version,
    now: q.now_playing && q.now_playing.id ? String(q.now_playing.id) : '',
    ids: q.items.map((i) => String(i.id)),
    trackIds: q.items.map((i) => i.track.id),
  };
}

// Parses CSV text (RFC 4180: quoted fields with "" for a quote, CRLF or LF line ends).
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// Runs `main(browser)` and exits 0 when it returns, 1 (after a failure screenshot of every open
// page) when it throws. `shots` gets the failure screenshots.
export async function run(shots, main) {
  const browser = await launchBrowser();
  let failed = false;
  try {
    await main(browser);
  } catch (e) {
    failed = true;
    console.error(`browser test failed: ${e.stack || e.message}`);
    for (const context of browser.contexts()) {
      for (const page of context.pages()) {
        try {
          const f = await shots.take(page, 'failure');
          console.error(`failure screenshot of ${page.url()}: ${f}`);
        } catch { /* the page may be gone */ }
      }
    }
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
}

// Drags the queue item `srcId` above `dstId` with real mouse events (SortableJS listens to
// them): by its .drag-handle when it has one, else by the item itself.
export async function dragItemAbove(page, srcId, dstId) {
  const src = page.locator(`#queue > li[data-item-id="${srcId}"]`);
  const dst = page.locator(`#queue > li[data-item-id="${dstId}"]`);
  const handle = (await src.locator('.drag-handle').count()) ? src.locator('.drag-handle').first() : src;
  await handle.scrollIntoViewIfNeeded();
  const sb = await handle.boundingBox();
  const db = await dst.boundingBox();
  check(sb && db, 'the queue items have no boxes to drag');
  await page.mouse.move(sb.x + sb.width / 2, sb.y + sb.height / 2);
  await page.mouse.down();
  await page.mouse.move(sb.x + sb.width / 2, sb.y + sb.height / 2 - 5, { steps: 3 });
  await page.mouse.move(db.x + db.width / 2, db.y + 3, { steps: 15 });
  await page.mouse.move(db.x + db.width / 2, db.y + 2, { steps: 2 });
  await page.mouse.up();
}

// Resolves with the response to POST `pathname` (the page's own fetch or form post), or with
// null when none comes within `timeout` (never rejects, so it can be started before the action).
export function postResponse(page, pathname, timeout = 10000) {
  return page.waitForResponse((r) => r.request().method() === 'POST' &&
    new URL(r.url()).pathname === pathname, { timeout }).catch(() => null);
}

// The "New stream" form of the streams list; it may sit in a closed <details>, which a click on
// its summary opens (with or without JavaScript).
export async function openNewStreamForm(page) {
  const form = page.locator('#new-stream-form');
  if (!(await form.isVisible())) {
    const details = page.locator('details:has(#new-stream-form)');
    check(await details.count() === 1, 'the streams list has no visible #new-stream-form');
    await details.locator('summary').first().click();
    await form.waitFor({ state: 'visible', timeout: 5000 });
  }
  return form;
}

// The mount URLs the page offers to copy (#mount-urls: read-only inputs or text).
export async function mountUrls(page) {
  const box = page.locator('#mount-urls');
  const urls = [];
  for (const input of await box.locator('input').all()) urls.push(await input.inputValue());
  urls.push(...(await box.innerText()).split(/\s+/).filter((w) => w.includes('/live/')));
  return urls;
}
