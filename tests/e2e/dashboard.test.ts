// `just dashboard` against the local stack, driven in a real headless Chromium (Debian's, through
// playwright-core): the page requests a certificate through the local function URL (SigV4 signed
// by the dashboard with the operator's keys, moto enforcing IAM), watches the issuer task the API
// started run through the local task runner, and shows the certificate active with its ACM ARN,
// days left and history; renew and delete work from the page; a bad request shows the API's
// problem. A screenshot of the page is kept in LOCAL_STATE_DIR/artefacts (the repository's
// .local/artefacts/dashboard.png). The dashboard refuses what is not its page.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/aws.js';
import { freePort, repoRoot, startLocalStack, type LocalStack } from '../support/local-stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** The flags a closed network needs: without the background ones Chromium keeps dialling Google. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTEFACTS = join(repoRoot, '.local', 'artefacts');

let stack: LocalStack;
let dashboard: ChildProcess;
let dashboardUrl: string;
let dashboardLog = '';
let browser: Browser;
let page: Page;

beforeAll(async () => {
  stack = await startLocalStack({ name: 'dashboard' });
  const port = await freePort();
  dashboard = spawn('npx', ['just', 'dashboard'], { cwd: repoRoot, env: { ...stack.env, DASHBOARD_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  dashboard.stdout!.on('data', (chunk: Buffer) => (dashboardLog += chunk.toString()));
  dashboardUrl = await new Promise<string>((resolve, reject) => {
    dashboard.stderr!.on('data', (chunk: Buffer) => {
      dashboardLog += chunk.toString();
      const url = /dashboard on (http:\/\/127\.0\.0\.1:\d+)/.exec(dashboardLog)?.[1];
      if (url !== undefined) resolve(url);
    });
    dashboard.once('exit', (code) => reject(new Error(`just dashboard exited ${code}:\n${dashboardLog}`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (dialog) => void dialog.accept());
  page.on('pageerror', (error) => (dashboardLog += `\n[page error] ${error.message}`));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  dashboard?.kill('SIGTERM');
  await stack?.stop();
});

const row = (name: string) => page.locator(`tr[data-name="${name}"]`);

/** The states the row shows, each once in order, until `last` or the time is up. */
async function watchRow(name: string, last: string, timeoutMs: number): Promise<string[]> {
  const seen: string[] = [];
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && seen.at(-1) !== last) {
    // One read of the DOM: the row may go between two locator calls.
    const state = await page.$$eval('tr[data-name]', (rows, wanted) => rows.find((found) => found.getAttribute('data-name') === wanted)?.getAttribute('data-state') ?? 'absent', name);
    if (seen.at(-1) !== state) seen.push(state);
    if (seen.at(-1) !== last) await page.waitForTimeout(200);
  }
  return seen;
}

describe('the dashboard in headless Chromium', () => {
  it('requests a certificate, watches it issue and shows it active with its ACM ARN, days left and history; renews and deletes it', async () => {
    await page.goto(dashboardUrl);
    await expect.poll(() => page.locator('#session').textContent(), { timeout: 30_000 }).toMatch(/signed as arn:aws:iam::\d{12}:user\/local-admin/);
    await page.fill('input[name=name]', 'web');
    await page.fill('input[name=domains]', 'web.example.com www.web.example.com');
    await page.selectOption('select[name=keyType]', 'ec-p256');
    // Every state the page renders for the row, as it renders it (the page's DOM, not our polls).
    await page.evaluate(`(() => {
      window.renderedStates = [];
      const note = () => {
        const row = document.querySelector('tr[data-name="web"]');
        const state = row === null ? 'absent' : row.getAttribute('data-state');
        if (window.renderedStates.at(-1) !== state) window.renderedStates.push(state);
      };
      note();
      new MutationObserver(note).observe(document.querySelector('#certificates tbody'), { childList: true, subtree: true, attributes: true });
    })()`);
    await page.click('form#request-form button[type=submit]');
    await expect.poll(() => page.locator('#notice').textContent(), { timeout: 30_000 }).toContain('Requested web');

    // Nobody runs the CLI: the page polls while the task the API started issues it.
    const states = await watchRow('web', 'active', 240_000);
    expect(states.at(-1), `${states.join(' → ')}\n${dashboardLog}`).toBe('active');
    // The page showed it before it was active (pending: declared, issuing: the task at work), and updated by itself.
    const rendered = await page.evaluate<string[]>('window.renderedStates');
    expect(rendered[0]).toBe('absent');
    expect(rendered.slice(1, -1).length, rendered.join(' → ')).toBeGreaterThan(0);
    expect(
      rendered.slice(1, -1).every((state) => state === 'pending' || state === 'issuing'),
      rendered.join(' → '),
    ).toBe(true);
    expect(rendered.at(-1)).toBe('active');
    const record = JSON.parse((await clientsFor(stack).read('renewal/web.json'))!) as { serial: string; acm: { certificateArn: string }[] };
    const arn = record.acm[0]!.certificateArn;
    expect(arn).toMatch(/^arn:aws:acm:/);

    // The list: names, days left coloured by urgency (a fresh certificate is green), CA, ACM.
    await expect.poll(() => row('web').locator('.domains').textContent()).toBe('web.example.com, www.web.example.com');
    expect(await row('web').locator('.days').getAttribute('data-urgency')).toBe('ok');
    expect(Number(await row('web').locator('.days').textContent())).toBeGreaterThan(0);
    expect(await row('web').locator('.arn').first().getAttribute('title')).toBe(arn);
    expect(await row('web').locator('.ca').textContent()).toBe(new URL(stack.env.ACME_DIRECTORY!).host);
    expect(await row('web').locator('.owner').textContent()).toBe('user/local-admin');

    // The detail (opened by the request): the ARN in full, the history, the public chain only.
    const detail = page.locator('#detail[data-name="web"]');
    await expect.poll(() => detail.locator('dd[data-field="ACM"]').textContent()).toContain(arn);
    expect(await detail.locator('table.history').textContent()).toContain('active');
    expect(await detail.locator('details pre').textContent()).toContain('-----BEGIN CERTIFICATE-----');
    expect(await page.content()).not.toContain('PRIVATE KEY');
    mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTEFACTS, 'dashboard.png'), fullPage: true });

    // Renew now: a new certificate (a new serial in the record), active again.
    await detail.locator('button', { hasText: 'Renew now' }).click();
    await expect.poll(() => page.locator('#notice').textContent(), { timeout: 30_000 }).toContain('Renewal of web accepted');
    await expect.poll(async () => (JSON.parse((await clientsFor(stack).read('renewal/web.json'))!) as { serial: string }).serial, { timeout: 240_000, interval: 500 }).not.toBe(record.serial);
    expect((await watchRow('web', 'active', 60_000)).at(-1)).toBe('active');
    await page.screenshot({ path: join(ARTEFACTS, 'dashboard-renewed.png'), fullPage: true });

    // Delete (the confirm dialog accepted): the row goes, and so does the record.
    await page.locator('#detail[data-name="web"] button', { hasText: 'Delete' }).click();
    expect((await watchRow('web', 'absent', 240_000)).at(-1)).toBe('absent');
    await expect.poll(() => clientsFor(stack).read('renewal/web.json'), { timeout: 240_000, interval: 500 }).toBeUndefined();
    expect(await clientsFor(stack).read('declared/web.json')).toBeUndefined();
  }, 600_000);

  it("shows the API's problem for a bad request, and writes nothing", async () => {
    await page.goto(dashboardUrl);
    await page.fill('input[name=name]', 'Not A Name');
    await page.fill('input[name=domains]', 'bad.example.com');
    await page.click('form#request-form button[type=submit]');
    await expect.poll(() => page.locator('#notice.notice-error').textContent(), { timeout: 30_000 }).toContain('ERR_BAD_INPUT');
    expect(await page.locator('#notice').textContent()).toContain('name');
    expect(await page.locator('tr[data-name]').count()).toBe(0);
    await page.screenshot({ path: join(ARTEFACTS, 'dashboard-problem.png'), fullPage: true });
  }, 60_000);

  it('answers only its page: another Host, another Origin or a call without the page header is refused; the page holds no credential', async () => {
    const { port } = new URL(dashboardUrl);
    const get = (path: string, headers: Record<string, string>) => fetchRaw(Number(port), path, headers);
    expect((await get('/api/certificates', { 'x-dashboard': '1' })).status).toBe(200);
    expect((await get('/api/certificates', {})).status).toBe(403);
    expect((await get('/api/certificates', { 'x-dashboard': '1', origin: 'http://evil.example' })).status).toBe(403);
    expect((await get('/api/certificates', { 'x-dashboard': '1', host: `evil.example:${port}` })).status).toBe(421);
    expect((await get('/', { host: `evil.example:${port}` })).status).toBe(421);
    for (const asset of ['/', '/app.js', '/style.css', '/dashboard/session']) {
      const answer = await get(asset, { 'x-dashboard': '1' });
      expect(answer.status, asset).toBe(200);
      expect(answer.body, asset).not.toContain(stack.env.AWS_SECRET_ACCESS_KEY!);
      expect(answer.headers['content-security-policy'], asset).toContain("script-src 'self'");
    }
  });
});

/** A request with the Host header given (fetch would set its own). */
async function fetchRaw(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body, headers: response.headers }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
