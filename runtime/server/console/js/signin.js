// The sign-in screen: a tenant API key or the operator token, checked against the server
// before it is kept (in session storage, never in the address).

import { api, session } from './api.js';
import { $, say } from './dom.js';
import { t } from './i18n.js';

let form;

export function mount() {
  form = $('#signin-form');
  for (const radio of form.elements.role) {
    radio.addEventListener('change', () => {
      const label = $('#signin-key-label');
      label.dataset.i18n = form.elements.role.value === 'operator' ? 'signin.token' : 'signin.key';
      label.textContent = t(label.dataset.i18n);
    });
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = form.elements.key.value.trim();
    const role = form.elements.role.value;
    const error = $('#signin-error');
    if (!key) {
      say(error, t(role === 'operator' ? 'signin.enter.token' : 'signin.enter.key'));
      form.elements.key.focus();
      return;
    }
    say(error, '');
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      // A cheap request that needs exactly this kind of key.
      await api(role === 'operator' ? '/v1/tenants?limit=1' : '/v1/modules', { key });
      session.signIn(key, role);
      form.reset();
      say($('#banner'), '');
      location.hash = role === 'operator' ? '#/operator' : '#/modules';
    } catch (failure) {
      say(
        error,
        failure.status === 401
          ? t(role === 'operator' ? 'signin.refused.token' : 'signin.refused.key', { message: failure.message })
          : t('signin.failed', { message: failure.message, hint: failure.hint }),
      );
      form.elements.key.focus();
    } finally {
      button.disabled = false;
    }
  });
}

export function show() {
  form.elements.key.focus();
}
