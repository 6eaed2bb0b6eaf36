import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IDENTITY_AUDIENCE,
  KubernetesTokenReviewer,
  serviceAccountOf,
} from '../../../controlplane/identity/kube-token-reviewer.js';

/** what the fake API server answers for each token: a TokenReview status */
const STATUS: Record<string, object> = {
  'sa-web': {
    authenticated: true,
    user: { username: 'system:serviceaccount:test:web' },
    audiences: [IDENTITY_AUDIENCE],
  },
  'sa-for-the-api-server': { authenticated: true, user: { username: 'system:serviceaccount:test:web' } },
  'a-person': { authenticated: true, user: { username: 'alice' }, audiences: [IDENTITY_AUDIENCE] },
  expired: { authenticated: false, error: '[invalid bearer token, token has been invalidated]' },
};

let server: Server;
let baseUrl: string;
const seen: Array<{
  auth?: string;
  body: { apiVersion?: string; kind?: string; spec?: { token?: string; audiences?: string[] } };
}> = [];

beforeAll(async () => {
  // a small Kubernetes API: only POST /apis/authentication.k8s.io/v1/tokenreviews, with a bearer token
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url?.split('?')[0] !== '/apis/authentication.k8s.io/v1/tokenreviews') {
        res.writeHead(404).end();
        return;
      }
      if (req.headers.authorization !== 'Bearer reviewer-token') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"kind":"Status","code":401}');
        return;
      }
      const body = JSON.parse(raw);
      seen.push({ auth: req.headers.authorization, body });
      const token = body.spec?.token as string;
      if (token === 'api-breaks') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"kind":"Status","code":500}');
        return;
      }
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...body, status: STATUS[token] ?? { authenticated: false } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function reviewer(): KubernetesTokenReviewer {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: baseUrl, skipTLSVerify: true }],
    users: [{ name: 'identity', token: 'reviewer-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'identity' }],
    currentContext: 'fake',
  });
  return new KubernetesTokenReviewer(kc);
}

describe('KubernetesTokenReviewer (a TokenReview through @kubernetes/client-node)', () => {
  it('maps a service account token for our audience to its workload', async () => {
    await expect(reviewer().review('sa-web')).resolves.toEqual({ namespace: 'test', serviceAccount: 'web' });
    const last = seen.at(-1)!;
    expect(last.body).toMatchObject({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token: 'sa-web', audiences: ['identity.weir.io'] },
    });
  });

  it('proves no workload for a token the API rejects, one not minted for our audience, or a person', async () => {
    await expect(reviewer().review('expired')).resolves.toBeUndefined();
    await expect(reviewer().review('nobody-knows')).resolves.toBeUndefined();
    await expect(reviewer().review('sa-for-the-api-server')).resolves.toBeUndefined();
    await expect(reviewer().review('a-person')).resolves.toBeUndefined();
  });

  it('rejects when the review itself fails, so that it is not taken for a bad token', async () => {
    await expect(reviewer().review('api-breaks')).rejects.toThrow();
  });

  it('reads service account usernames only', () => {
    expect(serviceAccountOf('system:serviceaccount:ns:sa')).toEqual({ namespace: 'ns', serviceAccount: 'sa' });
    expect(serviceAccountOf('system:node:n1')).toBeUndefined();
    expect(serviceAccountOf('system:serviceaccount:ns:sa:extra')).toBeUndefined();
  });
});
