// `events:` items → FunctionEvent, per provider, with generated DNS-1123 names.
import type {
  CloudEventEvent,
  FunctionEvent,
  FunctionModel,
  HttpEvent,
  KafkaSourceEvent,
  ProviderName,
  QueueEvent,
  ScheduleEvent,
  ServiceModel,
} from './types.js';
import type { Problems } from './problems.js';
import { dns1123LabelProblem, dns1123SubdomainProblem } from './names.js';
import { cronProblem, rateToCron } from './cron.js';
import { checkHostname, checkName, isObject, rejectKeys, type Obj, type Reader } from './reader.js';

export const DEFAULT_BROKER = 'default';

const EVENT_TYPES: Record<ProviderName, string[]> = {
  kubeless: ['http', 'schedule', 'trigger', 'kafka', 'nats'],
  knative: ['http', 'schedule', 'cloudEvent', 'kafka'],
};

export function normalizeEvent(
  read: Reader,
  model: ServiceModel,
  event: unknown,
  path: string,
): FunctionEvent | undefined {
  const problems = read.problems;
  const keys = isObject(event) ? Object.keys(event) : [];
  if (!isObject(event) || keys.length !== 1) {
    problems.add(
      path,
      `must be one of ${EVENT_TYPES[model.provider].map((type) => `${type}: …`).join(', ')}`,
    );
    return undefined;
  }
  const type = keys[0]!;
  const body = event[type];
  const eventPath = `${path}.${type}`;
  if (!EVENT_TYPES[model.provider].includes(type)) {
    const owner = EVENT_TYPES[model.provider === 'kubeless' ? 'knative' : 'kubeless'].includes(type)
      ? ` (it is a ${model.provider === 'kubeless' ? 'knative' : 'kubeless'} event)`
      : '';
    problems.add(
      eventPath,
      `is not supported by provider ${model.provider}${owner}; use ${EVENT_TYPES[model.provider].join(', ')}`,
    );
    return undefined;
  }
  const userName = isObject(body) ? read.string(body.name, `${eventPath}.name`) : undefined;
  const named = <T extends FunctionEvent>(value: Omit<T, 'name'>): T =>
    ({ name: userName ?? '', ...value }) as T;
  switch (type) {
    case 'http':
      return httpEvent(read, model, body, eventPath, named);
    case 'schedule':
      return scheduleEvent(read, model, body, eventPath, named);
    case 'trigger':
      return queueEvent(read, body, eventPath, named, undefined);
    case 'nats':
      return queueEvent(read, body, eventPath, named, 'nats');
    case 'kafka':
      if (model.provider === 'kubeless') return queueEvent(read, body, eventPath, named, 'kafka');
      return kafkaSourceEvent(read, body, eventPath, named);
    case 'cloudEvent':
      return cloudEventEvent(read, body, eventPath, named);
    default:
      return undefined;
  }
}

type Namer = <T extends FunctionEvent>(value: Omit<T, 'name'>) => T;

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'];

function httpEvent(
  read: Reader,
  model: ServiceModel,
  body: unknown,
  path: string,
  named: Namer,
): HttpEvent | undefined {
  let raw: Obj;
  if (typeof body === 'string') {
    // `http: GET /hello` (Serverless shorthand) or `http: /hello`.
    const [first, second] = body.trim().split(/\s+/);
    raw = second !== undefined ? { method: first, path: second } : { path: first };
  } else if (body === true || body === null) {
    raw = {};
  } else if (isObject(body)) {
    raw = body;
  } else {
    read.problems.add(path, 'must be a path (e.g. /hello) or a map { path, method, hostname, … }');
    return undefined;
  }
  const event = named<HttpEvent>({ kind: 'http', path: '/' });
  const httpPath = read.string(raw.path, `${path}.path`);
  if (httpPath !== undefined) {
    event.path = httpPath.startsWith('/') ? httpPath : `/${httpPath}`;
    if (/\s/.test(event.path))
      read.problems.add(`${path}.path`, `"${httpPath}" must not contain spaces`);
  }
  const method = read.string(raw.method, `${path}.method`);
  if (method !== undefined) {
    if (HTTP_METHODS.includes(method.toUpperCase())) event.method = method.toUpperCase();
    else
      read.problems.add(`${path}.method`, `"${method}" is not one of ${HTTP_METHODS.join(', ')}`);
  }
  const hostname = read.string(raw.hostname, `${path}.hostname`);
  if (hostname !== undefined) {
    checkHostname(read.problems, `${path}.hostname`, hostname);
    event.hostname = hostname;
  }
  if (model.provider === 'knative') {
    rejectKeys(
      read,
      raw,
      ['hostname', 'tls', 'tlsSecretName', 'cors', 'basicAuthSecret'],
      path,
      'is a kubeless (ingress) option; knative routes through its own ingress — use customDomain:',
    );
    if (event.path !== '/')
      read.problems.add(
        `${path}.path`,
        'knative routes the whole host to the function; remove path: (or use /)',
      );
    const customDomain = read.string(raw.customDomain, `${path}.customDomain`);
    if (customDomain !== undefined) {
      checkHostname(read.problems, `${path}.customDomain`, customDomain);
      event.customDomain = customDomain;
    }
    return event;
  }
  rejectKeys(read, raw, ['customDomain'], path, 'is knative-only; for kubeless set hostname:');
  const tls = read.boolean(raw.tls, `${path}.tls`) ?? model.ingress.enableTlsAcme;
  const tlsSecretName =
    read.string(raw.tlsSecretName, `${path}.tlsSecretName`) ?? model.ingress.tlsSecretName;
  const cors = read.boolean(raw.cors, `${path}.cors`) ?? model.ingress.cors;
  const basicAuthSecret =
    read.string(raw.basicAuthSecret, `${path}.basicAuthSecret`) ??
    model.ingress.basicAuthSecretName;
  if (tls !== undefined) event.tls = tls;
  if (tlsSecretName !== undefined) {
    checkName(
      read.problems,
      raw.tlsSecretName !== undefined ? `${path}.tlsSecretName` : 'provider.ingress.tlsSecretName',
      tlsSecretName,
      dns1123SubdomainProblem,
    );
    event.tlsSecretName = tlsSecretName;
  }
  if (cors !== undefined) event.cors = cors;
  if (basicAuthSecret !== undefined) {
    checkName(
      read.problems,
      raw.basicAuthSecret !== undefined
        ? `${path}.basicAuthSecret`
        : 'provider.ingress.basicAuthSecretName',
      basicAuthSecret,
      dns1123SubdomainProblem,
    );
    event.basicAuthSecret = basicAuthSecret;
  }
  return event;
}

function scheduleEvent(
  read: Reader,
  model: ServiceModel,
  body: unknown,
  path: string,
  named: Namer,
): ScheduleEvent | undefined {
  const raw: Obj | undefined = typeof body === 'string' ? { cron: body } : read.object(body, path);
  if (!raw) return undefined;
  let cron = read.string(raw.cron, `${path}.cron`);
  const rate = read.string(raw.rate, `${path}.rate`);
  if ((cron === undefined) === (rate === undefined)) {
    read.problems.add(
      path,
      'needs exactly one of cron: "<5 fields>" or rate: rate(<n> minutes|hours|days)',
    );
    return undefined;
  }
  const cronPath = typeof body === 'string' ? path : `${path}.cron`;
  if (cron !== undefined && /^rate\(/i.test(cron.trim())) {
    // `schedule: rate(5 minutes)` (Serverless shorthand) is a rate, not cron.
    const converted = rateToCron(cron);
    if ('problem' in converted) read.problems.add(cronPath, converted.problem);
    else cron = converted.cron;
  } else if (rate !== undefined) {
    const converted = rateToCron(rate);
    if ('problem' in converted) read.problems.add(`${path}.rate`, converted.problem);
    else cron = converted.cron;
  } else if (cron !== undefined) {
    const problem = cronProblem(cron);
    if (problem) read.problems.add(cronPath, problem);
    cron = cron.trim();
  }
  if (raw.payload !== undefined && raw.data !== undefined) {
    read.problems.add(path, 'has both payload and data; they are the same thing — keep one');
  }
  const event = named<ScheduleEvent>({ kind: 'schedule', cron: cron ?? '' });
  const payload = raw.payload ?? raw.data;
  if (payload !== undefined) event.payload = payload;
  const timezone = read.string(raw.timezone, `${path}.timezone`);
  if (timezone !== undefined) {
    if (model.provider === 'kubeless') {
      read.problems.add(
        `${path}.timezone`,
        "kubeless CronJobTriggers run in the controller's time zone (UTC); remove timezone and write the cron in UTC",
      );
    } else if (!isTimeZone(timezone)) {
      read.problems.add(
        `${path}.timezone`,
        `"${timezone}" is not an IANA time zone; write e.g. Europe/Berlin or America/New_York`,
      );
    } else {
      event.timezone = timezone;
    }
  }
  return event;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function queueEvent(
  read: Reader,
  body: unknown,
  path: string,
  named: Namer,
  queue: 'kafka' | 'nats' | undefined,
): QueueEvent | undefined {
  const raw: Obj | undefined = typeof body === 'string' ? { topic: body } : read.object(body, path);
  if (!raw) return undefined;
  let kind = queue;
  if (kind === undefined) {
    const written = read.string(raw.queue, `${path}.queue`)?.toLowerCase() ?? 'kafka';
    if (written === 'kafka' || written === 'nats') kind = written;
    else read.problems.add(`${path}.queue`, `must be kafka or nats, got "${written}"`);
  } else if (raw.queue !== undefined) {
    read.problems.add(`${path}.queue`, `is implied by the event type (${kind}); remove it`);
  }
  if (
    raw.bootstrapServers !== undefined ||
    raw.topics !== undefined ||
    raw.consumerGroup !== undefined
  ) {
    read.problems.add(
      path,
      'bootstrapServers/topics/consumerGroup are knative KafkaSource keys; kubeless takes topic: (the broker is configured in the kafka-trigger controller)',
    );
  }
  const topic = read.string(raw.topic, `${path}.topic`);
  if (topic === undefined || topic === '') {
    read.problems.add(
      `${path}.topic`,
      'is required: the topic (or NATS subject) that triggers the function',
    );
    return undefined;
  }
  return kind ? named<QueueEvent>({ kind: 'queue', queue: kind, topic }) : undefined;
}

function kafkaSourceEvent(
  read: Reader,
  body: unknown,
  path: string,
  named: Namer,
): KafkaSourceEvent | undefined {
  const raw = read.object(body, path);
  if (!raw) return undefined;
  if (raw.topic !== undefined) {
    read.problems.add(
      `${path}.topic`,
      'is the kubeless spelling; knative KafkaSource takes topics: [<topic>] and bootstrapServers: [<host:port>]',
    );
  }
  const servers = stringList(read, raw.bootstrapServers, `${path}.bootstrapServers`);
  const topics = stringList(read, raw.topics, `${path}.topics`);
  if (servers.length === 0)
    read.problems.add(
      `${path}.bootstrapServers`,
      'is required: a list of Kafka brokers, e.g. [my-cluster-kafka-bootstrap.kafka:9092]',
    );
  if (topics.length === 0 && raw.topic === undefined)
    read.problems.add(`${path}.topics`, 'is required: a list of topics');
  const event = named<KafkaSourceEvent>({ kind: 'kafkaSource', bootstrapServers: servers, topics });
  const group = read.string(raw.consumerGroup, `${path}.consumerGroup`);
  if (group !== undefined) event.consumerGroup = group;
  return event;
}

function stringList(read: Reader, value: unknown, path: string): string[] {
  if (typeof value === 'string') return [value];
  return (read.array(value, path) ?? []).flatMap(
    (item, i) => read.string(item, `${path}[${i}]`) ?? [],
  );
}

function cloudEventEvent(
  read: Reader,
  body: unknown,
  path: string,
  named: Namer,
): CloudEventEvent | undefined {
  const raw = body === null || body === true ? {} : read.object(body, path);
  if (!raw) return undefined;
  const broker = read.string(raw.broker, `${path}.broker`) ?? DEFAULT_BROKER;
  checkName(read.problems, `${path}.broker`, broker, dns1123LabelProblem);
  const filter = read.object(raw.filter, `${path}.filter`) ?? {};
  for (const key of Object.keys(filter)) {
    if (key !== 'attributes')
      read.problems.add(
        `${path}.filter.${key}`,
        'is not supported; put CloudEvent attributes under filter.attributes (e.g. type: com.example.order)',
      );
  }
  const attributes = read.stringMap(filter.attributes, `${path}.filter.attributes`);
  return named<CloudEventEvent>({ kind: 'cloudEvent', broker, filter: attributes });
}

const KIND_TOKEN: Record<FunctionEvent['kind'], (event: FunctionEvent) => string> = {
  http: () => 'http',
  schedule: () => 'schedule',
  queue: (event) => (event as QueueEvent).queue,
  cloudEvent: () => 'cloudevent',
  kafkaSource: () => 'kafka',
};

/** Generated names are `<function>-<kind>-<n>`; user names are kept. Names must be DNS-1123 labels. */
export function nameEvents(
  problems: Problems,
  fn: FunctionModel,
  rawEvents: unknown[],
  path: string,
): void {
  const counters = new Map<string, number>();
  fn.events.forEach((event) => {
    if (event.name !== '') return;
    const token = KIND_TOKEN[event.kind](event);
    const index = counters.get(token) ?? 0;
    counters.set(token, index + 1);
    event.name = `${fn.name}-${token}-${index}`;
  });
  fn.events.forEach((event) => {
    const problem = dns1123LabelProblem(event.name);
    if (problem) {
      const rawIndex = rawEvents.findIndex(
        (raw) =>
          isObject(raw) &&
          isObject(Object.values(raw)[0]) &&
          (Object.values(raw)[0] as Obj).name === event.name,
      );
      problems.add(
        rawIndex >= 0 ? `${path}.events[${rawIndex}].name` : `${path}.events`,
        `${problem}; set a shorter name: on the event`,
      );
    }
  });
}
