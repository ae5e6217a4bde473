// An upload the server refuses: the page shows the server's validation message word for
// word, and the module list stays empty.
//
// Environment: HUASHU_URL, HUASHU_KEY, HUASHU_WASM (a component of the wrong world),
// HUASHU_EXPECTED (the message the API gives for those bytes).

import { env, open, run, signIn } from './lib.mjs';

await run('invalid-upload', async () => {
  const { page } = await open();
  await signIn(page, env('HUASHU_KEY'));
  await page.getByRole('heading', { name: 'Modules', exact: true }).waitFor();

  await page.getByLabel('Component file').setInputFiles(env('HUASHU_WASM'));
  await page.getByLabel('Module name').fill('not-a-dialogue');
  await page.getByRole('button', { name: 'Upload' }).click();

  const alert = page.locator('#upload-result [role="alert"]');
  await alert.waitFor();
  const shown = await alert.locator('.server-message').innerText();
  if (shown !== env('HUASHU_EXPECTED')) {
    throw new Error(`the page shows\n  ${shown}\nthe server said\n  ${env('HUASHU_EXPECTED')}`);
  }
  await alert.getByText('The server refused').waitFor();
  await page.getByText('No modules yet').waitFor();
});
