// Real-browser checks of the challenge page, run by
// tests/integration/test_challenge_browser.py against a rampart it started:
//   node challenge.mjs <base-url> <artifacts-dir>
// Headless Debian chromium driven by playwright-core. Exits non-zero with a message on
// the first failed check; every wait is bounded.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, artifacts] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const launchArgs = ['--no-sandbox', '--disable-dev-shm-usage'];
fs.mkdirSync(artifacts, { recursive: true });

function check(ok, what) {
  if (!ok) throw new Error('check failed: ' + what);
  console.log('ok: ' + what);
}

async function originContent(page) {
  const text = await page.textContent('body', { timeout: 5000 });
  return text.includes('"target"');
}

// A navigation with Chromium's own request headers: no locale override, which would make
// Playwright send Accept-Language out of Chromium's order (an automation tell the bot
// score notices). The test reads this request's bot score from the access log.
async function plainNavigation(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const first = await page.goto(base + '/echo/plain-navigation');
  check(first.status() === 403, 'plain navigation gets the challenge (403)');
  await context.close();
}

async function passesWithJavaScript(browser) {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const first = await page.goto(base + '/echo?browser=1');
  check(first.status() === 403, 'first visit gets the challenge (403)');
  await page.waitForURL(base + '/echo?browser=1', { timeout: 30000, waitUntil: 'load' });
  // waitForURL also matches the challenge page itself: wait for the origin's answer.
  await page.waitForFunction(() => document.body && document.body.innerText.includes('"target"'),
                             null, { timeout: 30000 });
  check(await originContent(page), 'the challenge solves itself and lands on the origin');
  const cookies = await context.cookies();
  check(cookies.some((c) => c.name === 'rampart_clearance' && c.httpOnly),
        'an HttpOnly clearance cookie was set');
  const next = await page.goto(base + '/echo?next=1');
  check(next.status() === 200 && (await originContent(page)),
        'the next navigation goes straight to the origin');
  await context.close();
}

async function passesWithoutJavaScript(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'en-US' });
  const page = await context.newPage();
  const first = await page.goto(base + '/echo?nojs=1');
  check(first.status() === 403, 'without JavaScript: the challenge page');
  check((await page.textContent('body')).includes('JavaScript is off'),
        'without JavaScript: the no-JS step is explained');
  // Page scripts are off: poll from outside.
  const deadline = Date.now() + 30000;
  let landed = false;
  while (!landed && Date.now() < deadline) {
    await page.waitForTimeout(250);
    landed = page.url() === base + '/echo?nojs=1' &&
             (await page.content().catch(() => '')).includes('"target"');
  }
  check(landed, 'without JavaScript: the timed refresh lands on the origin');
  await context.close();
}

async function explainsBlockedCookies() {
  // A profile whose content settings block every cookie, as a user would set it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-nocookies-'));
  fs.mkdirSync(path.join(dir, 'Default'));
  fs.writeFileSync(path.join(dir, 'Default', 'Preferences'), JSON.stringify(
      { profile: { default_content_setting_values: { cookies: 2 } } }));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath, args: launchArgs, headless: true, locale: 'en-US' });
  try {
    const page = await context.newPage();
    let challengeHits = 0;
    page.on('request', (r) => { if (r.url().includes('/.rampart/challenge')) challengeHits++; });
    await page.goto(base + '/echo?cookies=1');
    const deadline = Date.now() + 30000;
    let explained = false;
    while (!explained && Date.now() < deadline) {
      await page.waitForTimeout(250);
      explained = (await page.content().catch(() => '')).includes('Cookies are blocked');
    }
    check(explained, 'cookies blocked: the page explains it');
    await page.waitForTimeout(2000);
    check(challengeHits <= 3, 'cookies blocked: no redirect loop (' + challengeHits + ' hits)');
    await page.screenshot({ path: path.join(artifacts, 'challenge-cookies-blocked.png') });
  } finally {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function screenshots(browser) {
  for (const [locale, name] of [['en-US', 'en'], ['fr-FR', 'fr']]) {
    const context = await browser.newContext({ locale, viewport: { width: 800, height: 600 } });
    const page = await context.newPage();
    // Answer the page's POST with 204 No Content: the browser stays on the page for the
    // picture.
    await page.route('**/.rampart/challenge*', (route) => route.fulfill({ status: 204 }));
    await page.goto(base + '/echo?shot=' + name);
    const lang = await page.getAttribute('html', 'lang');
    check(lang === name, 'Accept-Language ' + locale + ' gives the ' + name + ' page');
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(artifacts, 'challenge-' + name + '.png') });
    await context.close();
  }
}

const timer = setTimeout(() => { console.error('browser tests timed out'); process.exit(2); },
                         150000);
const browser = await chromium.launch({ executablePath, args: launchArgs, headless: true });
try {
  await plainNavigation(browser);
  await passesWithJavaScript(browser);
  await passesWithoutJavaScript(browser);
  await screenshots(browser);
  await explainsBlockedCookies();
} catch (e) {
  console.error(e.stack || String(e));
  process.exitCode = 1;
} finally {
  await browser.close();
  clearTimeout(timer);
}
