// A voice call: Chromium's microphone is a WAV file of someone saying "yes please"
// (made with eSpeak NG by tests/console.rs). The page streams it over the call WebSocket,
// plays the bot's audio, and its transcript shows what the server recognised and what
// the bot answered.
//
// Environment: HUASHU_URL, HUASHU_KEY, HUASHU_MIC_WAV, HUASHU_CODEC (the Voice settings
// choice: `auto` or `pcm16`), HUASHU_RECORDED (`yes` when the tenant records calls: the
// call's record then plays its audio); the module birthday-coupon is uploaded. Prints `call: c_…`,
// `codec: …` and `heard: …` for tests/console.rs.

import { env, open, run, screenshot, signIn } from './lib.mjs';

await run('voice-call', async () => {
  const { page } = await open({
    args: [
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      // `%noloop`: the reply is said once (looped, the silences between repetitions
      // carry the fake device's noise and the utterance never ends cleanly).
      `--use-file-for-fake-audio-capture=${env('HUASHU_MIC_WAV')}%noloop`,
      '--autoplay-policy=no-user-gesture-required',
    ],
    permissions: ['microphone'],
  });
  await signIn(page, env('HUASHU_KEY'));
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Test call' }).click();
  await page.locator('#call-module option[value="birthday-coupon"]').waitFor({ state: 'attached' });
  await page.getByLabel('Variable 1 name').fill('name');
  await page.getByLabel('Variable 1 value').fill('王芳');
  await page.getByText('Voice settings').click();
  await page.getByLabel('Audio on the call WebSocket').selectOption(env('HUASHU_CODEC'));
  await page.getByRole('button', { name: 'Start a voice call (microphone)' }).click();

  const status = page.locator('#call-status');
  await status.getByText('Call in progress (voice').waitFor();
  const codec = (await status.innerText()).match(/voice, ([^)]+)\)/)?.[1];
  console.log(`codec: ${codec}`);
  const transcript = page.locator('#transcript');
  await transcript.locator('li.bot', { hasText: '王芳您好' }).waitFor();
  // The greeting's audio arrives and the microphone's goes out.
  await page.waitForFunction(() => {
    const counters = document.querySelector('#audio-counters').dataset;
    return Number(counters.receivedMs) > 0 && Number(counters.sentMs) > 0;
  });
  await transcript.locator('li.customer:not(.partial)').first().waitFor();
  await transcript.locator('li.bot', { hasText: '稍后会通过短信发给您' }).waitFor();
  await page.locator('#call-outcome [data-final="yes"] [data-testid="intent"]', { hasText: 'A' }).waitFor();
  await status.getByText('The call has ended').waitFor();
  const heard = await transcript.locator('li.customer:not(.partial) .text').allInnerTexts();
  console.log(`heard: ${heard.join(' | ')}`);
  if (env('HUASHU_CODEC') === 'auto') await screenshot(page, 'voice-call');
  const href = await page.locator('#call-record-link a').getAttribute('href');
  console.log(`call: ${decodeURIComponent(href.replace('#/history/', ''))}`);

  if (env('HUASHU_RECORDED') === 'yes') {
    await page.getByRole('link', { name: 'Open this call’s record' }).click();
    await page.locator('#record-audio audio').waitFor();
    // The browser decoded the recording: its length is known.
    await page.waitForFunction(() => document.querySelector('#record-audio audio')?.duration > 1);
  }
});
