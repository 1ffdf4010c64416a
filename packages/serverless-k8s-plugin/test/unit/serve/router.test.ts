import { describe, expect, it } from 'vitest';
import type { FunctionModel } from '../../../src/model/types.js';
import { matchRoute, routesOf, targetPath } from '../../../src/serve/router.js';

function fn(key: string, events: { path: string; method?: string }[]): FunctionModel {
  return {
    key,
    name: key.toLowerCase(),
    events: events.map((event, index) => ({ kind: 'http', name: `http-${index}`, ...event })),
  } as FunctionModel;
}

const routes = routesOf(
  [
    fn('root', [{ path: '/' }]),
    fn('users', [{ path: '/users', method: 'get' }]),
    fn('createUser', [{ path: 'users/', method: 'POST' }]),
    fn('admin', [{ path: '/users/admin' }]),
  ],
  'kubeless',
);

describe('matchRoute', () => {
  it('routes by path prefix at segment boundaries, most specific first, and by method', () => {
    expect(matchRoute(routes, 'GET', '/users')).toMatchObject({
      kind: 'found',
      route: { functionKey: 'users' },
    });
    expect(matchRoute(routes, 'POST', '/users/')).toMatchObject({
      kind: 'found',
      route: { functionKey: 'createUser' },
    });
    expect(matchRoute(routes, 'get', '/users/42')).toMatchObject({
      kind: 'found',
      route: { functionKey: 'users' },
    });
    expect(matchRoute(routes, 'DELETE', '/users/admin/x')).toMatchObject({
      kind: 'found',
      route: { functionKey: 'admin' },
    });
    expect(matchRoute(routes, 'GET', '/usersx')).toMatchObject({
      kind: 'found',
      route: { functionKey: 'root' },
    });
  });

  it('sends HEAD where GET goes and OPTIONS (CORS preflight) to the function on the path', () => {
    expect(matchRoute(routes, 'HEAD', '/users')).toMatchObject({
      kind: 'found',
      route: { functionKey: 'users' },
    });
    expect(matchRoute(routes, 'OPTIONS', '/users')).toMatchObject({
      kind: 'found',
      route: { path: '/users' },
    });
  });

  it('answers method-not-allowed with the allowed methods when only the method differs', () => {
    expect(matchRoute(routes, 'PUT', '/users')).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET', 'POST'],
    });
  });

  it('finds nothing without a matching path', () => {
    const withoutRoot = routesOf([fn('users', [{ path: '/users' }])], 'kubeless');
    expect(matchRoute(withoutRoot, 'GET', '/orders')).toEqual({ kind: 'not-found' });
  });
});

describe('knative routes', () => {
  it('mounts each function at /<name> and strips the mount point', () => {
    const knative = routesOf([fn('hello', [{ path: '/' }]), fn('events', [])], 'knative');
    const match = matchRoute(knative, 'POST', '/events/orders/1');
    expect(match).toMatchObject({ kind: 'found', route: { functionKey: 'events', mount: true } });
    if (match.kind !== 'found') return;
    expect(targetPath(match.route, '/events/orders/1')).toBe('/orders/1');
    expect(targetPath(match.route, '/events')).toBe('/');
    expect(matchRoute(knative, 'GET', '/other')).toEqual({ kind: 'not-found' });
  });
});
