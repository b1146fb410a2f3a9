// The same station flows as station_js.mjs with JavaScript disabled in the browser context: only
// forms and links. Log in, create a stream, upload two tracks in one plain multipart form, add
// them through the search form, move the second above the first with its position field and Move
// button, put a third next, start, check the player's sources and (through the API, as the page
// cannot run scripts) that playback advances, skip, change the auto-end timeout, stop, find the
// plays in the history and download the CSV. A screenshot of every page.
//
// Run by tests/integration/browser_station_itest.cc with the same variables as station_js.mjs:
//   BASE_URL, ADMIN_EMAIL, ADMIN_PASSWORD, AUDIO_1, AUDIO_2, TITLE_1, TITLE_2, THIRD_TITLE,
//   STREAM_SLUG, SCREENSHOT_DIR
// Prints "stream_id=N" on success and exits 0; otherwise prints what went wrong and exits 1.
import fs from 'node:fs';
import {
  env, check, Shots, run, newContext, login, submitAndWait, gotoOk, openNewStreamForm, mountUrls, pathOf, pageText,
  apiOk, waitUntil, waitForNowPlaying, queueOrder, parseCsv,
} from './lib/station.mjs';

const base = env('BASE_URL');
const email = env('ADMIN_EMAIL');
const password = env('ADMIN_PASSWORD');
const audio = [env('AUDIO_1'), env('AUDIO_2')];
const titles = [env('TITLE_1'), env('TITLE_2')];
const thirdTitle = env('THIRD_TITLE');
const slug = env('STREAM_SLUG');
const shots = new Shots(env('SCREENSHOT_DIR'));

function slugOf(s) {
  return s.replace(/\W+/g, '-').toLowerCase();
}

// Searches with the #track-search form (a GET), then submits the Add form of the result titled
// `title`; returns the new item's id.
async function addFromSearch(page, streamUrl, title) {
  const before = (await queueOrder(page)).ids;
  await page.fill('#track-search input[name=track_q]', title);
  await submitAndWait(page, () => page.press('#track-search input[name=track_q]', 'Enter'));
  check(pathOf(page) === new URL(streamUrl).pathname, `the search left the stream page: ${page.url()}`);
  check(new URL(page.url()).searchParams.get('track_q') === title, `the search URL lacks track_q: ${page.url()}`);
  const result = page.locator('#track-results li, #track-results tr').filter({ hasText: title }).first();
  check(await result.count() === 1, `no search result for ${title}: ${await page.locator('#track-results').innerText()}`);
  await shots.take(page, `search-${slugOf(title)}`);
  await submitAndWait(page, () => result.locator('button.add-track').first().click());
  check(pathOf(page) === new URL(streamUrl).pathname, `Add did not return to the stream page: ${page.url()}`);
  const after = (await queueOrder(page)).ids;
  const added = after.filter((id) => !before.includes(id));
  check(added.length === 1 && after.length === before.length + 1,
    `adding ${title} did not add exactly one item: ${before} -> ${after}`);
  await shots.take(page, `added-${slugOf(title)}`);
  return added[0];
}

// The Move form of an item: its position field and button.
async function moveTo(page, itemId, to) {
  const li = page.locator(`#queue > li[data-item-id="${itemId}"]`);
  const form = li.locator('form:has(input[name=to])');
  await form.locator('input[name=to]').fill(String(to));
  await submitAndWait(page, () => form.locator('button').first().click());
}

await run(shots, async (browser) => {
  const context = await newContext(browser, { javaScript: false });
  const page = await context.newPage();

  // 1. Log in; the streams list.
  await login(page, base, email, password, '/admin/streams');
  await shots.take(page, 'streams-list');

  // 2. Create the stream.
  const form = await openNewStreamForm(page);
  await form.locator('input[name=title]').fill(`Browser no-JS ${slug}`);
  await form.locator('input[name=slug]').fill(slug);
  await submitAndWait(page, () => form.locator('button[type=submit]').click());
  const m = pathOf(page).match(/^\/admin\/streams\/(\d+)$/);
  check(m, `creating the stream did not land on its page: ${page.url()}`);
  const streamId = m[1];
  const streamUrl = `${base}/admin/streams/${streamId}`;
  await shots.take(page, 'stream-created');

  // 3. Upload both files in one plain multipart form: the answer is the tracks list with a
  // flash message.
  await gotoOk(page, `${base}/admin/tracks`);
  await shots.take(page, 'tracks-list');
  await page.setInputFiles('#upload-form input[type=file][name=file]', audio);
  await submitAndWait(page, () =>
    page.locator('#upload-form button[type=submit], #upload-form input[type=submit]').first().click());
  check(pathOf(page) === '/admin/tracks', `the upload did not land on the tracks list: ${page.url()}`);
  check(await page.locator('.flash').count() >= 1, `no flash message after the upload: ${await pageText(page)}`);
  await shots.take(page, 'uploaded');
  for (const t of titles) {
    await gotoOk(page, `${base}/admin/tracks?q=${encodeURIComponent(t)}`);
    check(await page.locator('#tracks-table tr[data-track-id]').filter({ hasText: t }).count() === 1,
      `the tracks list does not show the uploaded ${t}`);
  }
  await shots.take(page, 'tracks-search');

  // 4. Add both through the search form.
  await gotoOk(page, streamUrl);
  const first = await addFromSearch(page, streamUrl, titles[0]);
  const second = await addFromSearch(page, streamUrl, titles[1]);

  // 5. Move the second to position 1 with its Move button; it sticks after a reload.
  await moveTo(page, second, 1);
  await shots.take(page, 'moved');
  await gotoOk(page, streamUrl);
  let order = await queueOrder(page);
  check(order.ids.join() === [second, first].join(),
    `after Move and a reload the queue is ${order.ids} (${order.titles}), expected ${second},${first}`);

  // 6. A third track, then Play next on it.
  const third = await addFromSearch(page, streamUrl, thirdTitle);
  await submitAndWait(page, () =>
    page.locator(`#queue > li[data-item-id="${third}"] button.play-next`).click());
  order = await queueOrder(page);
  check(order.ids.join() === [third, second, first].join(),
    `after Play next the queue is ${order.ids} (${order.titles}), expected ${third},${second},${first}`);
  await shots.take(page, 'queue-third-next');

  // 7. Start; the card shows the third track (after reloads: nothing refreshes without JS).
  await submitAndWait(page, () => page.click('#start-button'));
  await shots.take(page, 'started');
  await waitForNowPlaying(page, third);
  check((await page.locator('#now-title').innerText()).includes(thirdTitle), '#now-title is not the third track');
  await shots.take(page, 'now-playing');

  // 8. The player without JS: an <audio controls> with both live mounts as sources. Playback
  // itself is checked through the API: the item's position advances.
  check(await page.locator('audio#player[controls]').count() === 1, 'no <audio id="player" controls>');
  const sources = [];
  for (const s of await page.locator('#player source').all()) sources.push(await s.getAttribute('src'));
  check(sources.some((s) => s.endsWith(`/live/${slug}.ogg`)) && sources.some((s) => s.endsWith(`/live/${slug}.mp3`)),
    `#player sources are ${sources}`);
  const mounts = await mountUrls(page);
  for (const e of ['ogg', 'mp3']) {
    check(mounts.some((u) => u === `${base}/live/${slug}.${e}`), `#mount-urls lacks ${base}/live/${slug}.${e}: ${mounts}`);
  }
  const p0 = (await apiOk(context, base, 'GET', `/api/v1/streams/${streamId}/queue`)).now_playing;
  check(p0 && String(p0.id) === third, `the API plays ${JSON.stringify(p0)}, not item ${third}`);
  await waitUntil('the playing position to advance by a second', async () => {
    const np = (await apiOk(context, base, 'GET', `/api/v1/streams/${streamId}/queue`)).now_playing;
    return np && String(np.id) === third && np.position_ms >= (p0.position_ms || 0) + 1000;
  }, { timeoutMs: 15000 });

  // 9. Skip.
  await submitAndWait(page, () => page.click('#skip-button'));
  await waitForNowPlaying(page, second);
  check((await page.locator('#now-title').innerText()).includes(titles[1]), 'after skip #now-title is not the second track');
  await shots.take(page, 'skipped');

  // 10. The auto-end timeout.
  const settings = page.locator('#settings-form');
  await settings.locator('input[name=auto_end_timeout_s]').fill('777');
  await submitAndWait(page, () => settings.locator('button[type=submit]').click());
  await shots.take(page, 'settings-saved');
  await gotoOk(page, streamUrl);
  check(await page.locator('#settings-form input[name=auto_end_timeout_s]').inputValue() === '777',
    `the auto-end timeout did not stick: ${await pageText(page)}`);
  const s = await apiOk(context, base, 'GET', `/api/v1/streams/${streamId}`);
  check(s.auto_end.timeout_s === 777, `the API says ${JSON.stringify(s.auto_end)}`);

  // 11. Stop.
  await submitAndWait(page, () => page.click('#stop-button'));
  await waitUntil('the stream to stop', async () =>
    (await apiOk(context, base, 'GET', `/api/v1/streams/${streamId}`)).state === 'stopped');
  await gotoOk(page, streamUrl);
  check(await page.locator('#start-button').count() === 1, 'a stopped stream shows no start button');
  await shots.take(page, 'stopped');

  // 12. History.
  await waitUntil('both plays in #history', async () => {
    await gotoOk(page, streamUrl);
    const text = await page.locator('#history').innerText();
    return text.includes(thirdTitle) && text.includes(titles[1]);
  }, { timeoutMs: 15000, intervalMs: 500 });
  check(/skipped/i.test(await page.locator('#history').innerText()), '#history does not say the third track was skipped');
  await shots.take(page, 'history');

  // 13. The CSV: a link, so it downloads without JS too.
  const exportUrl = new URL(await page.locator('#history-export-csv').getAttribute('href'), page.url()).href;
  const direct = await context.request.get(exportUrl);
  check(direct.status() === 200 && /^text\/csv/.test(direct.headers()['content-type'] || ''),
    `GET ${exportUrl} answered ${direct.status()} ${direct.headers()['content-type']}: ${(await direct.text()).slice(0, 200)}`);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }),
    page.click('#history-export-csv')]);
  const rows = parseCsv(fs.readFileSync(await download.path(), 'utf8')).filter((r) => r.length > 1 || r[0] !== '');
  check(rows.length === 3, `the CSV has ${rows.length} lines, expected a header and 2 plays: ${JSON.stringify(rows)}`);
  const body = rows.slice(1).map((r) => r.join(' | '));
  check(body.some((r) => r.includes(thirdTitle) && /skipped/i.test(r)), `no skipped ${thirdTitle} row: ${body}`);
  check(body.some((r) => r.includes(titles[1])), `no ${titles[1]} row: ${body}`);
  // Who queued each play: the operator (its email, as it has no display name).
  const queuedBy = rows[0].indexOf('queued_by');
  check(queuedBy >= 0, `the CSV has no queued_by column: ${rows[0]}`);
  for (const r of rows.slice(1)) {
    check(r[queuedBy] === email, `a CSV row says it was queued by "${r[queuedBy]}", not ${email}: ${r}`);
  }
  await gotoOk(page, streamUrl);
  await shots.take(page, 'after-download');

  check(context.problems.length === 0, `problems: ${context.problems.join('; ')}`);
  console.log(`stream_id=${streamId}`);
});
