// Two operators edit one queue at once, in two browser contexts (two sessions). Operator A has
// JavaScript, operator B has none (plain forms). Every change carries the queue version its page
// was drawn from, so:
//   1. both open the stream page (the queue has SEED items);
//   2. A adds a track through the search;
//   3. B, on its stale page, moves an item: 409, "The queue changed; here it is now." in
//      #queue-conflict, the current queue (with A's item) on the page, nothing applied;
//   4. B moves it again from the fresh page: applied;
//   5. A, now stale, drags an item: refused the same way, and A's page shows the conflict and the
//      current queue;
//   6. neither lost an item: GET /api/v1/streams/{id}/queue has every item once, in the order
//      of the changes that were applied.
// A screenshot of every page each of them sees.
//
// Run by tests/integration/browser_station_itest.cc, which starts the stack, makes the stream
// and fills its queue, and passes:
//   BASE_URL, OP1_EMAIL, OP1_PASSWORD, OP2_EMAIL, OP2_PASSWORD, STREAM_ID, ADD_TITLE (a track
//   in the catalog, not in the queue), SCREENSHOT_DIR
// Exits 0 when every step checked out; otherwise prints what went wrong and exits 1.
import {
  env, check, Shots, run, newContext, login, submitAndWait, gotoOk, pageText,
  apiQueue, queueOrder, queueVersion, dragItemAbove, postResponse,
} from './lib/station.mjs';

const base = env('BASE_URL');
const streamId = env('STREAM_ID');
const addTitle = env('ADD_TITLE');
const shots = new Shots(env('SCREENSHOT_DIR'));
const streamPath = `/admin/streams/${streamId}`;
const streamUrl = `${base}${streamPath}`;
const CONFLICT = 'The queue changed; here it is now.';

async function expectConflictShown(page, who) {
  const box = page.locator('#queue-conflict');
  await box.waitFor({ state: 'visible', timeout: 10000 });
  check((await box.innerText()).includes(CONFLICT), `${who}: #queue-conflict says "${await box.innerText()}"`);
}

await run(shots, async (browser) => {
  const ctxA = await newContext(browser, { javaScript: true });
  const ctxB = await newContext(browser, { javaScript: false });
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();

  // 1. Both log in and open the stream page.
  await login(a, base, env('OP1_EMAIL'), env('OP1_PASSWORD'), streamPath);
  await login(b, base, env('OP2_EMAIL'), env('OP2_PASSWORD'), streamPath);
  const start = await apiQueue(ctxA, base, streamId);
  check(start.ids.length >= 2, `the itest should have filled the queue: ${start.ids}`);
  const qa = await queueOrder(a);
  const qb = await queueOrder(b);
  check(qa.ids.join() === start.ids.join() && qb.ids.join() === start.ids.join(),
    `the pages do not show the queue: A ${qa.ids}, B ${qb.ids}, API ${start.ids}`);
  check(await queueVersion(a) === String(start.version) && await queueVersion(b) === String(start.version),
    `#queue data-version is not the queue's version ${start.version}`);
  check(await a.locator('#queue-conflict').isVisible() === false, 'A shows a conflict before any change');
  await shots.take(a, 'a-stream-page');
  await shots.take(b, 'b-stream-page');

  // 2. A adds a track through the search (suggestions as it types).
  const input = a.locator('#track-search input[name=track_q]');
  await input.pressSequentially(addTitle, { delay: 20 });
  const result = a.locator('#track-results li, #track-results tr').filter({ hasText: addTitle }).first();
  try {
    await result.waitFor({ timeout: 5000 });
  } catch {
    await submitAndWait(a, () => input.press('Enter'));
    await result.waitFor({ timeout: 5000 });
  }
  await result.locator('button.add-track').first().click();
  await a.waitForFunction((n) => document.querySelectorAll('#queue > li[data-item-id]').length === n,
    start.ids.length + 1, { timeout: 10000 });
  const afterAdd = await apiQueue(ctxA, base, streamId);
  check(afterAdd.ids.length === start.ids.length + 1, `A's add did not reach the queue: ${afterAdd.ids}`);
  const added = afterAdd.ids.find((id) => !start.ids.includes(id));
  await shots.take(a, 'a-added');
  // A's page must stay as it is now until its stale drag in step 5. Its poller would otherwise
  // redraw it within 2 s of B's move (which is how the page avoids most conflicts), so from here
  // A's polls get the stream as it is now: A's view of the world goes stale, as a page does
  // whose polls are slow or paused.
  const pollUrl = `${base}/api/v1/streams/${streamId}`;
  const staleState = await (await ctxA.request.get(pollUrl)).text();
  const holdPolls = (route) => route.fulfill({ status: 200, contentType: 'application/json', body: staleState });
  await a.route(pollUrl, holdPolls);

  // 3. B, stale, moves the last of the items it sees to position 1: a conflict, nothing applied.
  const moving = start.ids[start.ids.length - 1];
  const formB = b.locator(`#queue > li[data-item-id="${moving}"] form:has(input[name=to])`);
  await formB.locator('input[name=to]').fill('1');
  await submitAndWait(b, () => formB.locator('button').first().click(), 409);
  await expectConflictShown(b, 'B');
  const shownB = await queueOrder(b);
  check(shownB.ids.join() === afterAdd.ids.join(),
    `B's conflict page shows ${shownB.ids}, the queue is ${afterAdd.ids}`);
  check(await queueVersion(b) === String(afterAdd.version),
    `B's conflict page is drawn from version ${await queueVersion(b)}, the queue is at ${afterAdd.version}`);
  const afterConflict = await apiQueue(ctxB, base, streamId);
  check(afterConflict.ids.join() === afterAdd.ids.join() && afterConflict.version === afterAdd.version,
    `B's stale move changed the queue: ${afterAdd.ids} v${afterAdd.version} -> ${afterConflict.ids} v${afterConflict.version}`);
  await shots.take(b, 'b-conflict');

  // 4. B moves it again from the queue the conflict page shows: applied.
  const formB2 = b.locator(`#queue > li[data-item-id="${moving}"] form:has(input[name=to])`);
  await formB2.locator('input[name=to]').fill('1');
  await submitAndWait(b, () => formB2.locator('button').first().click());
  check(await b.locator('#queue-conflict').isVisible() === false, 'B still shows a conflict after a fresh move');
  const afterMove = await apiQueue(ctxB, base, streamId);
  const expectMove = [moving, ...afterAdd.ids.filter((id) => id !== moving)];
  check(afterMove.ids.join() === expectMove.join(), `B's move gave ${afterMove.ids}, expected ${expectMove}`);
  check((await queueOrder(b)).ids.join() === expectMove.join(), 'B\'s page does not show its move');
  await shots.take(b, 'b-moved');

  // 5. A, stale now (its page still has the order before B's move), drags its added item to the
  // top: refused, and A sees the conflict with the current queue.
  const staleA = (await queueOrder(a)).ids;
  check(staleA.join() === afterAdd.ids.join(), `A's page changed by itself: ${staleA}`);
  const refused = postResponse(a, `${streamPath}/queue/${added}/move`);
  await dragItemAbove(a, added, staleA[0]);
  const r = await refused;
  check(r && r.status() === 409, `A's stale drag ${r ? `answered ${r.status()}` : 'sent no move'}, expected 409`);
  await expectConflictShown(a, 'A');
  await a.waitForFunction((ids) => [...document.querySelectorAll('#queue > li[data-item-id]')]
    .map((li) => li.dataset.itemId).join() === ids, afterMove.ids.join(), { timeout: 10000 });
  await shots.take(a, 'a-conflict');
  // A's polls see the real stream again: the conflict panel already shows the current version,
  // so the next poll leaves it (and its message) in place.
  await a.unroute(pollUrl, holdPolls);
  await a.waitForResponse((resp) => resp.url() === pollUrl && resp.status() === 200, { timeout: 10000 });
  await expectConflictShown(a, 'A after a poll');
  const afterStaleDrag = await apiQueue(ctxA, base, streamId);
  check(afterStaleDrag.ids.join() === afterMove.ids.join() && afterStaleDrag.version === afterMove.version,
    `A's stale drag changed the queue: ${afterMove.ids} -> ${afterStaleDrag.ids}`);

  // A reloads and sees the same queue as B.
  await gotoOk(a, streamUrl);
  check((await queueOrder(a)).ids.join() === afterMove.ids.join(), 'A\'s reloaded page is not the queue');
  await shots.take(a, 'a-reloaded');
  await gotoOk(b, streamUrl);
  await shots.take(b, 'b-reloaded');

  // 6. Nothing lost, nothing doubled: every item once.
  const end = await apiQueue(ctxB, base, streamId);
  const want = [...start.ids, added].sort();
  check([...end.ids].sort().join() === want.join(), `items lost or doubled: ${end.ids}, expected ${want}`);
  check(new Set(end.ids).size === end.ids.length, `an item appears twice: ${end.ids}`);

  for (const ctx of [ctxA, ctxB]) {
    // The 409s are expected answers; only other problems count.
    const other = ctx.problems.filter((p) => !/409/.test(p));
    check(other.length === 0, `problems: ${other.join('; ')} (${await pageText(a, 200)})`);
  }
  console.log(`ok: queue ${end.ids.join(',')} at version ${end.version}`);
});
