// Shared by the console's browser scripts: Debian's Chromium launched headless through
// playwright-core, a page that fails the script on any script error or refused resource
// (a CSP violation shows up as one), sign-in, and screenshots for docs/console/.
//
// tests/console.rs runs each script with the server's address and keys in the
// environment; a script prints `ok: …` lines and exits 0, or prints why and exits 1.

import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (tests/console.rs sets it)`);
  return value;
};

/** How long to wait for anything on the page: generous for a loaded 2-core machine. */
export const TIMEOUT_MS = 60_000;

/** The browser the running script opened, for `run` to report on and close. */
let session = null;

/**
 * Launches Chromium with a fresh profile and opens the console. `args` are extra
 * command-line switches (the fake microphone).
 */
export async function open({ args = [], permissions = [] } = {}) {
  // A fresh profile per run (Playwright passes it as --user-data-dir).
  const profile = mkdtempSync(join(tmpdir(), 'huashu-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    // The console picks its language from the browser's: English unless a script switches.
    locale: 'en-US',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
  });
  if (permissions.length) await context.grantPermissions(permissions, { origin: env('HUASHU_URL') });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  const problems = [];
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // A failed API call (an error status, or no server at all) is logged by the browser;
    // the page shows it in words, and the scripts check that. CSP violations ("Refused
    // to …") and script errors still fail the script.
    if (text.startsWith('Failed to load resource: ')) return;
    problems.push(`console error: ${text}`);
  });
  await page.goto(env('HUASHU_URL'));
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  session = { page, problems, close };
  return session;
}

/** Signs in with the tenant key (or the operator token with `role: 'operator'`). */
export async function signIn(page, key, role = 'tenant') {
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  if (role === 'operator') await page.getByRole('radio', { name: /operator token/ }).check();
  await page.getByLabel(role === 'operator' ? 'Operator token' : 'API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Writes `docs/console/NAME.png` when the run was asked to refresh the screenshots. */
export async function screenshot(page, name) {
  const dir = process.env.HUASHU_SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  console.log(`screenshot: ${name}.png`);
}

/**
 * Runs a script's steps and exits: 0 when they pass and the page logged no problem, 1
 * otherwise, with what the page showed at the time.
 */
export async function run(name, steps) {
  try {
    await steps();
    if (session?.problems.length) throw new Error(`the page reported problems:\n${session.problems.join('\n')}`);
    console.log(`ok: ${name}`);
    await session?.close();
    process.exit(0);
  } catch (error) {
    console.log(`FAILED: ${name}: ${error.stack ?? error}`);
    if (session?.page) {
      try {
        const dir = process.env.HUASHU_FAILURE_DIR;
        if (dir) {
          mkdirSync(dir, { recursive: true });
          await session.page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
          console.log(`the page at the time: ${join(dir, `${name}.png`)}`);
        }
        console.log(`page text:\n${await session.page.locator('main').innerText()}`);
      } catch {
        // The page is gone; the error above says why.
      }
      if (session.problems.length) console.log(`page problems:\n${session.problems.join('\n')}`);
    }
    await session?.close().catch(() => {});
    process.exit(1);
  }
}
