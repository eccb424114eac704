// The bench's counting proxy: a TLS front for pebble that records every CA request (method, kind,
// status, start and end) and can add a delay each way, to count what the ACME protocol costs a
// tool and to let loopback latency look like a real CA's. It terminates TLS with pebble's own
// certificate (the one every tool is already told to trust) and forwards to pebble unchanged,
// Host header included: pebble builds its URLs from Host, so every URL it hands out (directory,
// Location, Link) points back at the proxy and the tools never bypass it.
import { readFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { requestKind, type CaRequest } from './round-trips.js';

export interface CountingProxyOptions {
  /** Pebble's HTTPS port on 127.0.0.1. */
  readonly targetPort: number;
  /** Pebble's TLS certificate and key (the proxy presents the same certificate). */
  readonly certFile: string;
  readonly keyFile: string;
  /** Added before forwarding a request and again before answering it. */
  readonly delayMs: number;
}

export class CountingProxy {
  private server: Server | undefined;
  private recorded: CaRequest[] = [];
  private readonly epoch = performance.now();
  port = 0;

  constructor(private readonly options: CountingProxyOptions) {}

  get directoryUrl(): string {
    return `https://localhost:${this.port}/dir`;
  }

  async start(): Promise<void> {
    const cert = readFileSync(this.options.certFile);
    const agent = new Agent({ keepAlive: true, ca: cert });
    const wait = () => new Promise((r) => setTimeout(r, this.options.delayMs));
    const server = createServer({ cert, key: readFileSync(this.options.keyFile) }, (incoming, outgoing) => {
      const startMs = performance.now() - this.epoch;
      const body: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => body.push(chunk));
      incoming.on('end', () => {
        void (async () => {
          if (this.options.delayMs > 0) await wait();
          const upstream = request({ host: '127.0.0.1', port: this.options.targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers, agent, servername: 'localhost' }, (answer) => {
            const chunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => chunks.push(chunk));
            answer.on('end', () => {
              void (async () => {
                if (this.options.delayMs > 0) await wait();
                // The end is the moment the answer is handed over, before it is written: a client
                // that waits for it cannot send its next request, nor can this process see it,
                // any earlier. (The write's own callback can come after that next request.)
                const method = incoming.method ?? '?';
                const path = incoming.url ?? '/';
                this.recorded.push({ method, path, kind: requestKind(method, path), status: answer.statusCode ?? 0, startMs, endMs: performance.now() - this.epoch });
                outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
                outgoing.end(Buffer.concat(chunks));
              })();
            });
          });
          upstream.on('error', (error) => {
            outgoing.writeHead(502).end(String(error));
          });
          upstream.end(Buffer.concat(body));
        })();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** The requests recorded since the last take, in the order they were answered; starts a new record. */
  take(): CaRequest[] {
    const taken = this.recorded;
    this.recorded = [];
    return taken;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
