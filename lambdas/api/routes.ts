/**
 * The certificate API's routes: one table the handler dispatches on and tests/lambdas/api compare
 * with openapi.json, so a route cannot exist in one and not the other.
 */
export const ROUTES = [
  { method: 'GET', path: '/health', operation: 'getHealth' },
  { method: 'GET', path: '/certificates', operation: 'listCertificates' },
  { method: 'POST', path: '/certificates', operation: 'requestCertificate' },
  { method: 'GET', path: '/certificates/{name}', operation: 'getCertificate' },
  { method: 'DELETE', path: '/certificates/{name}', operation: 'deleteCertificate' },
  { method: 'GET', path: '/certificates/{name}/status', operation: 'getCertificateStatus' },
  { method: 'POST', path: '/certificates/{name}/renew', operation: 'renewCertificate' },
] as const;

export type Route = (typeof ROUTES)[number];
export type Operation = Route['operation'];

export type RouteMatch =
  | { readonly found: true; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  /** No route has this path (404), or one has it with other methods (405, with those in Allow). */
  | { readonly found: false; readonly allow: readonly string[] };

/** `{name}` matches one path segment; the handler checks it is a certificate name. */
function segmentsMatch(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = got[i]!;
    if (part.startsWith('{') && part.endsWith('}')) {
      if (value === '') return undefined;
      params[part.slice(1, -1)] = decoded(value);
    } else if (part !== value) return undefined;
  }
  return params;
}

/** A malformed escape stays as sent: the name check then refuses it by name. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function matchRoute(method: string, path: string): RouteMatch {
  // A trailing slash names the same resource (curl users type it); an empty path is the root.
  const normalized = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const allow: string[] = [];
  for (const route of ROUTES) {
    const params = segmentsMatch(route.path, normalized);
    if (params === undefined) continue;
    if (route.method === method) return { found: true, route, params };
    allow.push(route.method);
  }
  return { found: false, allow };
}
