import type { Handler } from '@serverless-k8s/runtime';

export interface Greeting {
  name?: unknown;
}

export interface Reply {
  message: string;
  function: string;
}

/** POST {"name": "Ada"} → {"message": "Hello, Ada!", …}; without a name it greets the world. */
export const hello: Handler<Greeting, Reply> = (event, context) => {
  const name =
    typeof event.data?.name === 'string' && event.data.name !== '' ? event.data.name : 'world';
  return { message: `Hello, ${name}!`, function: context['function-name'] };
};
