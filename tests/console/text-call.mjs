// A tenant developer's first session: sign in, upload birthday-coupon by the file picker,
// call it in text mode with variables, type the replies of the `who-is-this` scenario,
// see outcome A, then find the call in the history and open its record.
//
// Environment: HUASHU_URL, HUASHU_KEY, HUASHU_WASM (the built birthday_coupon.wasm).
// Prints `call: c_…` for tests/console.rs to check the server's record.

import { env, open, run, screenshot, signIn } from './lib.mjs';

await run('text-call', async () => {
  const { page } = await open();

  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await screenshot(page, 'sign-in');
  await signIn(page, env('HUASHU_KEY'));
  await page.getByRole('heading', { name: 'Modules', exact: true }).waitFor();
  await page.getByText('No modules yet').waitFor();

  // The file picker; the name comes from the file (cargo writes `_` for `-`).
  await page.getByLabel('Component file').setInputFiles(env('HUASHU_WASM'));
  const name = page.getByLabel('Module name');
  if ((await name.inputValue()) !== 'birthday-coupon') {
    throw new Error(`the module name was not taken from the file: ${await name.inputValue()}`);
  }
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByText('Uploaded birthday-coupon version 1').waitFor();
  const card = page.locator('article[data-module="birthday-coupon"]');
  await card.getByText('active').waitFor();
  await screenshot(page, 'modules');

  // A text call with the campaign's variables.
  await card.getByRole('link', { name: 'Test call' }).click();
  await page.getByRole('heading', { name: 'Test call', exact: true }).waitFor();
  await page.locator('#call-module option[value="birthday-coupon"]').waitFor({ state: 'attached' });
  await page.getByLabel('Variable 1 name').fill('name');
  await page.getByLabel('Variable 1 value').fill('王芳');
  await page.getByRole('button', { name: 'Add a variable' }).click();
  await page.getByLabel('Variable 2 name').fill('coupon_amount');
  await page.getByLabel('Variable 2 value').fill('50');
  await page.getByRole('button', { name: 'Start a text call' }).click();

  // The scenario guest-examples/birthday-coupon/scenarios/who-is-this.yaml, typed.
  const transcript = page.locator('#transcript');
  await transcript.locator('li.bot', { hasText: '王芳您好' }).waitFor();
  await transcript.locator('li.bot', { hasText: '50元的生日优惠券' }).waitFor();
  const reply = page.getByLabel('Customer says');
  await reply.fill('你是谁啊？');
  await reply.press('Enter');
  await transcript.locator('li.customer', { hasText: '你是谁啊？' }).waitFor();
  await transcript.locator('li.bot', { hasText: '优选会员中心的客服' }).waitFor();
  await reply.fill('哦，那好的');
  await page.getByRole('button', { name: 'Send' }).click();
  await transcript.locator('li.bot', { hasText: '稍后会通过短信发给您' }).waitFor();

  // The outcome, the end of the call, and the trace.
  const outcome = page.locator('#call-outcome [data-final="yes"]');
  await outcome.locator('[data-testid="intent"]', { hasText: 'A' }).waitFor();
  await outcome.locator('[data-testid="disposition"]', { hasText: 'coupon-accepted' }).waitFor();
  await outcome.locator('[data-testid="tags"]', { hasText: 'asked-who, coupon-accepted' }).waitFor();
  await page.locator('#call-status', { hasText: 'The call has ended (dialogue-complete).' }).waitFor();
  const timeline = page.locator('#timeline');
  await timeline.locator('tr', { hasText: 'call started: outbound, channel text' }).first().waitFor();
  await timeline.locator('tr.kind-log', { hasText: 'heard "哦，那好的" as Some(Yes)' }).waitFor();
  await timeline.locator('tr', { hasText: 'set outcome: intent A' }).waitFor();
  await screenshot(page, 'test-call');
  const href = await page.locator('#call-record-link a').getAttribute('href');
  const callId = decodeURIComponent(href.replace('#/history/', ''));
  console.log(`call: ${callId}`);

  // The history lists it; its record opens.
  await page.getByRole('link', { name: 'Call history' }).click();
  const row = page.locator(`tr[data-call="${callId}"]`);
  await row.getByText('completed').waitFor();
  await page.getByLabel('Outcome').selectOption('A');
  await page.getByRole('button', { name: 'Show calls' }).click();
  await row.waitFor();
  await screenshot(page, 'history');
  await row.getByRole('link').click();
  await page.getByRole('heading', { name: `Call ${callId}` }).waitFor();
  await page.locator('[data-testid="status"]', { hasText: 'completed' }).waitFor();
  await page.locator('#record-body [data-testid="intent"]', { hasText: 'A' }).waitFor();
  await page.locator('#record-body li.customer', { hasText: '哦，那好的' }).waitFor();
  await screenshot(page, 'call-record');
});
