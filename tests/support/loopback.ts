// Real faults on loopback for the diagnostics tests: DNS records in the stack's own challtestsrv
// (its management API), and small real servers bound to other 127.0.0.0/8 addresses on the
// stack's HTTP-01 port, so pebble and the pre-flight reach them exactly as they reach the ALB.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { LocalStack } from './local-stack.js';

/** challtestsrv's management API (https://github.com/letsencrypt/pebble/tree/main/cmd/pebble-challtestsrv). */
export async function challtestsrv(stack: Pick<LocalStack, 'challtestsrvManagementPort'>, path: string, body: unknown): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${stack.challtestsrvManagementPort}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`challtestsrv ${path}: HTTP ${response.status} ${await response.text()}`);
}

/** Makes names resolve nowhere unless given an A record: challtestsrv stops answering every A query with 127.0.0.1. */
export async function onlyExplicitRecords(stack: Pick<LocalStack, 'challtestsrvManagementPort'>): Promise<void> {
  await challtestsrv(stack, '/set-default-ipv4', { ip: '' });
  await challtestsrv(stack, '/set-default-ipv6', { ip: '' });
}

export async function addA(stack: Pick<LocalStack, 'challtestsrvManagementPort'>, host: string, ...addresses: string[]): Promise<void> {
  await challtestsrv(stack, '/add-a', { host, addresses });
}

export interface Running {
  close(): Promise<void>;
}

/** An HTTP server at address:port answering every request with what `answer` says. */
export async function httpServerAt(address: string, port: number, answer: (path: string) => { status: number; body?: string; headers?: Record<string, string> }): Promise<Running> {
  const server: HttpServer = createHttpServer((request, response) => {
    const { status, body = '', headers = {} } = answer(request.url ?? '/');
    response.writeHead(status, { 'content-type': 'text/html', ...headers });
    response.end(body);
  });
  await listen(server, address, port);
  return { close: () => closeServer(server) };
}

/** A TCP server at address:port that accepts connections and never says anything (a hung backend). */
export async function silentServerAt(address: string, port: number): Promise<Running> {
  const sockets = new Set<Socket>();
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await listen(server, address, port);
  return {
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    },
  };
}

function listen(server: Server | HttpServer, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
}

function closeServer(server: Server | HttpServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The metric lines in a run's output (the value under the metric's name, what the stack's metric filters read), by metric name. */
export function metricLines(stdout: string, name: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((doc) => doc.event === 'metric' && typeof doc[name] === 'number');
}
