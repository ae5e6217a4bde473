// A call whose connection drops: the server is killed mid-call (tests/console.rs does it
// when this script prints `kill the server`). The page says the connection was lost and
// offers a new call; with the server gone, trying one says the server cannot be reached.
//
// Environment: HUASHU_URL, HUASHU_KEY; the module birthday-coupon is uploaded.

import { env, open, run, signIn } from './lib.mjs';

await run('dropped-call', async () => {
  const { page } = await open();
  await signIn(page, env('HUASHU_KEY'));
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Test call' }).click();
  await page.locator('#call-module option[value="birthday-coupon"]').waitFor({ state: 'attached' });
  await page.getByRole('button', { name: 'Start a text call' }).click();
  const status = page.locator('#call-status');
  await status.getByText('Your turn: the bot is listening').waitFor();

  console.log('kill the server');
  await status.getByText('Connection lost').waitFor();
  const reconnect = page.getByRole('button', { name: 'Start a new call with the same settings' });
  await reconnect.waitFor();
  await reconnect.click();
  const problem = page.locator('#call-setup-error');
  await problem.getByText('The call could not be started.').waitFor();
  await problem.getByText('The server could not be reached.').waitFor();
});
