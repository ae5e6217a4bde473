// A telephone call placed from the test call page: the server dials through a trunk to
// Kamailio, which answers numbers ending in 486 with 486 Busy Here. First a trunk the
// tenant was never granted, whose refusal the page shows word for word; then the real
// call, whose progress the page follows to `busy` with 486; then the history lists it
// as unanswered and its record has the Telephone block.
//
// Environment: HUASHU_URL, HUASHU_KEY, HUASHU_TO (the number), HUASHU_TRUNK, HUASHU_FROM
// (the trunk's caller ID), HUASHU_UNKNOWN_TRUNK_MESSAGE (what the API says about a trunk
// named `nowhere`), HUASHU_TEXT_CALL (a text call of the tenant, never connected); the
// module birthday-coupon is uploaded.
// Prints `call: c_…` for tests/console.rs to check the server's record.

import { env, open, run, screenshot, signIn } from './lib.mjs';

await run('phone-call', async () => {
  const { page } = await open();
  await signIn(page, env('HUASHU_KEY'));
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Test call' }).click();
  await page.locator('#call-module option[value="birthday-coupon"]').waitFor({ state: 'attached' });
  await page.getByLabel('Variable 1 name').fill('name');
  await page.getByLabel('Variable 1 value').fill('王芳');

  await page.getByText('Phone call (SIP)', { exact: true }).click();
  const to = env('HUASHU_TO');
  await page.getByLabel('Number to call').fill(to);
  await page.getByLabel('Ring timeout (seconds)').fill('10');

  // A trunk the tenant may not use: refused before anything is dialled.
  await page.getByLabel('Trunk', { exact: true }).fill('nowhere');
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  const refused = page.locator('#call-setup-error');
  await refused.getByText('The call could not be placed.').waitFor();
  await refused.locator('.server-message', { hasText: env('HUASHU_UNKNOWN_TRUNK_MESSAGE') }).waitFor();

  // The real trunk; Enter in its field places the call too.
  const trunk = page.getByLabel('Trunk', { exact: true });
  await trunk.fill(env('HUASHU_TRUNK'));
  await trunk.press('Enter');
  await page.locator('#sip-steps li[data-state="dialing"]').waitFor();
  const status = page.locator('#sip-status');
  await status.getByText('Not answered: the line is busy (SIP 486 Busy Here).').waitFor();
  await page.locator('#sip-steps li[data-state="busy"]', { hasText: '486' }).waitFor();
  await page.locator('#sip-numbers', { hasText: `${env('HUASHU_FROM')} → ${to}, through trunk ${env('HUASHU_TRUNK')}` }).waitFor();
  await page.locator('#sip-outcome').getByText('nobody answered, so the script never ran').waitFor();
  if (await refused.isVisible()) throw new Error(`the earlier refusal is still shown: ${await refused.innerText()}`);
  if (await page.locator('#call-panel').isVisible()) throw new Error('the text call panel shows for a phone call');
  if (!(await page.getByRole('button', { name: 'Call', exact: true }).isEnabled())) {
    throw new Error('the call has ended, yet a new one cannot be placed');
  }
  await screenshot(page, 'phone-call');
  const href = await page.locator('#sip-record-link a').getAttribute('href');
  const callId = decodeURIComponent(href.replace('#/history/', ''));
  console.log(`call: ${callId}`);

  // The history: unanswered, with its progress, beside a text call that has none; the
  // status filter keeps only the unanswered one.
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Call history' }).click();
  const row = page.locator(`tr[data-call="${callId}"]`);
  await row.getByText('unanswered').waitFor();
  await row.locator('.pill.phone[data-state="busy"]', { hasText: '☎ busy 486' }).waitFor();
  const other = page.locator(`tr[data-call="${env('HUASHU_TEXT_CALL')}"]`);
  await other.waitFor();
  if (await other.locator('.pill.phone').count()) throw new Error('a text call shows telephone progress');
  await page.getByLabel('Status').selectOption('unanswered');
  await page.getByRole('button', { name: 'Show calls' }).click();
  await other.waitFor({ state: 'detached' });
  await row.waitFor();

  // Its record: the Telephone block.
  await row.getByRole('link').click();
  await page.getByRole('heading', { name: `Call ${callId}` }).waitFor();
  await page.locator('[data-testid="status"]', { hasText: 'unanswered' }).waitFor();
  const phone = page.locator('[data-testid="telephone"]');
  await phone.locator('[data-testid="numbers"]', { hasText: `${env('HUASHU_FROM')} → ${to}` }).waitFor();
  await phone.locator('[data-testid="trunk"]', { hasText: env('HUASHU_TRUNK') }).waitFor();
  await phone.locator('[data-testid="progress"]', { hasText: 'busy (SIP 486 Busy Here)' }).waitFor();
  await phone.getByText('not answered', { exact: true }).waitFor();
  await page.getByText('Nobody answered this call, so its script never ran').waitFor();
  await screenshot(page, 'phone-call-record');
});
