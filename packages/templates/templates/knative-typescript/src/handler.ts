import type { Handler } from '@serverless-k8s/runtime';

export interface Greeting {
  message: string;
}

/**
 * `GET /?name=Ada` or `POST /` with `{"name": "Ada"}` → `{"message": "Hello, Ada!"}`.
 * A JSON body arrives parsed in `event.data`; the request itself is `event.extensions.request`.
 */
export const hello: Handler<{ name?: string } | undefined, Greeting> = (event) => {
  const query = new URL(event.extensions.request.url ?? '/', 'http://localhost').searchParams;
  const name = event.data?.name ?? query.get('name') ?? 'world';
  return { message: `Hello, ${name}!` };
};
