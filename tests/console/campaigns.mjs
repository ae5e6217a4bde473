// Campaigns: a campaign created from the form (first with a trunk the tenant was not
// granted, whose refusal shows beside the trunk field in the server's words), a CSV of
// contacts with one bad number whose line the import report names, the start refused
// by a server that places no telephone calls (its 409 shown word for word), the progress
// figures and the intent funnel, the language switched to Chinese and back (remembered
// across a reload), and the results downloaded as CSV.
//
// Environment: HUASHU_URL, HUASHU_KEY, HUASHU_TRUNK (granted to the tenant),
// HUASHU_UNKNOWN_TRUNK_MESSAGE (what the API says about a trunk named `nowhere`); the
// module birthday-coupon is uploaded. Prints `campaign: cp_…` and `bad line: N`.

import { env, open, run, screenshot, signIn } from './lib.mjs';

const CSV = 'number,name,coupon_amount\n13800138001,王芳,50\n13800138002,李雷,30\n+8613800138003,韩梅梅,50\n12345,坏号码,10\n';
const NAME = 'Birthday coupons, December';

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
  await page.getByLabel('Calls at once').fill('5');
  await page.getByLabel('Busy: wait (minutes)').fill('20');
  await page.getByRole('button', { name: 'Add a calling window' }).click();
  const second = page.locator('#cp-windows .window').nth(1);
  await second.getByLabel('From').fill('14:00');
  await second.getByLabel('to', { exact: true }).fill('18:00');
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
  await page.locator('#campaign-settings').getByText('again after 20 min, up to 2 times').waitFor();

  // Contacts: three good rows and a number that is no number.
  await page.getByLabel('Contact list').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
  await page.getByRole('button', { name: 'Import the contacts' }).click();
  const report = page.locator('[data-testid="import-report"]');
  await report.getByText('3 of 4 rows imported.').waitFor();
  await report.locator('[data-count="invalid"]', { hasText: '1' }).waitFor();
  const bad = report.locator('table.problems tbody tr');
  await bad.filter({ hasText: '12345' }).waitFor();
  if ((await bad.count()) !== 1) throw new Error(`${await bad.count()} problem rows, not 1`);
  console.log(`bad line: ${await bad.getAttribute('data-line')}`);
  const figures = page.locator('#campaign-progress');
  await figures.locator('[data-figure="contacts"] .value', { hasText: '3' }).waitFor();
  await figures.locator('[data-figure="pending"] .value', { hasText: '3' }).waitFor();
  await figures.locator('table.bars[data-bars="intents"] tr[data-key="A"]').waitFor();

  // Start: this server places no telephone calls, and the page says so in its words.
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  const refused = page.locator('#campaign-message');
  await refused.getByText('The campaign could not start:').waitFor();
  const said = (await refused.locator('.server-message').innerText()).trim();
  if (!said) throw new Error('the refusal shows no server message');
  console.log(`start refused: ${said}`);
  await screenshot(page, 'campaign');

  // 中文: the whole page, remembered across a reload.
  await page.getByRole('button', { name: '切换到中文' }).click();
  await page.getByRole('button', { name: '开始', exact: true }).waitFor();
  await figures.locator('[data-figure="pending"] .label', { hasText: '待拨打' }).waitFor();
  await page.getByRole('heading', { name: '意向等级' }).waitFor();
  await page.getByRole('heading', { name: '联系人', exact: true }).waitFor();
  await report.getByText('4 行中导入了 3 行。').waitFor();
  await refused.getByText('任务无法开始：').waitFor();
  await refused.locator('.server-message', { hasText: said }).waitFor();
  await nav.getByRole('link', { name: '外呼任务' }).waitFor();
  if ((await page.locator('html').getAttribute('lang')) !== 'zh-CN') throw new Error('the page does not say it is in Chinese');
  await screenshot(page, 'campaign-zh');
  await page.reload();
  await page.getByRole('button', { name: '开始', exact: true }).waitFor();
  await nav.getByRole('link', { name: '外呼任务' }).click();
  await page.getByRole('heading', { name: '新建外呼任务' }).waitFor();
  await page.locator(`tr[data-campaign="${id}"]`).getByText('草稿').waitFor();
  await page.getByLabel('任务名称').waitFor();
  await nav.getByRole('link', { name: '模块' }).click();
  await page.getByRole('heading', { name: '您的模块' }).waitFor();
  await nav.getByRole('link', { name: '外呼任务' }).click();
  await screenshot(page, 'campaigns-zh');

  // Back to English; the results as a file.
  await page.getByRole('button', { name: 'Switch to English' }).click();
  await page.getByRole('heading', { name: 'New campaign' }).waitFor();
  const link = page.locator(`tr[data-campaign="${id}"]`);
  await link.getByText('0 of 3 contacts done').waitFor();
  await screenshot(page, 'campaigns');
  await link.getByRole('link', { name: NAME }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download the results (CSV)' }).click(),
  ]);
  if (!download.suggestedFilename().endsWith('.csv')) throw new Error(`downloaded ${download.suggestedFilename()}`);
  const path = await download.path();
  const { readFileSync } = await import('node:fs');
  const csv = readFileSync(path, 'utf8');
  if (!csv.includes('13800138001')) throw new Error(`the results CSV lacks a contact:\n${csv}`);
  console.log(`results header: ${csv.split('\n')[0]}`);
});
