// Turns API server answers and transport failures into UserErrors a person can act on: each names
// the cluster, the verb, the resource, the object and the namespace. Only Status fields the server
// chose to show are quoted — never request headers, tokens or kubeconfig contents.
import { UserError } from '../util/errors.js';

/** What was being done when the request failed. */
export interface RequestDescription {
  /** `context "x" (server host:port)`. */
  cluster: string;
  /** Server URL, for transport errors. */
  server: string;
  /** Kubernetes verb: get, list, create, patch, delete, proxy… */
  verb: string;
  /** Resource as RBAC names it: `functions.kubeless.io`, `pods/log`, `services/proxy`. */
  resource: string;
  /** Kind as the user wrote it, e.g. `Function`. */
  kind?: string;
  name?: string;
  namespace?: string;
  /** The kubeconfig user, when the server's message does not name one. */
  user?: string;
}

/** One entry of `Status.details.causes`; the server names the cause kind in `reason`. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The API's `Status` object, as far as messages need it. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: StatusCause[] };
}

export const RBAC_DOC = 'docs/rbac.md';

/** Parses a Status body; undefined when the body is not one (e.g. a function's own response). */
export function parseStatus(body: Buffer | string): ApiStatus | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString());
    if (parsed && typeof parsed === 'object' && (parsed as ApiStatus).kind === 'Status')
      return parsed as ApiStatus;
  } catch {
    // not JSON
  }
  return undefined;
}

/** `Function "hello" in namespace "dev"` / `namespace "dev"`. */
export function objectRef(
  request: Pick<RequestDescription, 'kind' | 'resource' | 'name' | 'namespace'>,
): string {
  const what = request.kind ?? request.resource;
  const named = request.name ? `${what} "${request.name}"` : what;
  return request.namespace ? `${named} in namespace "${request.namespace}"` : named;
}

/** The UserError for a non-2xx answer of the API server itself. */
export function apiError(
  request: RequestDescription,
  status: number,
  body: Buffer | string,
): UserError {
  const parsed = parseStatus(body);
  const serverMessage =
    parsed?.message ?? (body.toString().trim().slice(0, 300) || `HTTP ${status}`);
  const where = `in cluster ${request.cluster}`;
  switch (status) {
    case 401:
      return new UserError(
        `Unauthorized: cluster ${request.cluster} rejected the credentials of kubeconfig user "${request.user ?? 'unknown'}" ` +
          `while trying to ${request.verb} ${objectRef(request)}. Log in again or refresh the token of this context.`,
      );
    case 403: {
      const user = /User "([^"]+)"/.exec(serverMessage)?.[1] ?? request.user ?? 'unknown';
      const scope = request.namespace ? `in namespace "${request.namespace}"` : 'at cluster scope';
      const anonymous =
        user === 'system:anonymous'
          ? ' The server did not accept any credentials: check the user of this kubeconfig context.'
          : '';
      return new UserError(
        `forbidden: user "${user}" cannot ${request.verb} ${request.resource} ${scope} ${where}` +
          `${request.name ? ` (${request.kind ?? 'object'} "${request.name}")` : ''}. ` +
          `Ask a cluster admin to grant it; ${RBAC_DOC} has a least-privilege Role for deployers.${anonymous}`,
      );
    }
    case 409:
      if (
        parsed?.reason === 'Conflict' &&
        parsed.details?.causes?.some((c) => c.reason === 'FieldManagerConflict')
      ) {
        return conflictError(request, parsed);
      }
      return new UserError(
        `Cannot ${request.verb} ${objectRef(request)} ${where}: ${serverMessage}`,
      );
    case 422: {
      // Causes repeat what the message already says unless there are several.
      const causes = parsed?.details?.causes ?? [];
      const listed =
        causes.length > 1
          ? `\n${causes.map((c) => `  - ${c.field ? `${c.field}: ` : ''}${c.message ?? ''}`).join('\n')}`
          : '';
      return new UserError(
        `The API server rejected ${objectRef(request)} ${where} as invalid: ${serverMessage}${listed}`,
      );
    }
    default:
      return new UserError(
        `Cannot ${request.verb} ${objectRef(request)} ${where}: ${serverMessage} (HTTP ${status}${parsed?.reason ? `, ${parsed.reason}` : ''})`,
      );
  }
}

/** The managers a server-side apply conflict (409 Status) names. */
export function conflictManagers(body: Buffer): string[] {
  const causes = parseStatus(body)?.details?.causes ?? [];
  return [
    ...new Set(
      causes
        .filter((cause) => cause.reason === 'FieldManagerConflict')
        .map((cause) => /conflict with "([^"]+)"/.exec(cause.message ?? '')?.[1])
        .filter((manager): manager is string => manager !== undefined),
    ),
  ];
}

/** A server-side apply conflict: which manager owns which fields, and how to take them over. */
function conflictError(request: RequestDescription, status: ApiStatus): UserError {
  const byManager = new Map<string, string[]>();
  for (const cause of status.details?.causes ?? []) {
    if (cause.reason !== 'FieldManagerConflict') continue;
    // The server's message is `conflict with "kubectl-edit" using v1` (field in `field`).
    const manager = /conflict with "([^"]+)"/.exec(cause.message ?? '')?.[1] ?? 'another manager';
    const fields = byManager.get(manager) ?? [];
    fields.push(cause.field ?? cause.message ?? '?');
    byManager.set(manager, fields);
  }
  const owners = [...byManager]
    .map(([manager, fields]) => `"${manager}" owns ${fields.join(', ')}`)
    .join('; ');
  return new UserError(
    `Conflict applying ${objectRef(request)} in cluster ${request.cluster}: ${owners}. ` +
      'Someone changed these fields with another tool since the last deploy. ' +
      'Run again with --force to take them over (server-side apply force), or change serverless.yml to match.',
  );
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** The UserError for a request that never got an HTTP answer (refused, DNS, TLS, timeout). */
export function transportError(request: RequestDescription, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  const action = `${request.verb} ${objectRef(request)}`;
  const check =
    'Check that the cluster is running and that the kubeconfig context is the one you mean (provider.context).';
  if (code === 'ECONNREFUSED') {
    return new UserError(
      `Cannot connect to the API server ${request.server} of ${request.cluster} (connection refused) to ${action}. ${check}`,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new UserError(
      `Cannot resolve the API server host of ${request.server} (${request.cluster}) to ${action}. ${check}`,
    );
  }
  if (TLS_CODES.has(code) || /certificate|tls|ssl/i.test(detail)) {
    return new UserError(
      `TLS handshake with the API server ${request.server} of ${request.cluster} failed (${code || detail}) to ${action}. ` +
        `The server's certificate does not match the kubeconfig's certificate-authority. ${check}`,
    );
  }
  if (
    code === 'ETIMEDOUT' ||
    code === 'ECONNRESET' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH'
  ) {
    return new UserError(
      `The API server ${request.server} of ${request.cluster} did not answer (${code}) to ${action}. ${check}`,
    );
  }
  return new UserError(
    `Request to the API server ${request.server} of ${request.cluster} failed to ${action}: ${detail}`,
  );
}
