// Modules: a component dropped on the upload box (drag and drop), a second version by the
// file picker, and version 1 pinned; the page shows which version new calls use.
//
// Environment: HUASHU_URL, HUASHU_KEY, HUASHU_WASM (birthday_coupon.wasm).

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { env, open, run, signIn } from './lib.mjs';

await run('modules', async () => {
  const { page } = await open();
  await signIn(page, env('HUASHU_KEY'));
  await page.getByRole('heading', { name: 'Modules', exact: true }).waitFor();

  // Drag and drop: a `drop` event carrying the file, as a browser makes it.
  const bytes = readFileSync(env('HUASHU_WASM')).toString('base64');
  const transfer = await page.evaluateHandle(([data, name]) => {
    const file = new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, { type: 'application/wasm' });
    const dt = new DataTransfer();
    dt.items.add(file);
    return dt;
  }, [bytes, basename(env('HUASHU_WASM'))]);
  await page.locator('#module-drop').dispatchEvent('dragover', { dataTransfer: transfer });
  await page.locator('#module-drop').dispatchEvent('drop', { dataTransfer: transfer });
  await page.getByText('Chosen: birthday_coupon.wasm').waitFor();
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByText('Uploaded birthday-coupon version 1').waitFor();

  // A second version, by the picker.
  await page.getByLabel('Component file').setInputFiles(env('HUASHU_WASM'));
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByText('Uploaded birthday-coupon version 2').waitFor();
  const card = page.locator('article[data-module="birthday-coupon"]');
  await card.getByText('New calls use the newest version (2).').waitFor();

  // Pin version 1.
  await card.getByLabel('Version new calls of birthday-coupon use').selectOption('1');
  await card.getByRole('button', { name: 'Pin' }).click();
  await card.getByText('Pinned to version 1.').waitFor();
  await card.locator('tr', { hasText: 'v1' }).getByText('active').waitFor();
});
