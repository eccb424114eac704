// The dashboard page: every call goes to the dashboard's own /api/, which signs it with the
// operator's AWS credentials and forwards it to the certificate API (server.ts); the page never
// holds a credential. The shapes below are the API's (lambdas/api/openapi.json). Everything shown
// is set as text, never as HTML: names, causes and CA messages are data.
import { API_PREFIX, PAGE_HEADER, SESSION_PATH, type Session } from './contract.js';
import { daysLeft, urgencyOf } from './urgency.js';

interface Certificate {
  readonly name: string;
  readonly domains: readonly string[];
  readonly state: string;
  readonly owner?: string;
  readonly keyType?: string;
  readonly ca?: string;
  readonly notAfter?: string;
  readonly renewAt?: string;
  readonly acmArns?: readonly string[];
  readonly chain?: string;
  readonly profile?: string;
  readonly renewalRule?: string;
  readonly lastError?: { readonly at: string; readonly code: string; readonly message: string };
  readonly history?: readonly { readonly at: string; readonly state: string; readonly cause: string }[];
}

interface Accepted {
  readonly name: string;
  readonly statusUrl: string;
  readonly taskArn?: string;
}

interface Problem {
  readonly title: string;
  readonly detail: string;
  readonly code?: string;
  readonly hint?: string;
  readonly status: number;
}

type Answer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: Problem };

/** Polling while something changes (an issuance running, an action just sent), and at rest. */
const BUSY_POLL_MS = 1500;
const IDLE_POLL_MS = 15_000;
/** How long after a button press the page keeps polling fast, even before the task has started. */
const WATCH_MS = 90_000;
const MOVING_STATES = new Set(['pending', 'issuing']);

let session: Session | undefined;
let selected: string | undefined;
let watchUntil = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function make<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const headers: Record<string, string> = { [PAGE_HEADER]: '1' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (error) {
    return { ok: false, problem: { title: 'The dashboard server is not answering', detail: String(error), hint: 'is `just dashboard` still running?', status: 0 } };
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return { ok: true, value: parsed as T };
  const problem = parsed as Partial<Problem> & { Message?: string };
  return {
    ok: false,
    problem: {
      title: problem?.title ?? `${response.status} ${response.statusText}`,
      detail: problem?.detail ?? problem?.Message ?? text,
      status: response.status,
      ...(problem?.code === undefined ? {} : { code: problem.code }),
      ...(problem?.hint === undefined ? {} : { hint: problem.hint }),
    },
  };
}

function notify(kind: 'ok' | 'error', message: string): void {
  const notice = element('notice');
  notice.textContent = message;
  notice.className = `notice-${kind}`;
  notice.hidden = false;
}

function problemText(action: string, problem: Problem): string {
  return `${action}: ${problem.title}${problem.code === undefined ? '' : ` (${problem.code})`}. ${problem.detail}${problem.hint === undefined ? '' : ` ${problem.hint}`}`;
}

/** A CA by the name CERTIFICATES knows it by, or its directory's host. */
function caName(url: string | undefined): string {
  if (url === undefined) return 'default';
  for (const [name, known] of Object.entries(session?.knownCas ?? {})) if (known === url) return name;
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function when(iso: string | undefined): string {
  if (iso === undefined) return '—';
  const at = new Date(iso);
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function relative(iso: string | undefined, now: Date): string {
  if (iso === undefined) return '';
  const minutes = Math.round((Date.parse(iso) - now.getTime()) / 60_000);
  const size = Math.abs(minutes);
  const amount = size < 120 ? `${size} min` : size < 48 * 60 ? `${Math.round(size / 60)} h` : `${Math.round(size / 1440)} d`;
  return minutes >= 0 ? `in ${amount}` : `${amount} ago`;
}

function stateBadge(state: string): HTMLSpanElement {
  return make('span', state, `state state-${state}`);
}

function daysCell(certificate: Certificate, now: Date): HTMLElement {
  const days = daysLeft(certificate, now);
  if (days === undefined) return make('span', '—', 'muted');
  const urgency = urgencyOf(certificate, now);
  const cell = make('span', urgency === 'expired' ? 'expired' : String(days), `days urgency-${urgency}`);
  cell.dataset.urgency = urgency;
  return cell;
}

function ownerName(owner: string | undefined): string {
  if (owner === undefined) return 'deployment';
  return owner.slice(owner.lastIndexOf(':') + 1);
}

function renderList(certificates: readonly Certificate[], now: Date): void {
  const body = element('certificates').querySelector('tbody')!;
  const rows = certificates.map((certificate) => {
    const row = make('tr');
    row.dataset.name = certificate.name;
    row.dataset.state = certificate.state;
    if (certificate.name === selected) row.classList.add('selected');
    const cell = (content: string | Node, className?: string) => {
      const td = make('td', undefined, className);
      td.append(content);
      row.append(td);
      return td;
    };
    cell(make('strong', certificate.name), 'name');
    cell(stateBadge(certificate.state), 'state-cell');
    cell(certificate.domains.join(', '), 'domains');
    cell(daysCell(certificate, now), 'days-left');
    const next = cell(when(certificate.renewAt), 'next-renewal');
    if (certificate.renewAt !== undefined) next.append(make('div', relative(certificate.renewAt, now), 'muted'));
    cell(caName(certificate.ca), 'ca');
    const acm = cell('', 'acm');
    for (const arn of certificate.acmArns ?? []) {
      // The region and the id's first characters; the whole ARN is the title and in the detail.
      const short = make('div', `${arn.split(':')[3] ?? ''} ${arn.slice(arn.lastIndexOf('/') + 1, arn.lastIndexOf('/') + 9)}…`, 'arn');
      short.title = arn;
      acm.append(short);
    }
    if ((certificate.acmArns ?? []).length === 0) acm.append(make('span', '—', 'muted'));
    cell(ownerName(certificate.owner), 'owner').title = certificate.owner ?? 'declared in CERTIFICATES: administrators only';
    row.addEventListener('click', () => {
      selected = certificate.name;
      void refresh();
    });
    return row;
  });
  body.replaceChildren(...rows);
  element('empty').hidden = certificates.length > 0;
}

function field(list: HTMLDListElement, label: string, value: string | Node): void {
  const dd = make('dd');
  dd.append(value);
  dd.dataset.field = label;
  list.append(make('dt', label), dd);
}

function renderDetail(certificate: Certificate | undefined, now: Date): void {
  const detail = element('detail');
  if (certificate === undefined) {
    detail.hidden = true;
    detail.replaceChildren();
    return;
  }
  detail.hidden = false;
  detail.dataset.name = certificate.name;
  const title = make('h2', certificate.name + ' ');
  title.append(stateBadge(certificate.state));
  const actions = make('div', undefined, 'actions');
  const renew = make('button', 'Renew now', 'primary');
  renew.type = 'button';
  renew.addEventListener('click', () => void act(renew, 'POST', `${API_PREFIX}/certificates/${encodeURIComponent(certificate.name)}/renew`, `Renewal of ${certificate.name}`));
  const remove = make('button', 'Delete', 'danger');
  remove.type = 'button';
  remove.addEventListener('click', () => {
    if (!confirm(`Delete ${certificate.name}? Its ACM copies, exports and live objects are deleted; the archive is kept.`)) return;
    void act(remove, 'DELETE', `${API_PREFIX}/certificates/${encodeURIComponent(certificate.name)}`, `Deletion of ${certificate.name}`);
  });
  const close = make('button', 'Close');
  close.type = 'button';
  close.addEventListener('click', () => {
    selected = undefined;
    void refresh();
  });
  actions.append(renew, remove, close);

  const facts = make('dl');
  field(facts, 'Names', certificate.domains.join(', '));
  field(facts, 'Days left', daysCell(certificate, now));
  field(facts, 'Not after', when(certificate.notAfter));
  field(facts, 'Next renewal', `${when(certificate.renewAt)}${certificate.renewalRule === undefined ? '' : ` (${certificate.renewalRule})`}`);
  field(facts, 'CA', certificate.ca ?? 'the issuer default');
  field(facts, 'Key type', certificate.keyType ?? 'default');
  if (certificate.profile !== undefined) field(facts, 'Profile', certificate.profile);
  field(facts, 'Owner', certificate.owner ?? 'the deployment (CERTIFICATES): administrators only');
  const arns = make('div');
  for (const arn of certificate.acmArns ?? []) arns.append(make('div', arn, 'arn'));
  field(facts, 'ACM', (certificate.acmArns ?? []).length === 0 ? '—' : arns);

  const parts: Node[] = [title, actions, facts];
  if (certificate.lastError !== undefined) {
    const box = make('div', undefined, 'last-error');
    box.append(make('strong', `Last error, ${when(certificate.lastError.at)}: `), `${certificate.lastError.code}: ${certificate.lastError.message}`);
    parts.push(box);
  }
  if ((certificate.history ?? []).length > 0) {
    parts.push(make('h3', 'History'));
    const table = make('table', undefined, 'history');
    const head = make('tr');
    head.append(make('th', 'When'), make('th', 'State'), make('th', 'Why'));
    table.append(head);
    for (const step of [...certificate.history!].reverse()) {
      const row = make('tr');
      const state = make('td');
      state.append(stateBadge(step.state));
      row.append(make('td', when(step.at)), state, make('td', step.cause));
      table.append(row);
    }
    parts.push(table);
  }
  if (certificate.chain !== undefined) {
    const chain = make('details');
    chain.append(make('summary', 'Certificate chain (PEM, public)'), make('pre', certificate.chain));
    const download = make('a', `Download ${certificate.name}-fullchain.pem`);
    download.href = URL.createObjectURL(new Blob([certificate.chain], { type: 'application/x-pem-file' }));
    download.download = `${certificate.name}-fullchain.pem`;
    chain.append(download);
    parts.push(chain);
  }
  detail.replaceChildren(...parts);
}

async function act(button: HTMLButtonElement, method: string, path: string, what: string): Promise<void> {
  button.disabled = true;
  const answer = await call<Accepted>(method, path);
  button.disabled = false;
  if (!answer.ok) return notify('error', problemText(what, answer.problem));
  notify('ok', `${what} accepted${answer.value.taskArn === undefined ? '' : `: issuer task ${answer.value.taskArn.slice(answer.value.taskArn.lastIndexOf('/') + 1)}`}.`);
  watchUntil = Date.now() + WATCH_MS;
  await refresh();
}

let refreshing: Promise<void> | undefined;

/** One refresh at a time; each schedules the next, fast while anything moves, whatever went wrong. */
function refresh(): Promise<void> {
  refreshing ??= (async () => {
    if (timer !== undefined) clearTimeout(timer);
    let moving = false;
    try {
      moving = await show();
    } catch (error) {
      notify('error', `The page failed to show the certificates: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      timer = setTimeout(() => void refresh(), moving || Date.now() < watchUntil ? BUSY_POLL_MS : IDLE_POLL_MS);
    }
  })().finally(() => (refreshing = undefined));
  return refreshing;
}

/** Reads the list (and the selected one) and shows them; true while any is being issued. */
async function show(): Promise<boolean> {
  const list = await call<{ readonly certificates: readonly Certificate[] }>('GET', `${API_PREFIX}/certificates`);
  const now = new Date();
  if (!list.ok) {
    notify('error', problemText('Listing the certificates', list.problem));
    return false;
  }
  const certificates = list.value.certificates;
  if (selected !== undefined && !certificates.some((certificate) => certificate.name === selected)) {
    notify('ok', `${selected} is gone.`);
    selected = undefined;
  }
  renderList(certificates, now);
  let detail: Certificate | undefined;
  if (selected !== undefined) {
    const one = await call<Certificate>('GET', `${API_PREFIX}/certificates/${encodeURIComponent(selected)}`);
    if (one.ok) detail = one.value;
    else if (one.problem.status !== 404) notify('error', problemText(`Reading ${selected}`, one.problem));
  }
  renderDetail(detail, now);
  element('refreshed').textContent = `updated ${now.toISOString().slice(11, 19)} UTC`;
  return certificates.some((certificate) => MOVING_STATES.has(certificate.state));
}

async function request(form: HTMLFormElement): Promise<void> {
  const data = new FormData(form);
  const text = (name: string) => {
    const value = data.get(name);
    return typeof value === 'string' ? value.trim() : '';
  };
  const body: Record<string, unknown> = {
    name: text('name'),
    domains: text('domains')
      .split(/[\s,]+/)
      .filter(Boolean),
  };
  for (const optional of ['keyType', 'ca', 'profile']) if (text(optional) !== '') body[optional] = text(optional);
  const button = form.querySelector('button')!;
  button.disabled = true;
  const answer = await call<Accepted>('POST', `${API_PREFIX}/certificates`, body);
  button.disabled = false;
  if (!answer.ok) return notify('error', problemText(`Request for ${text('name') || 'a certificate'}`, answer.problem));
  notify('ok', `Requested ${answer.value.name}: the issuer task is issuing it in the background.`);
  form.reset();
  selected = answer.value.name;
  watchUntil = Date.now() + WATCH_MS;
  await refresh();
}

async function start(): Promise<void> {
  const answer = await call<Session>('GET', SESSION_PATH);
  if (!answer.ok) {
    element('session').textContent = problemText('No session', answer.problem);
    return;
  }
  session = answer.value;
  element('session').textContent = `${session.apiUrl} · signed as ${session.signedAs}`;
  const keyType = element<HTMLSelectElement>('request-form').querySelector('select[name=keyType]') as HTMLSelectElement;
  const fallback = make('option', 'default');
  fallback.value = '';
  keyType.replaceChildren(fallback, ...session.keyTypes.map((type) => make('option', type)));
  element<HTMLFormElement>('request-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void request(event.currentTarget as HTMLFormElement);
  });
  await refresh();
}

document.addEventListener('DOMContentLoaded', () => void start());
