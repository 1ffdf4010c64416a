// `serverless info`: service, stage, namespace and, per function, what the provider reads back
// from the cluster (runtime, handler, ready x/y, triggers with URLs, Knative revisions/traffic).
import type { Command } from './context.js';
import { functionInfoLines } from './report.js';

export const infoCommand: Command = async (ctx) => {
  const { model, provider } = ctx;
  const client = await ctx.cluster();
  const lines = [
    `service:   ${model.service}`,
    `stage:     ${model.stage}`,
    `provider:  ${provider.name}`,
    `cluster:   ${client.clusterName}`,
    `namespace: ${model.namespace}`,
    'functions:',
  ];
  for (const fn of model.functions) {
    const info = await provider.describe(client, model, fn);
    lines.push(...functionInfoLines(info).map((line) => `  ${line}`));
    if (fn.namespace !== model.namespace) lines.push(`      namespace: ${fn.namespace}`);
  }
  ctx.utils.writeText(lines);
};
