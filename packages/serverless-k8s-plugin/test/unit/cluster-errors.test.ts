import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/cluster/client.js';
import { apiError, transportError, type RequestDescription } from '../../src/cluster/errors.js';
import { UserError } from '../../src/util/errors.js';

const request: RequestDescription = {
  cluster: 'context "prod" (server api.example.com:6443)',
  server: 'https://api.example.com:6443',
  user: 'jane-kubeconfig',
  verb: 'create',
  resource: 'functions.kubeless.io',
  kind: 'Function',
  name: 'hello',
  namespace: 'team-a',
};

const status = (code: number, reason: string, message: string, details?: object) =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
    message,
    ...(details ? { details } : {}),
  });

describe('apiError', () => {
  it('names user, verb, resource, namespace and cluster for a 403, and points to the RBAC doc', () => {
    const error = apiError(
      request,
      403,
      status(
        403,
        'Forbidden',
        'functions.kubeless.io "hello" is forbidden: User "jane" cannot create resource "functions" in API group "kubeless.io" in the namespace "team-a"',
      ),
    );
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(
      'forbidden: user "jane" cannot create functions.kubeless.io in namespace "team-a" in cluster context "prod" (server api.example.com:6443) (Function "hello"). ' +
        'Ask a cluster admin to grant it; docs/rbac.md has a least-privilege Role for deployers.',
    );
  });

  it('uses the kubeconfig user and says "cluster scope" when the server names neither', () => {
    const error = apiError(
      { ...request, namespace: undefined, resource: 'namespaces', kind: 'Namespace', verb: 'get' },
      403,
      'forbidden',
    );
    expect(error.message).toContain(
      'user "jane-kubeconfig" cannot get namespaces at cluster scope',
    );
  });

  it('explains a server-side apply conflict: manager, fields and --force', () => {
    const error = apiError(
      { ...request, verb: 'patch' },
      409,
      status(
        409,
        'Conflict',
        'Apply failed with 2 conflicts: conflict with "kubectl-edit": .spec.runtime',
        {
          causes: [
            {
              reason: 'FieldManagerConflict',
              message: 'conflict with "kubectl-edit"',
              field: '.spec.runtime',
            },
            {
              reason: 'FieldManagerConflict',
              message: 'conflict with "kubectl-edit"',
              field: '.spec.timeout',
            },
            {
              reason: 'FieldManagerConflict',
              message: 'conflict with "helm"',
              field: '.metadata.labels.team',
            },
          ],
        },
      ),
    );
    expect(error.message).toBe(
      'Conflict applying Function "hello" in namespace "team-a" in cluster context "prod" (server api.example.com:6443): ' +
        '"kubectl-edit" owns .spec.runtime, .spec.timeout; "helm" owns .metadata.labels.team. ' +
        'Someone changed these fields with another tool since the last deploy. ' +
        'Run again with --force to take them over (server-side apply force), or change serverless.yml to match.',
    );
  });

  it('lists every invalid field of a 422 when there are several', () => {
    const error = apiError(
      request,
      422,
      status(
        422,
        'Invalid',
        'Function.kubeless.io "hello" is invalid: [spec.a: Required value, spec.b: Invalid value]',
        {
          causes: [
            { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.a' },
            { reason: 'FieldValueInvalid', message: 'Invalid value', field: 'spec.b' },
          ],
        },
      ),
    );
    expect(error.message).toContain(
      'The API server rejected Function "hello" in namespace "team-a" in cluster context "prod"',
    );
    expect(error.message).toContain('\n  - spec.a: Required value\n  - spec.b: Invalid value');
  });

  it('says which credentials were rejected on 401, without any token', () => {
    const error = apiError(request, 401, status(401, 'Unauthorized', 'Unauthorized'));
    expect(error.message).toBe(
      'Unauthorized: cluster context "prod" (server api.example.com:6443) rejected the credentials of kubeconfig user "jane-kubeconfig" ' +
        'while trying to create Function "hello" in namespace "team-a". Log in again or refresh the token of this context.',
    );
  });

  it('quotes the server message and status for anything else', () => {
    const error = apiError(
      request,
      500,
      status(500, 'InternalError', 'etcdserver: request timed out'),
    );
    expect(error.message).toBe(
      'Cannot create Function "hello" in namespace "team-a" in cluster context "prod" (server api.example.com:6443): etcdserver: request timed out (HTTP 500, InternalError)',
    );
  });
});

describe('transportError', () => {
  const failure = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('names the server URL and suggests checking the context', () => {
    expect(transportError(request, failure('ECONNREFUSED')).message).toBe(
      'Cannot connect to the API server https://api.example.com:6443 of context "prod" (server api.example.com:6443) (connection refused) ' +
        'to create Function "hello" in namespace "team-a". Check that the cluster is running and that the kubeconfig context is the one you mean (provider.context).',
    );
    expect(transportError(request, failure('ENOTFOUND')).message).toContain(
      'Cannot resolve the API server host of https://api.example.com:6443',
    );
    expect(
      transportError(request, failure('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'))
        .message,
    ).toContain(
      'TLS handshake with the API server https://api.example.com:6443 of context "prod" (server api.example.com:6443) failed (DEPTH_ZERO_SELF_SIGNED_CERT)',
    );
    expect(transportError(request, failure('ETIMEDOUT')).message).toContain(
      'did not answer (ETIMEDOUT)',
    );
  });
});

describe('connect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sk8s-kubeconfig-'));
  const secretToken = 'very-secret-token-value';
  const file = join(dir, 'config');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c1, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
      `users: [{name: u1, user: {token: ${secretToken}}}]`,
      'contexts: [{name: dev, context: {cluster: c1, user: u1}}, {name: prod, context: {cluster: c1, user: u1}}]',
      'current-context: dev',
    ].join('\n'),
  );

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('lists the available contexts when provider.context does not exist', async () => {
    await expect(connect({ kubeconfigPath: file, context: 'staging' })).rejects.toThrow(
      `kubeconfig context "staging" (provider.context) does not exist in ${file}. Available contexts: dev, prod.`,
    );
  });

  it('uses the KUBECONFIG list and names the cluster by context and server', async () => {
    const first = join(dir, 'first');
    writeFileSync(
      first,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c2, cluster: {server: "https://10.0.0.1:6443"}}]',
        'users: [{name: u2, user: {token: other}}]',
        'contexts: [{name: ci, context: {cluster: c2, user: u2}}]',
        'current-context: ci',
      ].join('\n'),
    );
    vi.stubEnv('KUBECONFIG', `${first}${delimiter}${file}`);
    const current = await connect({});
    expect(current.clusterName).toBe('context "ci" (server 10.0.0.1:6443)'); // the first file's current-context
    current.close();
    const chosen = await connect({ context: 'prod' }); // a context from the second file
    expect(chosen.clusterName).toBe('context "prod" (server 127.0.0.1:1)');
    chosen.close();
    // The same names in a later file: the first definition wins (as with kubectl), no error.
    vi.stubEnv(
      'KUBECONFIG',
      `${file}${delimiter}${join(dir, 'not-there')}${delimiter}${first}${delimiter}${file}`,
    );
    const merged = await connect({});
    expect(merged.clusterName).toBe('context "dev" (server 127.0.0.1:1)');
    merged.close();
  });

  it('reports an unreachable server by URL, never printing the token', async () => {
    const client = await connect({ kubeconfigPath: file });
    const error = await client
      .get('v1', 'ConfigMap', 'default', 'x')
      .catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain(
      'Cannot connect to the API server https://127.0.0.1:1 of context "dev" (server 127.0.0.1:1) (connection refused)',
    );
    expect((error as Error).message).not.toContain(secretToken);
    client.close();
  });

  it('says what to do when there is no kubeconfig at all', async () => {
    vi.stubEnv('KUBECONFIG', '');
    vi.stubEnv('HOME', dir); // no .kube/config there
    await expect(connect({})).rejects.toThrow(
      'No Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config',
    );
  });

  it('names the file, not its contents, when the kubeconfig is not valid YAML', async () => {
    const broken = join(dir, 'broken');
    writeFileSync(broken, `users: [{name: u1, user: {token: ${secretToken}}\n  - : :`);
    const error = (await connect({ kubeconfigPath: broken }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(new RegExp(`^Cannot read the kubeconfig from ${broken}: `));
    expect(error.message).not.toContain(secretToken);
  });
});
