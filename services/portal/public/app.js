// The Citus IoT web UI: sign in, declare and list devices, follow a device's telemetry live.
// A plain ES module with no build step. The page's CSP forbids inline code, so every handler is
// bound here, and data only ever reaches the page as text nodes.

import { readEvents, sleep } from './event-stream.js';

const TOKEN_KEY = 'citus.token';
const MAX_READINGS = 50;
const RETRY_MS = 3000;
const VIEWS = ['login-view', 'devices-view', 'device-view'];

const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem(TOKEN_KEY);

let following = null; // AbortController of the open telemetry stream
let current = null; // the device shown in the detail view
const readings = new Map(); // `${topic}|${epoch}` -> telemetry item

/** A failed request: `status` is 0 when the server could not be reached. */
const apiError = (status, message, sessionExpired = false) => Object.assign(new Error(message), { status, sessionExpired });

/** An element with attributes (`testid` becomes `data-testid`) and children; strings become text. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name === 'testid' ? 'data-testid' : name, value);
  }
  node.append(...children);
  return node;
}

const show = (view) => VIEWS.forEach((id) => ($(id).hidden = id !== view));
const orDash = (value) => (value === undefined || value === null || value === '' ? '—' : String(value));
const formatTime = (epoch) => new Date(epoch).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const field = (form, name) => form.elements.namedItem(name).value.trim();

function showError(target, error) {
  target.textContent = error ? error.message : '';
  target.hidden = !error;
}

function emptyRow(columns, text) {
  return el('tr', { class: 'empty' }, el('td', { colspan: String(columns) }, text));
}

/** The message for an error envelope `{error: {code, message, requestId, details?}}`. */
function describeError(status, body) {
  const error = body && body.error;
  if (!error) return `The server answered ${status}: please try again.`;
  const issues = Array.isArray(error.details)
    ? error.details.map((issue) => `${(issue.path ?? []).join('.') || 'request'}: ${issue.message}`)
    : [];
  let text = [error.message, ...issues].join('; ');
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return status >= 500 ? `${text} (request id ${error.requestId})` : text;
}

async function failure(response) {
  const body = await response.json().catch(() => undefined);
  // A 401 with a token means the token is no longer good: back to the sign-in form.
  const expired = response.status === 401 && Boolean(token());
  if (expired) signOut('Your session has expired: please sign in again.');
  return apiError(response.status, describeError(response.status, body), expired);
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (token()) headers.authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw apiError(0, 'Cannot reach the server: check the connection and try again.');
  }
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? undefined : response.json();
}

function showLogin(message) {
  show('login-view');
  showError($('login-error'), message ? new Error(message) : null);
  $('login-form').elements.namedItem('username').focus();
}

async function startSession() {
  const me = await api('GET', '/me');
  $('user-name').textContent = me.user.username;
  $('session').hidden = false;
}

function signOut(message) {
  stopFollowing();
  sessionStorage.removeItem(TOKEN_KEY);
  current = null;
  ['page-error', 'declare-error', 'detail-error'].forEach((id) => showError($(id), null));
  $('session').hidden = true;
  hideActivation();
  $('device-rows').replaceChildren();
  window.history.replaceState(null, '', location.pathname);
  showLogin(message);
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const body = { username: field(form, 'username'), password: form.elements.namedItem('password').value };
  showError($('login-error'), null);
  const response = await api('POST', '/auth/token', body);
  sessionStorage.setItem(TOKEN_KEY, response.access_token);
  form.reset();
  await startSession();
  await route();
}

function deviceRow(device) {
  const cells = [
    el('a', { href: `#/devices/${encodeURIComponent(device.id)}`, testid: 'device-name' }, device.name),
    el('code', { testid: 'device-thing-name' }, device.thingName),
    orDash(device.type),
    orDash(device.location),
    el('span', { class: `badge status-${device.status}`, testid: 'device-status' }, device.status),
  ];
  return el('tr', { testid: 'device-row', 'data-device-id': device.id }, ...cells.map((cell) => el('td', {}, cell)));
}

async function loadDevices() {
  const { items } = await api('GET', '/devices');
  const rows = items.length > 0 ? items.map(deviceRow) : [emptyRow(5, 'No devices yet: declare one above.')];
  $('device-rows').replaceChildren(...rows);
}

async function onDeclare(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const body = { name: field(form, 'name') };
  for (const name of ['type', 'location']) if (field(form, name)) body[name] = field(form, name);
  showError($('declare-error'), null);
  const device = await api('POST', '/devices', body);
  form.reset();
  showActivation(device, device);
  await loadDevices();
}

/** The code is shown once, with the exact command that activates the device with it. */
function showActivation(device, { activationCode, activationExpiresAt }) {
  $('activation-device').textContent = device.name;
  $('activation-code').textContent = activationCode;
  $('activation-expires').textContent = formatTime(Date.parse(activationExpiresAt));
  $('activation-command').textContent =
    `npm run device -- activate --api ${location.origin} --device ${device.id} --code ${activationCode}`;
  $('copy-command').textContent = 'Copy command';
  $('activation-panel').dataset.deviceId = device.id;
  $('activation-panel').hidden = false;
  $('activation-panel').scrollIntoView({ block: 'nearest' });
}

function hideActivation() {
  $('activation-panel').hidden = true;
  $('activation-code').textContent = '';
  $('activation-command').textContent = '';
}

async function copyCommand() {
  try {
    await navigator.clipboard.writeText($('activation-command').textContent);
    $('copy-command').textContent = 'Copied';
  } catch {
    $('copy-command').textContent = 'Copy failed: select the text instead';
  }
}

function renderDevice(device) {
  current = device;
  $('detail-name').textContent = device.name;
  $('detail-status').textContent = device.status;
  $('detail-status').className = `badge status-${device.status}`;
  $('detail-thing-name').textContent = device.thingName;
  $('detail-type').textContent = orDash(device.type);
  $('detail-location').textContent = orDash(device.location);
  $('new-code').hidden = device.status === 'active';
  $('revoke').hidden = device.status !== 'active';
  // Once the device is active its code is spent: no use showing it any longer.
  if (device.status === 'active' && $('activation-panel').dataset.deviceId === device.id) hideActivation();
}

async function openDevice(id) {
  show('device-view');
  showError($('detail-error'), null);
  $('reading-rows').replaceChildren();
  const device = await api('GET', `/devices/${encodeURIComponent(id)}`);
  if (location.hash !== `#/devices/${encodeURIComponent(id)}`) return; // the user moved on meanwhile
  renderDevice(device);
  addReadings([]);
  void follow(device.thingName);
}

function readingRow({ epoch, payload, fresh }) {
  const cells = [formatTime(epoch), payload.value, payload.unit, payload.label, payload.temperature, payload.humidity];
  return el('tr', { testid: 'reading-row', class: fresh ? 'fresh' : '' }, ...cells.map((cell) => el('td', {}, orDash(cell))));
}

/** Merges items into the table, newest first; a resent message (same topic and epoch) shows once. */
function addReadings(items, fresh = false) {
  for (const item of items) readings.set(`${item.topic}|${item.epoch}`, { ...item, fresh });
  const latest = [...readings.entries()].sort(([, a], [, b]) => b.epoch - a.epoch).slice(0, MAX_READINGS);
  readings.clear();
  latest.forEach(([key, item]) => readings.set(key, item));
  const rows = latest.length > 0 ? latest.map(([, item]) => readingRow(item)) : [emptyRow(6, 'No readings yet: they appear here as the device sends them.')];
  $('reading-rows').replaceChildren(...rows);
  readings.forEach((item) => (item.fresh = false)); // highlight a new row once, not on every update
}

function setLive(state) {
  const text = { connecting: 'Connecting…', live: 'Live', retrying: 'Connection lost: reconnecting…', off: 'Not live' };
  $('live-status').textContent = text[state];
  $('live-status').className = `live live-${state}`;
}

function stopFollowing() {
  following?.abort();
  following = null;
  readings.clear();
}

/** Follows a thing's telemetry until stopped, reconnecting after network failures. */
async function follow(thingName) {
  stopFollowing();
  const controller = new AbortController();
  following = controller;
  while (!controller.signal.aborted) {
    setLive('connecting');
    try {
      await readStream(thingName, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return;
      if (error.status >= 400 && error.status < 500) {
        setLive('off');
        showError($('detail-error'), error);
        return;
      }
    }
    if (!controller.signal.aborted) setLive('retrying');
    await sleep(RETRY_MS, controller.signal);
  }
}

/** Opens the stream, loads the latest readings, then adds each stored message as it comes. */
async function readStream(thingName, signal) {
  const headers = { accept: 'text/event-stream', authorization: `Bearer ${token()}` };
  const response = await fetch(`/api/v1/telemetry/stream?${new URLSearchParams({ thingName })}`, { headers, signal });
  if (!response.ok) throw await failure(response);
  // The stream is open before the history is read, so no message can fall between the two.
  const history = await api('GET', `/telemetry?${new URLSearchParams({ thingName, order: 'desc', limit: '20' })}`);
  if (signal.aborted) return;
  addReadings(history.items);
  setLive('live');
  await readEvents(response, (event, data) => {
    if (event === 'telemetry') addReadings(JSON.parse(data), true);
  });
}

async function onNewCode() {
  showActivation(current, await api('POST', `/devices/${encodeURIComponent(current.id)}/activation-code`));
}

async function onRevoke() {
  if (!window.confirm(`Revoke ${current.name}? It is disconnected at once and needs a new activation code.`)) return;
  await api('POST', `/devices/${encodeURIComponent(current.id)}/revoke`);
  renderDevice(await api('GET', `/devices/${encodeURIComponent(current.id)}`));
}

async function route() {
  stopFollowing();
  showError($('page-error'), null);
  if (!token()) return showLogin();
  const match = location.hash.match(/^#\/devices\/([\w-]+)$/);
  if (match) return openDevice(decodeURIComponent(match[1]));
  show('devices-view');
  await loadDevices();
}

/** Runs a handler with its button disabled, showing a failure in `errorTarget`. */
function guarded(handler, errorTarget) {
  return async (event) => {
    const button = event?.submitter ?? (event?.currentTarget?.tagName === 'BUTTON' ? event.currentTarget : null);
    if (button) button.disabled = true;
    try {
      await handler(event);
    } catch (error) {
      if (!error.sessionExpired) showError(errorTarget, error); // else the sign-in form says so
    } finally {
      if (button) button.disabled = false;
    }
  };
}

$('login-form').addEventListener('submit', guarded(onLogin, $('login-error')));
$('declare-form').addEventListener('submit', guarded(onDeclare, $('declare-error')));
$('refresh-devices').addEventListener('click', guarded(loadDevices, $('page-error')));
$('new-code').addEventListener('click', guarded(onNewCode, $('detail-error')));
$('revoke').addEventListener('click', guarded(onRevoke, $('detail-error')));
$('copy-command').addEventListener('click', copyCommand);
$('activation-done').addEventListener('click', hideActivation);
$('sign-out').addEventListener('click', () => signOut());
window.addEventListener('hashchange', guarded(route, $('page-error')));
void guarded(async () => {
  if (token()) await startSession();
  await route();
}, $('page-error'))();
