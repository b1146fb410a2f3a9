// Headless Chromium through the real admin panel: log in, search users, change a role, and save
// a screenshot of the users page. Run by tests/integration/browser_itest.cc, which starts the
// stack and passes:
//   BASE_URL, ADMIN_EMAIL, ADMIN_PASSWORD, TARGET_EMAIL, SCREENSHOT (a .png path)
// Exits 0 when every step checked out; otherwise prints what went wrong and exits 1.
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
};
const base = env('BASE_URL');
const adminEmail = env('ADMIN_EMAIL');
const adminPassword = env('ADMIN_PASSWORD');
const target = env('TARGET_EMAIL');
const screenshot = env('SCREENSHOT');

function check(cond, message) {
  if (!cond) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

  // 1. An anonymous visit to the users page lands on the login form, then back after login.
  await page.goto(`${base}/admin/users`);
  check(new URL(page.url()).pathname === '/admin/login', `expected the login page, got ${page.url()}`);
  await page.fill('input[name=email]', adminEmail);
  await page.fill('input[name=password]', adminPassword);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  check(new URL(page.url()).pathname === '/admin/users', `login did not return to the users page: ${page.url()}`);
  const nav = await page.locator('nav[aria-label=Main]').innerText();
  for (const item of ['Dashboard', 'Users', 'Audit log']) check(nav.includes(item), `navigation lacks ${item}`);

  // 2. Search by email.
  await page.fill('input[name=q]', target.split('@')[0]);
  await Promise.all([page.waitForNavigation(), page.press('input[name=q]', 'Enter')]);
  const rows = page.locator('tbody tr');
  check(await rows.count() === 1, `search for ${target} shows ${await rows.count()} rows`);
  check((await rows.first().innerText()).includes(target), 'the search result is not the target user');

  // 3. Open the user and change the role from user to moderator.
  await Promise.all([page.waitForNavigation(), page.click(`tbody tr a:has-text("${target}")`)]);
  check(/\/admin\/users\/\d+$/.test(new URL(page.url()).pathname), `not on a user page: ${page.url()}`);
  check(await page.inputValue('select[name=role]') === 'user', 'the target does not start as a user');
  await page.selectOption('select[name=role]', 'moderator');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save changes")')]);
  const body = await page.locator('body').innerText();
  check(await page.inputValue('select[name=role]') === 'moderator',
        `the role did not stick; page says: ${body.slice(0, 300)}`);

  // 4. The users list shows the new role; screenshot it.
  await page.goto(`${base}/admin/users?q=${encodeURIComponent(target)}`);
  check((await page.locator('tbody tr').first().innerText()).toLowerCase().includes('moderator'),
        'the users list does not show the new role');
  await page.goto(`${base}/admin/users`);
  await page.screenshot({ path: screenshot, fullPage: true });
  check(consoleErrors.length === 0, `console errors: ${consoleErrors.join('; ')}`);
  console.log(`ok: logged in, searched, changed ${target} to moderator, screenshot ${screenshot}`);
} catch (e) {
  failed = true;
  console.error(`browser test failed: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
