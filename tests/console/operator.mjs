// The operator's view: sign in with the operator token and see each tenant with its
// quotas and its live calls.
//
// Environment: HUASHU_URL, HUASHU_OPERATOR_TOKEN, HUASHU_TENANT (an id with
// HUASHU_LIVE_CALLS calls live).

import { env, open, run, screenshot, signIn } from './lib.mjs';

await run('operator', async () => {
  const { page } = await open();
  await signIn(page, env('HUASHU_OPERATOR_TOKEN'), 'operator');
  await page.getByRole('heading', { name: 'Tenants', exact: true }).waitFor();
  const row = page.locator(`tr[data-tenant="${env('HUASHU_TENANT')}"]`);
  await row.locator('[data-testid="live-calls"]', { hasText: env('HUASHU_LIVE_CALLS') }).waitFor();
  await row.getByText('64.0 MiB').waitFor();
  await screenshot(page, 'operator');
  // Tenant screens are not the operator's.
  if (await page.getByRole('link', { name: 'Modules' }).isVisible()) {
    throw new Error('the operator sees the tenant screens');
  }
});
