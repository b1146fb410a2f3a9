// The station through the admin panel in headless Chromium with JavaScript, as an operator (an
// admin): log in, create a stream, upload two tracks (each file's progress bar reaches complete),
// add both to the queue through the track search, drag the second above the first (SortableJS,
// real mouse) and check the order after a reload, put a third track next, start the stream, see
// the now-playing card and the <audio> element's currentTime advance, skip, change the auto-end
// timeout, stop, find the plays in the history and download it as CSV. A screenshot of every page.
//
// Run by tests/integration/browser_station_itest.cc, which starts the stack and passes:
//   BASE_URL, ADMIN_EMAIL, ADMIN_PASSWORD, AUDIO_1, AUDIO_2 (audio files to upload, whose title
//   tags are TITLE_1 and TITLE_2), TITLE_1, TITLE_2, THIRD_TITLE (a track already in the catalog),
//   STREAM_SLUG, SCREENSHOT_DIR
// Prints "stream_id=N" on success (the itest checks the result through the API) and exits 0;
// otherwise prints what went wrong and exits 1.
import fs from 'node:fs';
import {
  env, check, Shots, run, newContext, login, submitAndWait, gotoOk, openNewStreamForm, mountUrls, pathOf, pageText,
  apiOk, waitUntil, waitForNowPlaying, queueOrder, parseCsv, dragItemAbove, postResponse,
} from './lib/station.mjs';

const base = env('BASE_URL');
const email = env('ADMIN_EMAIL');
const password = env('ADMIN_PASSWORD');
const audio = [env('AUDIO_1'), env('AUDIO_2')];
const titles = [env('TITLE_1'), env('TITLE_2')];
const thirdTitle = env('THIRD_TITLE');
const slug = env('STREAM_SLUG');
const shots = new Shots(env('SCREENSHOT_DIR'));

// Searches the catalog from the stream page and clicks Add on the result titled `title`; waits
// for the queue to show one more item. Returns the new item's id.
async function addFromSearch(page, title) {
  const before = (await queueOrder(page)).ids;
  const input = page.locator('#track-search input[name=track_q]');
  await input.fill('');
  // With JavaScript the box suggests as you type: type it, and the results appear without a
  // page load (or, if they do not, submit the search form).
  await input.pressSequentially(title, { delay: 20 });
  const result = page.locator('#track-results li, #track-results tr')
    .filter({ hasText: title }).first();
  try {
    await result.waitFor({ timeout: 5000 });
  } catch {
    await submitAndWait(page, () => input.press('Enter'));
    await result.waitFor({ timeout: 5000 });
  }
  await shots.take(page, `search-${title.replace(/\W+/g, '-').toLowerCase()}`);
  await result.locator('button.add-track').first().click();
  await page.waitForFunction((n) => document.querySelectorAll('#queue > li[data-item-id]').length === n,
    before.length + 1, { timeout: 10000 });
  const after = (await queueOrder(page)).ids;
  const added = after.filter((id) => !before.includes(id));
  check(added.length === 1, `adding ${title} did not add exactly one item: ${before} -> ${after}`);
  return added[0];
}

await run(shots, async (browser) => {
  const context = await newContext(browser);
  const page = await context.newPage();

  // 1. Log in; the streams list.
  await login(page, base, email, password, '/admin/streams');
  await shots.take(page, 'streams-list');

  // 2. Create the stream with #new-stream-form: it lands on the stream page.
  const form = await openNewStreamForm(page);
  await form.locator('input[name=title]').fill(`Browser JS ${slug}`);
  await form.locator('input[name=slug]').fill(slug);
  await submitAndWait(page, () => form.locator('button[type=submit]').click());
  const m = pathOf(page).match(/^\/admin\/streams\/(\d+)$/);
  check(m, `creating the stream did not land on its page: ${page.url()}`);
  const streamId = m[1];
  const streamUrl = `${base}/admin/streams/${streamId}`;
  await shots.take(page, 'stream-created');

  // 3. Upload two files on /admin/tracks; each gets a progress bar in #upload-progress that
  // reaches complete.
  await gotoOk(page, `${base}/admin/tracks`);
  await shots.take(page, 'tracks-list');
  await page.setInputFiles('#upload-form input[type=file][name=file]', audio);
  const uploads = [];
  const onResponse = (r) => {
    if (new URL(r.url()).pathname === '/admin/tracks/upload' && r.request().method() === 'POST') uploads.push(r);
  };
  page.on('response', onResponse);
  await page.locator('#upload-form button[type=submit], #upload-form input[type=submit]').first().click();
  // One row per file, each with a <progress>: wait until both bars are full, both rows are
  // marked uploaded (upload-ok, not upload-failed) and the list says it is done.
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll('#upload-progress li.upload-row');
    return rows.length === 2 && [...rows].every((r) => {
      const bar = r.querySelector('progress');
      return bar && bar.max > 0 && bar.value >= bar.max &&
        (r.classList.contains('upload-ok') || r.classList.contains('upload-failed'));
    }) && document.querySelector('#upload-progress li.upload-done');
  }, null, { timeout: 30000 });
  const failedRows = await page.locator('#upload-progress li.upload-failed').allInnerTexts();
  check(failedRows.length === 0, `uploads failed: ${failedRows.join('; ')}`);
  check(await page.locator('#upload-progress li.upload-ok').count() === 2, 'not both uploads are marked done');
  page.off('response', onResponse);
  check(pathOf(page) === '/admin/tracks', `the upload left the tracks page: ${page.url()}`);
  for (const r of uploads) check(r.status() < 400, `an upload answered ${r.status()}`);
  await shots.take(page, 'uploaded');
  await gotoOk(page, `${base}/admin/tracks`);
  for (const t of titles) {
    check(await page.locator('#tracks-table tr[data-track-id]').filter({ hasText: t }).count() === 1,
      `the tracks list does not show the uploaded ${t}`);
  }
  await shots.take(page, 'tracks-after-upload');

  // 4. Add both to the queue through the track search.
  await gotoOk(page, streamUrl);
  const first = await addFromSearch(page, titles[0]);
  const second = await addFromSearch(page, titles[1]);
  let order = await queueOrder(page);
  check(order.ids.join() === [first, second].join(), `queue after adding: ${order.ids} (${order.titles})`);
  await shots.take(page, 'queue-two-added');

  // 5. Drag the second above the first with the mouse (SortableJS), then reload.
  const moved = postResponse(page, `/admin/streams/${streamId}/queue/${second}/move`);
  await dragItemAbove(page, second, first);
  const moveResponse = await moved;
  check(moveResponse && moveResponse.status() < 400,
    `the drag's move ${moveResponse ? `answered ${moveResponse.status()}` : 'was never sent'}`);
  await shots.take(page, 'queue-dragged');
  await gotoOk(page, streamUrl);
  order = await queueOrder(page);
  check(order.ids.join() === [second, first].join(),
    `after the drag and a reload the queue is ${order.ids} (${order.titles}), expected ${second},${first}`);
  await shots.take(page, 'queue-after-reload');

  // 6. Put a third track next: add it, then Play next on it.
  const third = await addFromSearch(page, thirdTitle);
  const nextDone = postResponse(page, `/admin/streams/${streamId}/queue/${third}/next`);
  await page.locator(`#queue > li[data-item-id="${third}"] button.play-next`).click();
  const nextResponse = await nextDone;
  check(nextResponse && nextResponse.status() < 400, `Play next answered ${nextResponse && nextResponse.status()}`);
  await page.waitForFunction((id) => {
    const li = document.querySelector('#queue > li[data-item-id]');
    return li && li.dataset.itemId === id;
  }, third, { timeout: 10000 });
  await gotoOk(page, streamUrl);
  order = await queueOrder(page);
  check(order.ids.join() === [third, second, first].join(),
    `after Play next the queue is ${order.ids} (${order.titles}), expected ${third},${second},${first}`);
  await shots.take(page, 'queue-third-next');

  // 7. Start: the now-playing card shows the third track.
  await submitAndWait(page, () => page.click('#start-button'));
  const how = await waitForNowPlaying(page, third, { liveMs: 8000 });
  console.log(`now playing ${third} (seen ${how === 'live' ? 'without a reload' : 'after reloads'})`);
  check((await page.locator('#now-title').innerText()).includes(thirdTitle),
    `#now-title is "${await page.locator('#now-title').innerText()}", expected ${thirdTitle}`);
  await shots.take(page, 'started-now-playing');

  // 8. The in-page player: its sources are the live mounts; play it and see currentTime advance.
  const sources = await page.locator('#player source').evaluateAll((els) => els.map((e) => e.src));
  check(sources.some((s) => s.endsWith(`/live/${slug}.ogg`)) && sources.some((s) => s.endsWith(`/live/${slug}.mp3`)),
    `#player sources are ${sources}`);
  const mounts = await mountUrls(page);
  for (const e of ['ogg', 'mp3']) {
    check(mounts.some((u) => u === `${base}/live/${slug}.${e}`), `#mount-urls lacks ${base}/live/${slug}.${e}: ${mounts}`);
  }
  await page.evaluate(() => document.getElementById('player').play());
  await page.waitForFunction(() => document.getElementById('player').currentTime > 0.5, null, { timeout: 15000 });
  const t0 = await page.evaluate(() => document.getElementById('player').currentTime);
  await page.waitForFunction((t) => document.getElementById('player').currentTime > t + 1.0, t0, { timeout: 15000 });
  const t1 = await page.evaluate(() => document.getElementById('player').currentTime);
  console.log(`player currentTime ${t0.toFixed(2)} -> ${t1.toFixed(2)}`);
  await shots.take(page, 'playing');
  await page.evaluate(() => document.getElementById('player').pause());

  // 9. Skip: the card moves to the next item (the second track, dragged first).
  await submitAndWait(page, () => page.click('#skip-button'));
  const how2 = await waitForNowPlaying(page, second, { liveMs: 8000 });
  console.log(`after skip now playing ${second} (seen ${how2 === 'live' ? 'without a reload' : 'after reloads'})`);
  check((await page.locator('#now-title').innerText()).includes(titles[1]), 'after skip #now-title is not the second track');
  await shots.take(page, 'skipped');

  // 10. Change the auto-end timeout in the settings.
  const settings = page.locator('#settings-form');
  await settings.locator('input[name=auto_end_timeout_s]').fill('654');
  await submitAndWait(page, () => settings.locator('button[type=submit]').click());
  await gotoOk(page, streamUrl);
  check(await page.locator('#settings-form input[name=auto_end_timeout_s]').inputValue() === '654',
    `the auto-end timeout did not stick: ${await pageText(page)}`);
  const s = await apiOk(context, base, 'GET', `/api/v1/streams/${streamId}`);
  check(s.auto_end.timeout_s === 654, `the API says the timeout is ${JSON.stringify(s.auto_end)}`);
  await shots.take(page, 'settings-saved');

  // 11. Stop.
  await submitAndWait(page, () => page.click('#stop-button'));
  await waitUntil('the stream to stop', async () => {
    const st = await apiOk(context, base, 'GET', `/api/v1/streams/${streamId}`);
    return st.state === 'stopped';
  });
  await gotoOk(page, streamUrl);
  check(await page.locator('#start-button').count() === 1, 'a stopped stream shows no start button');
  await shots.take(page, 'stopped');

  // 12. The plays in #history: the third (skipped) and the second (stopped).
  await waitUntil('both plays in #history', async () => {
    await gotoOk(page, streamUrl);
    const text = await page.locator('#history').innerText();
    return text.includes(thirdTitle) && text.includes(titles[1]);
  }, { timeoutMs: 15000, intervalMs: 500 });
  const historyText = await page.locator('#history').innerText();
  check(/skipped/i.test(historyText), `#history does not say the third track was skipped: ${historyText.slice(0, 400)}`);
  await shots.take(page, 'history');

  // 13. Download the history as CSV from #history-export-csv.
  const href = await page.locator('#history-export-csv').getAttribute('href');
  check(href && new URL(href, base).pathname === `/admin/streams/${streamId}/history/export.csv`,
    `#history-export-csv links to ${href}`);
  const exportUrl = new URL(await page.locator('#history-export-csv').getAttribute('href'), page.url()).href;
  const direct = await context.request.get(exportUrl);
  check(direct.status() === 200 && /^text\/csv/.test(direct.headers()['content-type'] || ''),
    `GET ${exportUrl} answered ${direct.status()} ${direct.headers()['content-type']}: ${(await direct.text()).slice(0, 200)}`);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }),
    page.click('#history-export-csv')]);
  const file = await download.path();
  const rows = parseCsv(fs.readFileSync(file, 'utf8')).filter((r) => r.length > 1 || r[0] !== '');
  check(rows.length === 3, `the CSV has ${rows.length} lines, expected a header and 2 plays: ${JSON.stringify(rows)}`);
  const body = rows.slice(1).map((r) => r.join(' | '));
  check(body.some((r) => r.includes(thirdTitle) && /skipped/i.test(r)), `no skipped ${thirdTitle} row in the CSV: ${body}`);
  check(body.some((r) => r.includes(titles[1])), `no ${titles[1]} row in the CSV: ${body}`);
  // Who queued each play: the operator (its email, as it has no display name).
  const queuedBy = rows[0].indexOf('queued_by');
  check(queuedBy >= 0, `the CSV has no queued_by column: ${rows[0]}`);
  for (const r of rows.slice(1)) {
    check(r[queuedBy] === email, `a CSV row says it was queued by "${r[queuedBy]}", not ${email}: ${r}`);
  }
  console.log(`history CSV: ${rows[0].join(',')} + ${rows.length - 1} rows`);
  await gotoOk(page, streamUrl);
  await shots.take(page, 'after-download');

  check(context.problems.length === 0, `problems: ${context.problems.join('; ')}`);
  console.log(`stream_id=${streamId}`);
});
