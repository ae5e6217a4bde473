// Prompts: a WAV recording uploaded by the file picker is listed with its length and
// format and plays back in the page (fetched with the key, played from a blob URL); a
// file that is not a WAV shows the server's message.
//
// Environment: HUASHU_URL, HUASHU_KEY, HUASHU_PROMPT_WAV, HUASHU_NOT_WAV (any other
// file), HUASHU_EXPECTED (the API's message for it).

import { env, open, run, signIn } from './lib.mjs';

await run('prompts', async () => {
  const { page } = await open();
  await signIn(page, env('HUASHU_KEY'));
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Prompts' }).click();
  await page.getByText('No prompts yet').waitFor();

  await page.getByLabel('Recording (.wav)').setInputFiles(env('HUASHU_PROMPT_WAV'));
  await page.getByLabel('Prompt name').fill('greeting');
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByText('Uploaded greeting:').waitFor();
  const row = page.locator('#prompt-list tr', { hasText: 'greeting' });
  await row.getByText('22050 Hz, mono').waitFor();

  await row.getByRole('button', { name: 'Play greeting' }).click();
  const audio = row.getByLabel('Recording greeting');
  await audio.waitFor();
  // The browser decoded it: its length is known.
  await page.waitForFunction(() => document.querySelector('#prompt-list audio')?.duration > 0);

  await page.getByLabel('Recording (.wav)').setInputFiles(env('HUASHU_NOT_WAV'));
  await page.getByLabel('Prompt name').fill('broken');
  await page.getByRole('button', { name: 'Upload' }).click();
  const shown = await page.locator('#prompt-result [role="alert"] .server-message').innerText();
  if (shown !== env('HUASHU_EXPECTED')) {
    throw new Error(`the page shows\n  ${shown}\nthe server said\n  ${env('HUASHU_EXPECTED')}`);
  }
});
