import { request as httpRequest } from 'node:http';
import type { Agent, RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext } from 'node:tls';

/**
 * How transport.ts reaches `url`: on the CA's kept-alive agent, or, when a proxy applies
 * (HTTPS_PROXY / ALL_PROXY, any case, minus NO_PROXY), through a CONNECT tunnel opened for this
 * request with TLS to the CA inside it, trusting what the agent trusts. A tunnel per request keeps
 * this small; a proxied issuer is rare and its requests are few.
 */
export async function connectionFor(url: string, agent: Agent, secureContext: SecureContext | undefined, env: NodeJS.ProcessEnv): Promise<Pick<RequestOptions, 'agent' | 'createConnection'>> {
  const proxy = proxyFor(new URL(url), env);
  if (proxy === undefined) return { agent };
  const target = new URL(url);
  const socket = await openTunnel(proxy, target.hostname, Number(target.port || 443));
  const servername = /^[\d.]+$|:/.test(target.hostname) ? undefined : target.hostname;
  return { createConnection: () => tlsConnect({ socket, ...(servername === undefined ? {} : { servername }), ...(secureContext === undefined ? {} : { secureContext }) }) };
}

/** The proxy for `target`, or undefined when none is set or NO_PROXY lists its host. */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const value = ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'].map((name) => env[name] ?? '').find((v) => v !== '');
  if (value === undefined) return undefined;
  const host = target.hostname.toLowerCase();
  const skip = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase().replace(/:\d+$/, ''))
    .filter((entry) => entry !== '');
  if (skip.some((entry) => entry === '*' || host === entry.replace(/^\./, '') || host.endsWith(entry.startsWith('.') ? entry : `.${entry}`))) return undefined;
  return new URL(value.includes('://') ? value : `http://${value}`);
}

function openTunnel(proxy: URL, host: string, port: number): Promise<Socket> {
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const credentials = proxy.username === '' ? undefined : Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64');
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      host: proxy.hostname,
      port: Number(proxy.port || 80),
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...(credentials === undefined ? {} : { 'proxy-authorization': `Basic ${credentials}` }) },
    });
    request.once('connect', (response, socket) => {
      if (response.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(new Error(`the proxy ${proxy.host} answered HTTP ${response.statusCode ?? '?'} to CONNECT ${authority}`));
    });
    request.setTimeout(45_000, () => request.destroy(Object.assign(new Error(`ETIMEDOUT: the proxy ${proxy.host} did not open a tunnel to ${authority}`), { code: 'ETIMEDOUT' })));
    request.once('error', reject);
    request.end();
  });
}
