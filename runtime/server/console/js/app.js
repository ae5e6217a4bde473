// The console's entry point: which screen shows for which address (`#/modules`,
// `#/call`, `#/history/c_…`…), who is signed in, the navigation and the language switch.
// Each screen is a module with `mount(section)` (once) and `show(params)` (every time it
// is opened, and again after the language changes, to redraw what its scripts wrote).

import { session, onUnauthorized } from './api.js';
import { $, say } from './dom.js';
import { language, onLanguageChange, setLanguage, t, translate } from './i18n.js';
import * as signin from './signin.js';
import * as modules from './modules.js';
import * as prompts from './prompts.js';
import * as testcall from './testcall.js';
import * as history from './history.js';
import * as campaigns from './campaigns.js';
import * as campaign from './campaign.js';
import * as operator from './operator.js';

/** Screens by the first part of the address, with who may see them. */
const screens = {
  signin: { module: signin, role: null },
  modules: { module: modules, role: 'tenant' },
  prompts: { module: prompts, role: 'tenant' },
  call: { module: testcall, role: 'tenant' },
  campaigns: { module: campaigns, role: 'tenant' },
  campaign: { module: campaign, role: 'tenant' },
  history: { module: history, role: 'tenant' },
  record: { module: history.record, role: 'tenant' },
  operator: { module: operator, role: 'operator' },
};

const mounted = new Set();

function home() {
  return session.role === 'operator' ? '#/operator' : '#/modules';
}

/** `#/history/c_1?module=x` → { name: 'record', id: 'c_1', query: URLSearchParams }. */
function parse(hash) {
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let name = parts[0] ?? '';
  if (name === 'history' && parts[1]) name = 'record';
  if (name === 'campaigns' && parts[1]) name = 'campaign';
  return { name, id: parts[1] ?? null, query: new URLSearchParams(search) };
}

function route() {
  const params = parse(location.hash);
  const role = session.key ? session.role : null;
  let screen = screens[params.name];
  if (!role) {
    if (params.name !== 'signin') {
      location.replace('#/signin');
      return;
    }
  } else if (!screen || screen.role !== role) {
    location.replace(home());
    return;
  }
  screen = screens[params.name];
  const leaving = document.querySelector('.screen:not([hidden])');
  for (const section of document.querySelectorAll('.screen')) {
    section.hidden = section.id !== `screen-${params.name}`;
  }
  const section = $(`#screen-${params.name}`);
  if (!mounted.has(params.name)) {
    screen.module.mount(section);
    mounted.add(params.name);
  }
  updateChrome(params.name, role);
  screen.module.show(params);
  if (leaving && leaving !== section) $('#main').focus({ preventScroll: true });
  if (params.name !== 'campaign') campaign.stop();
}

function updateChrome(name, role) {
  $('#nav').hidden = !role;
  $('#who').hidden = !role;
  for (const li of document.querySelectorAll('#nav li')) li.hidden = li.dataset.role !== role;
  const current = { record: 'history', campaign: 'campaigns' }[name] ?? name;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === `#/${current}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const key = session.key ?? '';
  $('#who-label').textContent =
    role === 'operator' ? t('who.operator') : role ? t('who.tenant', { key: `${key.slice(0, 7)}…` }) : '';
}

$('#sign-out').addEventListener('click', () => {
  testcall.hangUpIfLive();
  session.signOut();
  say($('#banner'), '');
  location.hash = '#/signin';
});

onUnauthorized((error) => {
  say($('#banner'), t('banner.refused', { message: error.message }));
});

$('#lang-switch').addEventListener('click', () => setLanguage(language() === 'zh' ? 'en' : 'zh'));
onLanguageChange(() => {
  // The banner's sentence is the page's; sign-in again clears it anyway.
  say($('#banner'), '');
  route();
});

translate();
window.addEventListener('hashchange', route);
route();
