// The modules screen: upload a component (file picker or drag and drop), see every module
// with its versions and which one new calls use, pin a version.

import { api, ApiError, seg } from './api.js';
import { $, h, fill, problem, when, bytes, dropZone } from './dom.js';
import { t } from './i18n.js';

let list;
let result;

/** `birthday_coupon.wasm` → `birthday-coupon` (cargo turns `-` into `_` in file names). */
function nameFromFile(file) {
  return file.name.replace(/\.wasm$/i, '').replace(/_/g, '-').replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
}

export function mount() {
  list = $('#module-list');
  result = $('#upload-result');
  const form = $('#upload-form');
  const input = $('#module-file');
  const name = $('#module-name');
  dropZone($('#module-drop'), input, (file) => {
    if (!name.value.trim()) name.value = nameFromFile(file);
    fill(result, h('p', { class: 'hint' }, t('modules.chosen', { name: file.name, size: bytes(file.size) })));
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = input.files?.[0];
    const moduleName = name.value.trim();
    if (!file) {
      fill(result, problem(t('modules.choose')));
      input.focus();
      return;
    }
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(moduleName)) {
      fill(result, problem(t('modules.badname')));
      name.focus();
      return;
    }
    const button = $('#upload-button');
    button.disabled = true;
    fill(result, h('p', { role: 'status' }, t('modules.uploading', { name: file.name })));
    try {
      let version = await api(`/v1/modules/${seg(moduleName)}`, {
        method: 'PUT',
        body: await file.arrayBuffer(),
      });
      // 202 (the server's default: it answers at once): the compile goes on, the page says
      // so, and the upload's status says how it ended.
      if (version.state === 'compiling') {
        fill(result, h('p', { role: 'status' }, t('modules.compiling', { name: file.name })));
        version = await uploadOutcome(moduleName, version.upload_id);
      }
      fill(
        result,
        h('p', { class: 'success', role: 'status' }, t('modules.uploaded', { name: version.name, version: version.version, size: bytes(version.size_bytes) })),
      );
      form.reset();
      await refresh();
    } catch (error) {
      fill(result, problem(t('refused.file', { name: file.name }), error));
    } finally {
      button.disabled = false;
    }
  });
}

export function show() {
  refresh();
}

/** Polls an upload that answered 202 until it is stored (its version) or refused (thrown). */
async function uploadOutcome(moduleName, uploadId) {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const upload = await api(`/v1/modules/${seg(moduleName)}/uploads/${seg(uploadId)}`);
    if (upload.state === 'ready') return upload.version;
    if (upload.state === 'failed') {
      throw new ApiError(upload.error.status, upload.error.code, upload.error.message);
    }
  }
}

/** The version new calls use: the pinned one, else the newest. */
export function activeVersion(module) {
  if (module.pinned !== null && module.pinned !== undefined) return module.pinned;
  return Math.max(0, ...module.versions.map((v) => v.version));
}

async function refresh() {
  let modules;
  try {
    modules = await api('/v1/modules');
  } catch (error) {
    fill(list, problem(t('modules.loadfailed'), error));
    return;
  }
  if (!modules.length) {
    fill(list, h('p', { class: 'hint' }, t('modules.none')));
    return;
  }
  fill(list, ...modules.map(moduleCard));
}

function moduleCard(module) {
  const active = activeVersion(module);
  const titleId = `module-${module.name}`;
  const rows = [...module.versions]
    .sort((a, b) => b.version - a.version)
    .map((v) =>
      h(
        'tr',
        {},
        h('td', { class: 'num' }, `v${v.version} `, v.version === active ? h('span', { class: 'pill active' }, t('modules.active')) : null),
        h('td', {}, when(v.created_at_ms)),
        h('td', { class: 'num' }, bytes(v.size_bytes)),
        h('td', {}, h('code', { title: v.digest }, v.digest.slice(0, 12))),
      ),
    );
  const pin = h('select', { id: `pin-${module.name}`, 'aria-label': t('modules.pin.label', { name: module.name }) },
    h('option', { value: '' }, t('modules.newest')),
    ...module.versions.map((v) => h('option', { value: v.version }, t('version.n', { n: v.version }))),
  );
  pin.value = module.pinned ?? '';
  const message = h('div', { 'aria-live': 'polite' });
  const pinButton = h('button', {
    type: 'button',
    onclick: async () => {
      pinButton.disabled = true;
      try {
        const version = pin.value === '' ? null : Number(pin.value);
        await api(`/v1/modules/${seg(module.name)}/active`, { method: 'PUT', json: { version } });
        await refresh();
        $(`#pin-${CSS.escape(module.name)}`)?.focus();
      } catch (error) {
        fill(message, problem(t('modules.pinfailed'), error));
        pinButton.disabled = false;
      }
    },
  }, t('modules.pin'));
  return h(
    'article',
    { class: 'card module', 'aria-labelledby': titleId, 'data-module': module.name },
    h('h3', { id: titleId }, module.name),
    h('p', { class: 'hint' },
      module.pinned ? t('modules.pinned', { n: module.pinned }) : t('modules.usesnewest', { n: active }),
      ' ',
      h('a', { href: `#/call?module=${encodeURIComponent(module.name)}` }, t('nav.call')),
    ),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('version')), h('th', { scope: 'col' }, t('uploaded')), h('th', { scope: 'col' }, t('size')), h('th', { scope: 'col' }, 'SHA-256'))),
      h('tbody', {}, rows),
    ),
    h('div', { class: 'inline actions' }, pin, pinButton),
    message,
  );
}
