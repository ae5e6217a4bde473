// The sign-in screen: a tenant API key or the operator token, checked against the server
// before it is kept (in session storage, never in the address).

import { api, session } from './api.js';
import { $, say } from './dom.js';

let form;

export function mount() {
  form = $('#signin-form');
  for (const radio of form.elements.role) {
    radio.addEventListener('change', () => {
      $('#signin-key-label').textContent =
        form.elements.role.value === 'operator' ? 'Operator token' : 'API key';
    });
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = form.elements.key.value.trim();
    const role = form.elements.role.value;
    const error = $('#signin-error');
    if (!key) {
      say(error, role === 'operator' ? 'Enter the operator token.' : 'Enter your API key.');
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
      const who = role === 'operator' ? 'operator token' : 'API key';
      say(
        error,
        failure.status === 401
          ? `That ${who} was not accepted: ${failure.message}.`
          : `Could not sign in: ${failure.message} ${failure.hint}`,
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
