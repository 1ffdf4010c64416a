import type { Handler } from '@serverless-k8s/runtime';

export interface Reply {
  message: string;
  /** Which revision answered: during the 50/50 split, calls alternate between the two. */
  revision: string;
}

/** `GET /?name=Ada` → `{"message": "Hello, Ada!", "revision": "greeter-…"}`; GREETING is the version. */
export const greet: Handler<unknown, Reply> = (event) => {
  const query = new URL(event.extensions.request.url ?? '/', 'http://localhost').searchParams;
  const greeting = process.env.GREETING ?? 'Hello';
  return {
    message: `${greeting}, ${query.get('name') ?? 'world'}!`,
    revision: process.env.K_REVISION ?? 'local',
  };
};
