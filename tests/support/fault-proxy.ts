// A TCP proxy in front of moto that makes network faults for real: it can refuse connections
// (S3 and ACM unreachable) and can hold the N-th request that may change something, so a test can
// SIGKILL the issuer at that exact point, or look at the world while it waits and then let it go
// on. Every byte it passes goes to the real moto unchanged.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** Requests that can change state in S3 or ACM (ACM's JSON protocol uses POST for every call). */
const MUTATING = /(?:^|\r\n)(PUT|POST|DELETE) (\S+) HTTP\/1\.1\r\n/g;

export class FaultProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private mutating = 0;
  private holdAt: number | ((requestLine: string, received: string) => boolean) | undefined;
  private onHold: ((requestLine: string, release: () => void) => void) | undefined;
  port = 0;

  constructor(private readonly targetPort: number) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests that may mutate, seen since the last `holdOnMutating`. */
  get mutatingSeen(): number {
    return this.mutating;
  }

  async up(): Promise<void> {
    if (this.server !== undefined) return;
    const server = createServer((client) => this.pipe(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address === 'object' && address !== null) this.port = address.port;
    this.server = server;
  }

  /** Connections refused from now on; open ones are cut. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Holds (never forwards) the n-th mutating request from now on, or the first whose request line
   * `n` accepts (given the rest of what arrived with it too: its headers name the region and the
   * operation of an AWS JSON request, whose line is only `POST /`), and calls `then` with its line
   * and `release`, which forwards what was held (and what arrived after it on that connection)
   * as it came: until then nothing of that connection reaches moto.
   */
  holdOnMutating(n: number | ((requestLine: string, received: string) => boolean) | undefined, then?: (requestLine: string, release: () => void) => void): void {
    this.mutating = 0;
    this.holdAt = n;
    this.onHold = then;
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    /** What arrived since the hold, in order; undefined: not holding. */
    let held: Buffer[] | undefined;
    const release = () => {
      if (held === undefined) return;
      for (const chunk of held) upstream.write(chunk);
      held = undefined;
    };
    client.on('data', (chunk: Buffer) => {
      if (held !== undefined) {
        held.push(chunk);
        return;
      }
      const received = chunk.toString('latin1');
      for (const match of received.matchAll(MUTATING)) {
        this.mutating += 1;
        const line = `${match[1]} ${match[2]}`;
        if (typeof this.holdAt === 'function' ? this.holdAt(line, received.slice(match.index)) : this.mutating === this.holdAt) {
          this.holdAt = undefined;
          held = [chunk];
          this.onHold?.(line, release);
          return;
        }
      }
      upstream.write(chunk);
    });
  }
}
