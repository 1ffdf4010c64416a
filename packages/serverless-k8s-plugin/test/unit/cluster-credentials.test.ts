// exec credential plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin…) run through
// @kubernetes/client-node; the client sends what they print and reports their failure by user
// and context. nock stands in for a remote API server that the test cannot run.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/cluster/client.js';
import { UserError } from '../../src/util/errors.js';

const SERVER = 'https://k8s.exec.test:6443';
const dir = mkdtempSync(join(tmpdir(), 'sk8s-exec-'));

function execKubeconfig(name: string, script: string): string {
  const command = join(dir, `${name}.sh`);
  writeFileSync(command, `#!/bin/sh\n${script}\n`);
  chmodSync(command, 0o755);
  const file = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: remote, cluster: {server: "${SERVER}", insecure-skip-tls-verify: true}}]`,
      `users: [{name: ${name}-user, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ${command}}}}]`,
      `contexts: [{name: ${name}, context: {cluster: remote, user: ${name}-user}}]`,
      `current-context: ${name}`,
    ].join('\n'),
  );
  return file;
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('exec credentials', () => {
  it('sends the token an exec plugin prints', async () => {
    const token = 'exec-issued-token';
    const file = execKubeconfig(
      'works',
      `echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"${token}"}}'`,
    );
    const scope = nock(SERVER, { reqheaders: { authorization: `Bearer ${token}` } })
      .get('/api/v1')
      .reply(200, { resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }] })
      .get('/api/v1/namespaces/default/configmaps/settings')
      .reply(200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
    const client = await connect({ kubeconfigPath: file });
    expect((await client.get('v1', 'ConfigMap', 'default', 'settings'))?.metadata.name).toBe(
      'settings',
    );
    expect(scope.isDone()).toBe(true);
    client.close();
  });

  it('names the kubeconfig user and context when the plugin fails', async () => {
    const file = execKubeconfig(
      'fails',
      'echo "error: not logged in, run the login command" >&2; exit 1',
    );
    const client = await connect({ kubeconfigPath: file });
    const error = (await client.list('v1', 'Pod', 'default').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(
      /^Cannot get credentials for kubeconfig user "fails-user" of context "fails" \(server k8s\.exec\.test:6443\): /,
    );
    expect(error.message).toContain('error: not logged in, run the login command');
    client.close();
  });
});
