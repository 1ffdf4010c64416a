import type { Handler } from '@serverless-k8s/runtime';

export interface Greeting {
  name?: unknown;
}

export interface Reply {
  message: string;
  /** The Knative revision that answered (K_REVISION): it changes with every deploy of new code. */
  revision: string;
}

/** POST {"name": "Ada"} → {"message": "Hello, Ada!", "revision": …}; without a name it greets the world. */
export const hello: Handler<Greeting | undefined, Reply> = (event) => {
  const name =
    typeof event.data?.name === 'string' && event.data.name !== '' ? event.data.name : 'world';
  return { message: `Hello, ${name}!`, revision: process.env.K_REVISION ?? 'local' };
};
