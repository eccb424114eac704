// Renders a results document as the table printed by `just bench`, refreshes the table in
// docs/performance.md (between the bench:results markers) and writes bench/results/chart.svg.
// Run alone (`just bench-report`) it re-renders from bench/results/latest.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './lib/stack.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- results of every past schema version are read as untyped JSON */
type Doc = Record<string, any>;

const s = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '—');
const mib = (kb: number) => (kb > 0 ? (kb / 1024).toFixed(0) : '—');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

function ratioText(ours: number, peer: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(peer) || ours <= 0) return '—';
  const r = ours / peer;
  return r <= 1 ? `${r.toFixed(2)} (${(peer / ours).toFixed(1)}x faster)` : `${r.toFixed(2)} (${r.toFixed(1)}x slower)`;
}

/** A part this run did not measure comes from an earlier run's latest.json (bench/run.ts): say which. */
function carried(part: Doc): string[] {
  return part.carriedOverFrom ? [`Measured in the run of ${part.carriedOverFrom} (this run did not run this part).`, ''] : [];
}

function issuanceTables(doc: Doc): string[] {
  const out: string[] = [];
  const issuance = doc.issuance;
  if (!issuance) return out;
  out.push('### Issuance: whole processes, CLI start to certificate stored (wall time, seconds)', '', ...carried(issuance));
  out.push(`Ours for the 20-certificate case: ${issuance.oursRenew ? 'one `renew` run reconciling CERTIFICATES' : '20 `issue` processes one after another (no `renew` command was available)'}.`, '');
  // One ratio column per way of running ours: the image (the targets), the same bundle on this
  // machine's Node 20 (older runs have no such row), and the tsx development entry.
  const oursIds = ['ours', 'ours-node20', 'ours-tsx'];
  out.push('| case | tool | how | rounds ok | median | IQR | min–max | max RSS MiB | ours/tool (image: Node 22) | ours/tool (bundle on Node 20) | ours/tool (tsx) |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of issuance.cases) {
    if (c.carriedOverFrom) out.push(`| ${c.title} | (measured in the run of ${c.carriedOverFrom}) | | | | | | | | | |`);
    const oursRows = oursIds.map((id) => c.tools.find((t: any) => t.tool === id));
    for (const t of c.tools) {
      const okCount = t.samples.filter((x: any) => x.ok).length;
      const ratios = oursRows.map((o) => (t.ours ? '' : ratioText(o?.wall.median, t.wall.median)));
      out.push(`| ${c.title} | ${t.tool} | ${t.mode} | ${okCount}/${t.samples.length} | ${s(t.wall.median)} | ${s(t.wall.iqr)} | ${s(t.wall.min)}–${s(t.wall.max)} | ${mib(t.maxRssKb)} | ${ratios.join(' | ')} |`);
    }
  }
  out.push('');
  out.push('Targets (ours = the image: the bundle on Node 22 with its compile cache):', '');
  const target = (caseId: string, peer: string, times: number) => {
    const c = issuance.cases.find((x: any) => x.id === caseId);
    const o = c?.tools.find((t: any) => t.tool === 'ours')?.wall.median;
    const p = c?.tools.find((t: any) => t.tool === peer)?.wall.median;
    if (!Number.isFinite(o) || !Number.isFinite(p)) return `- ${c?.title ?? caseId} vs ${peer}: not measured`;
    const speedup = p / o;
    const how = speedup >= 1 ? `${speedup.toFixed(1)}x faster` : `${(1 / speedup).toFixed(1)}x slower`;
    return `- ${c.title} vs ${peer}: ${how} (target ≥ ${times}x faster): **${speedup >= times ? 'met' : 'missed'}**`;
  };
  for (const caseId of ['one-name', 'fifty-names', 'twenty-certs']) {
    out.push(target(caseId, 'certbot', 5), target(caseId, 'lego', 10));
  }
  out.push('');
  return out;
}

function responderTables(doc: Doc): string[] {
  const r = doc.responder;
  if (!r) return [];
  const out = ['### Responder', '', ...carried(r)];
  out.push('| measure | value |', '|---|---|');
  if (r.inProcess) {
    out.push(`| baseHandler, warm cache, in process | ${r.inProcess.baseHandlerNs.median.toFixed(0)} ns/request (median of ${r.inProcess.baseHandlerNs.n} runs of ${r.inProcess.iterations} requests) |`);
    out.push(`| handler (middy), warm cache, in process | ${r.inProcess.middyNs.median.toFixed(0)} ns/request |`);
  }
  if (r.bundle) {
    out.push(`| Lambda bundle (esbuild, minified, as the CDK builds it) | ${(r.bundle.bytes / 1024).toFixed(0)} KiB, ${(r.bundle.gzipBytes / 1024).toFixed(0)} KiB gzipped |`);
  }
  if (r.coldInit) {
    out.push(`| cold init: import of the bundle | ${r.coldInit.importMs.median.toFixed(0)} ms median (${r.coldInit.importMs.min.toFixed(0)}–${r.coldInit.importMs.max.toFixed(0)}) |`);
    out.push(
      `| cold init: import to first answer (reads account/jwk.json from moto) | ${r.coldInit.firstAnswerMs.median.toFixed(0)} ms median (${r.coldInit.firstAnswerMs.min.toFixed(0)}–${r.coldInit.firstAnswerMs.max.toFixed(0)}) |`,
    );
    out.push(`| cold init: whole process, spawn to exit | ${r.coldInit.processMs.median.toFixed(0)} ms median |`);
  }
  const lambda = r.lambdaColdStart;
  if (lambda?.skipped) out.push('', `Cold start under the Lambda runtime: not measured (${lambda.skipped}).`);
  else if (lambda?.rows) {
    const ms = (x: any) => `${x.median.toFixed(0)} (${x.min.toFixed(0)}–${x.max.toFixed(0)})`;
    out.push('', `Cold start to first answer under the real Lambda runtime (${lambda.runtime}), ${lambda.rounds} rounds each in a seeded order, every round a new execution environment:`, '');
    out.push('| function | cold start to first answer ms | first invocation Duration ms (REPORT; init included under the emulator) | warm invocation, to answer ms |', '|---|---|---|---|');
    for (const row of lambda.rows) {
      const label = row.id === 'responder' ? 'the responder (bundle, template settings, reads account/jwk.json)' : 'minimal handler, same runtime (bench/minimal-handler.mjs)';
      out.push(`| ${label} | ${ms(row.firstAnswerMs)} | ${ms(row.firstDurationMs)} | ${row.warmAnswerMs.median.toFixed(1)} |`);
    }
    const ours = lambda.rows.find((x: any) => x.id === 'responder');
    const minimal = lambda.rows.find((x: any) => x.id === 'minimal');
    if (ours && minimal) {
      out.push(
        '',
        `responder/minimal, cold start to first answer: ${(ours.firstAnswerMs.median / minimal.firstAnswerMs.median).toFixed(2)}x; first invocation Duration: ${(ours.firstDurationMs.median / minimal.firstDurationMs.median).toFixed(2)}x`,
      );
    }
  }
  out.push('');
  return out;
}

function sweepTables(doc: Doc): string[] {
  const sw = doc.sweep;
  if (!sw) return [];
  const out = ['### Renewal sweep with nothing due', '', ...carried(sw)];
  if (sw.skipped) return [...out, `Not run: ${sw.skipped}`, ''];
  out.push('| certificates | S3 requests | wall s (median) | min–max | max RSS MiB | state generation s |', '|---|---|---|---|---|---|');
  for (const row of sw.rows) {
    out.push(`| ${row.n} | ${row.s3Requests} | ${s(row.wall.median)} | ${s(row.wall.min)}–${s(row.wall.max)} | ${mib(row.maxRssKb)} | ${s(row.generateMs)} |`);
  }
  const big = sw.rows.find((x: any) => x.n === 10_000);
  if (big) out.push('', `10,000 certificates, nothing due: ${big.s3Requests} S3 requests (target < 20): **${big.s3Requests < 20 ? 'met' : 'missed'}**`);
  out.push('');
  return out;
}

/** `declarations`: renew with N declarations in S3 and nothing due, beside 10 in the same run (bench/declarations.ts). */
function declarationsTables(doc: Doc): string[] {
  const d = doc.declarations;
  if (!d) return [];
  const out = ['### The declared set in S3, nothing due', '', ...carried(d)];
  out.push('| declarations | S3 requests | wall s (median) | min–max | max RSS MiB | summary KiB | seeding s |', '|---|---|---|---|---|---|---|');
  for (const row of d.rows) {
    out.push(`| ${row.n} | ${row.s3Requests} | ${s(row.wall.median)} | ${s(row.wall.min)}–${s(row.wall.max)} | ${mib(row.maxRssKb)} | ${(row.summaryBytes / 1024).toFixed(0)} | ${s(row.seedMs)} |`);
  }
  const [small, big] = [d.rows[0], d.rows[d.rows.length - 1]];
  if (small && big && d.rows.length > 1) out.push('', `${big.n} declarations vs ${small.n}, S3 requests: ratio ${Number(d.ratio).toFixed(2)} (O(1) when ~1): **${d.ratio <= 1.5 ? 'met' : 'missed'}**`);
  out.push('');
  return out;
}

/** `protocol`: CA requests and sequential round trips per tool, loopback beside latency (bench/protocol.ts). */
function protocolTables(doc: Doc): string[] {
  const protocol = doc.protocol;
  if (!protocol) return [];
  const out = ['### ACME protocol cost (CA requests through the counting proxy)', '', ...carried(protocol)];
  out.push(`RFC 8555 floor for one name (directory cached, a nonce in hand): ${protocol.floorOneName} requests, ${protocol.floorOneName} sequential round trips.`, '');
  const byCase = new Map<string, Doc>(protocol.cases.map((c: Doc) => [c.id, c]));
  const loopback = byCase.get('loopback');
  const latency = byCase.get('latency');
  const names = [...new Set<number>(protocol.cases.flatMap((c: Doc) => c.runs.map((r: Doc) => r.names)))].sort((a, b) => a - b);
  const columns = [loopback, latency].filter((c): c is Doc => c !== undefined);
  const cell = (c: Doc, tool: string, n: number) => c.runs.find((r: Doc) => r.tool === tool && r.names === n);
  const ratio = (ours: number | undefined, peer: number | undefined) => (ours && peer ? `${(peer / ours).toFixed(2)}x` : '—');
  for (const n of names) {
    out.push(`**${n} name${n === 1 ? '' : 's'}** (requests / sequential round trips / wall s; peer ÷ ours in brackets)`, '');
    out.push(`| tool | ${columns.map((c) => c.title).join(' | ')} |`, `|---|${columns.map(() => '---|').join('')}`);
    const tools = [...new Set<string>(columns.flatMap((c) => c.runs.map((r: Doc) => r.tool)))];
    for (const tool of tools) {
      const cells = columns.map((c) => {
        const r = cell(c, tool, n);
        if (!r) return '—';
        if (!r.ok) return 'failed';
        const ours = c.runs.find((x: Doc) => x.ours && x.names === n && x.ok);
        const vs = r.ours || !ours ? '' : ` (${ratio(ours.cost.requests, r.cost.requests)} / ${ratio(ours.cost.sequentialRoundTrips, r.cost.sequentialRoundTrips)} / ${ratio(ours.wallMs, r.wallMs)})`;
        return `${r.cost.requests} / ${r.cost.sequentialRoundTrips} / ${s(r.wallMs)}${vs}`;
      });
      out.push(`| ${tool} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  out.push('Requests by kind (loopback):', '');
  for (const r of loopback?.runs ?? []) {
    out.push(
      `- ${r.tool}, ${r.names} name${r.names === 1 ? '' : 's'}: ${Object.entries(r.cost.byKind)
        .map(([k, x]) => `${k} ${String(x)}`)
        .join(', ')}`,
    );
  }
  out.push('');
  return out;
}

export function tables(doc: Doc): string {
  const m = doc.machine ?? {};
  const v = doc.versions ?? {};
  const lines = [
    `Run ${doc.startedAt} → ${doc.finishedAt} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.os}, kernel ${m.kernel}; load average at start ${m.loadAverageAtStart?.join(' ')}.`,
    '',
    `Versions: ${Object.entries(v)
      .map(([k, x]) => `${k} ${String(x).replace(/\n/g, ' ')}`)
      .join('; ')}.`,
    '',
    `Settings: ${Object.entries(doc.settings ?? {})
      .map(([k, x]) => `${k}=${Array.isArray(x) ? x.join(',') : String(x)}`)
      .join('; ')}.`,
    '',
    ...issuanceTables(doc),
    ...responderTables(doc),
    ...sweepTables(doc),
    ...protocolTables(doc),
    ...declarationsTables(doc),
  ];
  return `${lines.join('\n')}\n`;
}

// ------------------------------------------------------------------ chart
interface Bar {
  label: string;
  value: number;
  text: string;
  ours: boolean;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function chart(doc: Doc): string {
  const panels: { title: string; bars: Bar[] }[] = [];
  for (const c of doc.issuance?.cases ?? []) {
    panels.push({
      title: `${c.title}: median wall time (s), shorter is better`,
      bars: c.tools.map((t: any) => ({ label: t.tool, value: t.wall.median / 1000, text: `${(t.wall.median / 1000).toFixed(2)} s`, ours: t.ours })),
    });
  }
  if (doc.responder?.lambdaColdStart?.rows) {
    panels.push({
      title: 'Cold start to first answer under the Lambda runtime (ms), shorter is better',
      bars: doc.responder.lambdaColdStart.rows.map((x: any) => ({ label: x.id, value: x.firstAnswerMs.median, text: `${x.firstAnswerMs.median.toFixed(0)} ms`, ours: x.id === 'responder' })),
    });
  }
  for (const row of doc.sweep?.rows ?? []) {
    panels.push({
      title: `Sweep of ${row.n} certificates, nothing due`,
      bars: [
        { label: 'S3 requests', value: row.s3Requests, text: String(row.s3Requests), ours: true },
        { label: 'wall (s) x10', value: (row.wall.median / 1000) * 10, text: `${(row.wall.median / 1000).toFixed(2)} s`, ours: true },
      ],
    });
  }
  const width = 760;
  const labelW = 120;
  const barMax = 500;
  const rowH = 22;
  let y = 30;
  const parts: string[] = [];
  parts.push(`<text x="10" y="20" font-size="15" font-weight="bold">acme-on-aws benchmarks, ${esc(String(doc.startedAt ?? ''))}</text>`);
  for (const panel of panels) {
    y += 22;
    parts.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${esc(panel.title)}</text>`);
    y += 8;
    const max = Math.max(...panel.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1e-9);
    for (const bar of panel.bars) {
      const w = Number.isFinite(bar.value) ? Math.max(1, (bar.value / max) * barMax) : 0;
      parts.push(`<text x="${labelW - 6}" y="${y + 15}" font-size="12" text-anchor="end">${esc(bar.label)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${bar.ours ? '#2f6fbf' : '#9a9a9a'}"/>`);
      parts.push(`<text x="${labelW + w + 6}" y="${y + 15}" font-size="12">${esc(Number.isFinite(bar.value) ? bar.text : 'not measured')}</text>`);
      y += rowH;
    }
  }
  y += 16;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

/** The tables as text; `updateChart` redraws chart.svg (it shows latest.json), `updateDocs` the docs table. */
export function render(doc: Doc, options: { updateChart: boolean; updateDocs: boolean }): string {
  const text = tables(doc);
  if (options.updateChart) writeFileSync(join(repoRoot, 'bench', 'results', 'chart.svg'), chart(doc));
  if (options.updateDocs) {
    const path = join(repoRoot, 'docs', 'performance.md');
    const current = readFileSync(path, 'utf8');
    const start = current.indexOf(START);
    const end = current.indexOf(END);
    if (start !== -1 && end > start) {
      writeFileSync(path, `${current.slice(0, start + START.length)}\n${text}${current.slice(end)}`);
    }
  }
  return text;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const doc = JSON.parse(readFileSync(join(repoRoot, 'bench', 'results', 'latest.json'), 'utf8')) as Doc;
  process.stdout.write(render(doc, { updateChart: true, updateDocs: true }));
}
