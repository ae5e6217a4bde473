// Campaigns: a campaign created from the form (first with a trunk the tenant was not
// granted, whose refusal shows beside the trunk field in the server's words), calling
// every day all day, a busy number tried again after 3 s, at most 2 attempts; a CSV of
// contacts with one bad number whose line the import report names; the campaign started
// and followed on the page as it dials over SIP (running, the done count moving, then
// completed, with the answer rate, the intent funnel and the outcomes by reason); the
// language switched to Chinese and back (remembered across a reload), and the results
// downloaded as CSV, one row per contact.
//
// Environment: HUASHU_URL, HUASHU_KEY, HUASHU_TRUNK (granted to the tenant, towards a
// carrier that answers +86139… numbers with a phone that says yes, …486 busy, …603
// declined, and unregistered numbers 404), HUASHU_UNKNOWN_TRUNK_MESSAGE (what the API
// says about a trunk named `nowhere`); the module birthday-coupon is uploaded. Prints
// `campaign: cp_…`, `time zone: …`, `bad line: N` and `results rows: N`.

import { readFileSync } from 'node:fs';
import { env, open, run, screenshot, signIn } from './lib.mjs';

/** Who is called: three who say yes, two busy lines, one decline, one number nobody has. */
const ANSWERED = ['+8613900000101', '+8613900000102', '+8613900000103'];
const BUSY = ['+8613800100486', '+8613800200486'];
const DECLINED = ['+8613800300603'];
const UNREGISTERED = ['+8613600000001'];
const NUMBERS = [...ANSWERED, ...BUSY, ...DECLINED, ...UNREGISTERED];
const NAMES = ['王芳', '李雷', '韩梅梅', '张伟', '刘洋', '陈静', '杨帆'];
const CSV = `number,name,coupon_amount\n${NUMBERS.map((n, i) => `${n},${NAMES[i]},50`).join('\n')}\n12345,坏号码,10\n`;
const NAME = 'Birthday coupons, December';
/**
 * From Start to completed: answered calls last a conversation (~15 s) and busy lines
 * wait 3 s before their second try; a loaded 2-core machine may take several times that.
 */
const CAMPAIGN_MS = 180_000;

/**
 * The calling window is the whole day, every day (an end of 00:00 in the form is
 * midnight), so the test passes at any hour.
 */
function timeZone() {
  return 'Asia/Shanghai';
}

await run('campaigns', async () => {
  const { page } = await open();
  await signIn(page, env('HUASHU_KEY'));
  await page.getByRole('navigation', { name: 'Screens' }).waitFor();
  const nav = page.locator('#nav');
  await nav.getByRole('link', { name: 'Campaigns' }).click();
  await page.getByRole('heading', { name: 'Campaigns', exact: true }).waitFor();
  await page.getByText('No campaigns yet: create one below.').waitFor();
  await page.locator('#cp-module option[value="birthday-coupon"]').waitFor({ state: 'attached' });

  // The form, with a trunk the tenant may not use: refused beside the trunk field.
  await page.getByLabel('Campaign name').fill(NAME);
  await page.getByLabel('Trunk to call through').fill('nowhere');
  await page.getByLabel('Calls at once').fill('3');
  await page.getByLabel('Attempts per contact at most').fill('2');
  // The form takes minutes: 0.05 min is the 3 s a test can wait.
  await page.getByLabel('Busy: wait (minutes)').fill('0.05');
  await page.getByLabel('Busy: retries').fill('1');
  const zone = timeZone();
  console.log(`time zone: ${zone}`);
  await page.getByLabel('Time zone').fill(zone);
  const window = page.locator('#cp-windows .window').first();
  for (const box of await window.locator('.days input[type="checkbox"]').all()) await box.check();
  await window.getByLabel('From').fill('00:00');
  await window.getByLabel('to', { exact: true }).fill('00:00');
  await page.getByLabel('No calls over lunch').uncheck();
  await page.getByRole('button', { name: 'Create the campaign' }).click();
  const fieldError = page.locator('#cp-trunk-error');
  await fieldError.locator('.server-message', { hasText: env('HUASHU_UNKNOWN_TRUNK_MESSAGE') }).waitFor();
  await page.getByText('see the field marked in the form').waitFor();
  if ((await page.getByLabel('Trunk to call through').getAttribute('aria-invalid')) !== 'true') {
    throw new Error('the refused trunk field is not marked invalid');
  }

  // The granted trunk: created, and the page opens it.
  await page.getByLabel('Trunk to call through').fill(env('HUASHU_TRUNK'));
  await page.getByRole('button', { name: 'Create the campaign' }).click();
  await page.getByRole('heading', { name: NAME }).waitFor();
  const id = decodeURIComponent(new URL(page.url()).hash.replace('#/campaigns/', ''));
  console.log(`campaign: ${id}`);
  await page.locator('#campaign-state .pill[data-state="draft"]', { hasText: 'draft' }).waitFor();
  const settings = page.locator('#campaign-settings');
  await settings.getByText('again after 0.05 min, up to 1 times').waitFor();
  await settings.getByText('every day 00:00–24:00').waitFor();

  // Contacts: seven good rows and a number that is no number.
  await page.getByLabel('Contact list').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
  await page.getByRole('button', { name: 'Import the contacts' }).click();
  const report = page.locator('[data-testid="import-report"]');
  await report.getByText('7 of 8 rows imported.').waitFor();
  await report.locator('[data-count="invalid"]', { hasText: '1' }).waitFor();
  const bad = report.locator('table.problems tbody tr');
  await bad.filter({ hasText: '12345' }).waitFor();
  if ((await bad.count()) !== 1) throw new Error(`${await bad.count()} problem rows, not 1`);
  console.log(`bad line: ${await bad.getAttribute('data-line')}`);
  const figures = page.locator('#campaign-progress');
  const value = (name) => figures.locator(`[data-figure="${name}"] .value`);
  await value('contacts').getByText('7', { exact: true }).waitFor();
  await value('pending').getByText('7', { exact: true }).waitFor();
  await figures.locator('table.bars[data-bars="intents"] tr[data-key="A"]').waitFor();

  // Start: the campaign runs, and the page follows it as it dials.
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  const said = page.locator('#campaign-message');
  await said.getByText('The campaign has started').waitFor();
  await page.locator('#campaign-state .pill[data-state="running"]', { hasText: 'running' }).waitFor();
  if (await page.getByRole('button', { name: 'Start', exact: true }).isVisible()) throw new Error('a running campaign still offers Start');
  await page.getByRole('button', { name: 'Pause' }).waitFor();
  // The figures move while it runs: some contacts done (the decline and the unknown
  // number end at once), others still to go (the answered calls talk for a while).
  await page.waitForFunction(() => {
    const state = document.querySelector('#campaign-state .pill')?.dataset.state;
    const done = Number(document.querySelector('#campaign-progress [data-figure="done"] .value')?.textContent);
    return state === 'running' && done > 0 && done < 7;
  }, null, { timeout: CAMPAIGN_MS, polling: 100 });
  console.log(`running, done: ${await value('done').innerText()}`);

  // Completed: every contact done, and what became of them.
  await page.locator('#campaign-state .pill[data-state="completed"]', { hasText: 'completed' }).waitFor({ timeout: CAMPAIGN_MS });
  await value('done').getByText('7', { exact: true }).waitFor();
  await value('pending').getByText('0', { exact: true }).waitFor();
  await value('answered').getByText('3', { exact: true }).waitFor();
  const rate = (await value('answer-rate').innerText()).trim();
  if (!/^[1-9]/.test(rate)) throw new Error(`the answer rate shows ${rate}`);
  console.log(`answer rate: ${rate}`);
  const intentA = figures.locator('table.bars[data-bars="intents"] tr[data-key="A"] td.num');
  await intentA.getByText(/^3/).waitFor();
  const barA = figures.locator('table.bars[data-bars="intents"] tr[data-key="A"] .bar');
  if (!((await barA.boundingBox())?.width > 0)) throw new Error('the A bar is empty');
  const busyRow = figures.locator('table.bars[data-bars="outcomes"] tr[data-key="busy"]');
  await busyRow.getByRole('rowheader', { name: 'busy' }).waitFor();
  // The count, then its share of all attempts: `4 (44.4%)`.
  console.log(`busy attempts: ${(await busyRow.locator('td.num').innerText()).trim().split(/\s/)[0]}`);
  await figures.locator('table.bars[data-bars="results"] tr[data-key="rejected"]').getByText('declined').waitFor();
  await figures.locator('table.bars[data-bars="results"] tr[data-key="invalid-number"]').getByText('invalid number').waitFor();
  for (const action of ['Start', 'Pause', 'Resume', 'Cancel the campaign']) {
    if (await page.getByRole('button', { name: action, exact: true }).isVisible()) throw new Error(`a completed campaign offers ${action}`);
  }
  await screenshot(page, 'campaign');

  // 中文: the whole page, remembered across a reload.
  await page.getByRole('button', { name: '切换到中文' }).click();
  await page.locator('#campaign-state .pill[data-state="completed"]', { hasText: '已完成' }).waitFor();
  await figures.locator('[data-figure="pending"] .label', { hasText: '待拨打' }).waitFor();
  await figures.locator('[data-figure="answer-rate"] .label', { hasText: '接通率' }).waitFor();
  await page.getByRole('heading', { name: '意向等级' }).waitFor();
  await page.getByRole('heading', { name: '呼叫结果' }).waitFor();
  await busyRow.getByRole('rowheader', { name: '占线' }).waitFor();
  await page.getByRole('heading', { name: '联系人', exact: true }).waitFor();
  await report.getByText('8 行中导入了 7 行。').waitFor();
  await said.getByText('任务已开始').waitFor();
  await settings.getByText('0.05 分钟后重呼，最多 1 次').waitFor();
  await nav.getByRole('link', { name: '外呼任务' }).waitFor();
  if ((await page.locator('html').getAttribute('lang')) !== 'zh-CN') throw new Error('the page does not say it is in Chinese');
  await screenshot(page, 'campaign-zh');
  await page.reload();
  await page.locator('#campaign-state .pill[data-state="completed"]', { hasText: '已完成' }).waitFor();
  await nav.getByRole('link', { name: '外呼任务' }).click();
  await page.getByRole('heading', { name: '新建外呼任务' }).waitFor();
  await page.locator(`tr[data-campaign="${id}"]`).getByText('已完成').first().waitFor();
  await page.getByLabel('任务名称').waitFor();
  await nav.getByRole('link', { name: '模块' }).click();
  await page.getByRole('heading', { name: '您的模块' }).waitFor();
  await nav.getByRole('link', { name: '外呼任务' }).click();
  await page.locator(`tr[data-campaign="${id}"]`).getByText('已完成 7 / 7 个联系人').waitFor();
  await screenshot(page, 'campaigns-zh');

  // Back to English; the results as a file, one row per contact.
  await page.getByRole('button', { name: 'Switch to English' }).click();
  await page.getByRole('heading', { name: 'New campaign' }).waitFor();
  const link = page.locator(`tr[data-campaign="${id}"]`);
  await link.getByText('7 of 7 contacts done').waitFor();
  await link.locator('.pill[data-state="completed"]', { hasText: 'completed' }).waitFor();
  await screenshot(page, 'campaigns');
  await link.getByRole('link', { name: NAME }).click();
  await page.locator('#campaign-state .pill[data-state="completed"]').waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download the results (CSV)' }).click(),
  ]);
  if (!download.suggestedFilename().endsWith('.csv')) throw new Error(`downloaded ${download.suggestedFilename()}`);
  const csv = readFileSync(await download.path(), 'utf8');
  const rows = csv.split('\n').filter((line) => line.trim()).slice(1);
  for (const number of NUMBERS) {
    if (rows.filter((row) => row.startsWith(`${number},`) || row.includes(`,${number},`)).length !== 1) {
      throw new Error(`the results CSV has no single row for ${number}:\n${csv}`);
    }
  }
  if (rows.length !== NUMBERS.length) throw new Error(`${rows.length} result rows for ${NUMBERS.length} contacts:\n${csv}`);
  console.log(`results header: ${csv.split('\n')[0]}`);
  console.log(`results rows: ${rows.length}`);
});
