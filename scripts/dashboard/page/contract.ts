// What the dashboard page and its server agree on (server.ts serves and checks it, app.ts sends it).

/** The header only the page sends: a call without it is not the page's (another site cannot add it without a CORS preflight). */
export const PAGE_HEADER = 'x-dashboard';
/** The page's calls to the certificate API: the server signs and forwards what follows it. */
export const API_PREFIX = '/api';
/** What the server says about itself. */
export const SESSION_PATH = '/dashboard/session';

export interface Session {
  readonly apiUrl: string;
  /** The region the signatures name. */
  readonly region: string;
  /** Who the operator's credentials are, as STS says. */
  readonly signedAs: string;
  readonly keyTypes: readonly string[];
  /** CA names CERTIFICATES knows, by directory URL. */
  readonly knownCas: Readonly<Record<string, string>>;
}
