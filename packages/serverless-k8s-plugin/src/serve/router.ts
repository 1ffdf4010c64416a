// Which function answers a request on the shared `serve` port. Kubeless: each function's http
// events by path (prefix at a segment boundary, longest first, as an ingress path) and method.
// Knative gives every function a host of its own; on one port each is mounted at /<name>, and
// the prefix is stripped so the handler sees the paths it sees in the cluster.
import type { FunctionModel, ProviderName } from '../model/types.js';

export interface Route {
  functionKey: string;
  eventName: string;
  /** Normalized: leading slash, no trailing slash (except `/`). */
  path: string;
  /** Upper case; undefined = any method. */
  method?: string;
  /** Knative: the path is a mount point, removed before the request reaches the function. */
  mount?: boolean;
}

export type RouteMatch =
  | { kind: 'found'; route: Route }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

export function normalizePath(path: string): string {
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') || '/' : withSlash;
}

export function routesOf(functions: FunctionModel[], provider: ProviderName): Route[] {
  const routes: Route[] = [];
  for (const fn of functions) {
    if (provider === 'knative') {
      const http = fn.events.find((event) => event.kind === 'http');
      routes.push({
        functionKey: fn.key,
        eventName: http?.name ?? 'url',
        path: `/${fn.name}`,
        mount: true,
      });
      continue;
    }
    for (const event of fn.events) {
      if (event.kind !== 'http') continue;
      routes.push({
        functionKey: fn.key,
        eventName: event.name,
        path: normalizePath(event.path),
        method: event.method?.toUpperCase(),
      });
    }
  }
  // Longest path first so `/users/admin` wins over `/users`, and `/` comes last.
  return routes.sort((a, b) => b.path.length - a.path.length);
}

function pathMatches(routePath: string, requestPath: string): boolean {
  if (routePath === '/') return true;
  return requestPath === routePath || requestPath.startsWith(`${routePath}/`);
}

/**
 * HEAD goes where GET does; OPTIONS reaches the function whatever its method, as through an
 * ingress, so the runtime answers CORS preflights as it does in the cluster.
 */
function methodMatches(routeMethod: string | undefined, method: string): boolean {
  if (routeMethod === undefined || routeMethod === 'ANY' || routeMethod === method) return true;
  return method === 'OPTIONS' || (method === 'HEAD' && routeMethod === 'GET');
}

export function matchRoute(routes: Route[], method: string, requestPath: string): RouteMatch {
  const path = normalizePath(requestPath);
  let longest: number | undefined;
  const allow = new Set<string>();
  for (const route of routes) {
    if (!pathMatches(route.path, path)) continue;
    // Only the most specific path counts: a method mismatch there is a 405, not a fall-through.
    if (longest !== undefined && route.path.length < longest) break;
    longest = route.path.length;
    if (methodMatches(route.method, method.toUpperCase())) return { kind: 'found', route };
    if (route.method !== undefined) allow.add(route.method);
  }
  return allow.size > 0 ? { kind: 'method-not-allowed', allow: [...allow] } : { kind: 'not-found' };
}

/** The path the function receives for `requestPath` (without the query). */
export function targetPath(route: Route, requestPath: string): string {
  if (!route.mount) return requestPath;
  return requestPath.slice(route.path.length) || '/';
}

export function describeRoute(route: Route): string {
  const path = route.mount ? `${route.path}/…` : route.path;
  return `${(route.method ?? 'ANY').padEnd(6)} ${path} → ${route.functionKey}`;
}
