// The Serverless Framework v3 plugin: registers the `kubeless` and `knative` providers, maps the
// framework's lifecycle hooks to the command orchestrators in ./commands and turns a UserError
// into a framework error (message only, no stack). Serverless `require()`s dist/index.js and
// takes its `default` export.
import path from 'node:path';
import { connect } from './cluster/client.js';
import type { ClusterClient } from './cluster/types.js';
import type { CliOptions, Command, CommandContext, PluginUtils } from './commands/context.js';
import { deployFunctionCommand } from './commands/deploy-function.js';
import { deployCommand } from './commands/deploy.js';
import { infoCommand } from './commands/info.js';
import { invokeLocalCommand } from './commands/invoke-local.js';
import { invokeCommand } from './commands/invoke.js';
import { logsCommand } from './commands/logs.js';
import { metricsCommand } from './commands/metrics.js';
import { packageCommand } from './commands/package.js';
import { removeCommand } from './commands/remove.js';
import { serve } from './commands/serve.js';
import { providerSchema } from './config/schema.js';
import { normalize } from './model/normalize.js';
import type { ProviderName } from './model/types.js';
import { knativeProvider } from './providers/knative/index.js';
import { kubelessProvider } from './providers/kubeless/index.js';
import type { ProviderAdapter } from './providers/types.js';
import { closestSpelling } from './util/closest-spelling.js';
import { UserError } from './util/errors.js';

/** The parts of the Serverless instance this plugin uses. */
interface Serverless {
  service: {
    service: string;
    provider: { name: string; stage?: string; [key: string]: unknown };
    functions?: Record<string, unknown>;
    package?: { individually?: boolean };
  };
  serviceDir?: string;
  processedInput?: { commands?: string[] };
  configSchemaHandler: { defineProvider(name: string, schema: Record<string, unknown>): void };
  setProvider(name: string, provider: object): void;
  classes: { Error: new (message: string) => Error };
  pluginManager?: { hooks?: Record<string, { pluginName: string }[]> };
}

const ADAPTERS: Record<ProviderName, ProviderAdapter> = {
  kubeless: kubelessProvider,
  knative: knativeProvider,
};

function isProviderName(name: unknown): name is ProviderName {
  return name === 'kubeless' || name === 'knative';
}

// CLI options this plugin adds to the framework's commands (the framework validates them by type).
const WAIT_OPTIONS = {
  wait: {
    usage: 'Wait for the functions to be ready (default; --no-wait skips it)',
    type: 'boolean',
  },
  'wait-timeout': {
    usage: 'How long to wait for readiness, e.g. 90s or 5m (default 5m)',
    type: 'string',
  },
};
const REQUEST_OPTIONS = {
  'http-path': { usage: 'URL path to call, e.g. /users/42 (default /)', type: 'string' },
  method: { usage: 'HTTP method (default POST with data, GET without)', type: 'string' },
  header: { usage: 'Request header "Name: value" (repeatable)', type: 'multiple' },
};
const CLOUDEVENT_OPTIONS = {
  cloudevent: { usage: 'Send the data as a binary-mode CloudEvent (Knative)', type: 'boolean' },
  source: { usage: 'CloudEvent source (with --cloudevent)', type: 'string' },
};

const COMMANDS = {
  deploy: {
    options: WAIT_OPTIONS,
    commands: { function: { options: WAIT_OPTIONS } },
  },
  invoke: {
    options: {
      ...REQUEST_OPTIONS,
      ...CLOUDEVENT_OPTIONS,
      'via-proxy': {
        usage: "Go through the API server's proxy even when the function's route is reachable",
        type: 'boolean',
      },
    },
    commands: {
      local: {
        // The framework defines --type for `invoke` only; `invoke local` builds the same request.
        options: {
          ...REQUEST_OPTIONS,
          ...CLOUDEVENT_OPTIONS,
          type: { usage: 'CloudEvent type (with --cloudevent)', type: 'string' },
        },
      },
    },
  },
  logs: {
    options: {
      count: { usage: 'Show only the last N lines of each pod', shortcut: 'n', type: 'string' },
    },
  },
  remove: {
    options: {
      'wait-timeout': {
        usage: 'How long to wait until everything is gone (default 2m)',
        type: 'string',
      },
    },
  },
  serve: {
    usage: 'Serve the functions locally on one port, each in the runtime the cluster runs',
    lifecycleEvents: ['serve'],
    options: {
      function: { usage: 'Serve only this function', shortcut: 'f', type: 'string' },
      port: { usage: 'Port to listen on (default 3000; 0 picks a free one)', type: 'string' },
      host: { usage: 'Address to listen on (default 127.0.0.1)', type: 'string' },
      watch: { usage: 'Rebuild on source changes (default; --no-watch disables)', type: 'boolean' },
    },
  },
};

class ServerlessK8sPlugin {
  readonly hooks: Record<string, () => Promise<void>> = {};
  readonly commands: Record<string, unknown> = {};
  private context: CommandContext | undefined;
  private client: Promise<ClusterClient & { close?: () => void }> | undefined;

  constructor(
    private readonly serverless: Serverless,
    private readonly options: CliOptions,
    private readonly utils: PluginUtils,
  ) {
    serverless.configSchemaHandler.defineProvider('kubeless', providerSchema('kubeless'));
    serverless.configSchemaHandler.defineProvider('knative', providerSchema('knative'));
    const providerName = serverless.service.provider.name;
    if (!isProviderName(providerName)) {
      // A misspelt provider would otherwise fall through to the framework's default packaging
      // and exit 0 having deployed nothing.
      const meant = closestSpelling(String(providerName), Object.keys(ADAPTERS));
      if (meant) {
        throw new serverless.classes.Error(
          `provider.name "${String(providerName)}" is not supported; did you mean "${meant}"? (serverless-k8s takes kubeless or knative)`,
        );
      }
      // Loaded into a service of another provider (e.g. aws), the plugin stays out of the way.
      return;
    }
    serverless.setProvider(providerName, this);
    this.replaceDefaultPackaging();
    this.commands = COMMANDS;
    this.hooks = {
      'package:createDeploymentArtifacts': this.run(async (ctx) => {
        // `deploy` runs the package lifecycle first; it packages (and pushes images) itself.
        if (serverless.processedInput?.commands?.[0] !== 'deploy') await packageCommand(ctx);
      }),
      'deploy:deploy': this.run(deployCommand),
      'deploy:function:deploy': this.run(deployFunctionCommand),
      'invoke:invoke': this.run(invokeCommand),
      'invoke:local:invoke': this.run(invokeLocalCommand),
      'logs:logs': this.run(logsCommand),
      'info:info': this.run(infoCommand),
      'remove:remove': this.run(removeCommand),
      'metrics:metrics': this.run(metricsCommand),
      'serve:serve': this.run(serve),
    };
  }

  /**
   * The framework's Package plugin zips the whole service directory (18 s for a one-function
   * demo); this plugin bundles each function instead, so that hook is taken out.
   */
  private replaceDefaultPackaging(): void {
    const hooks = this.serverless.pluginManager?.hooks;
    const event = 'package:createDeploymentArtifacts';
    if (hooks?.[event]) hooks[event] = hooks[event].filter((hook) => hook.pluginName !== 'Package');
  }

  private commandContext(): CommandContext {
    if (this.context) return this.context;
    const service = this.serverless.service;
    const stage =
      (typeof this.options.stage === 'string' && this.options.stage) ||
      service.provider.stage ||
      'dev';
    const servicePath = this.serverless.serviceDir ?? process.cwd();
    const provider = ADAPTERS[service.provider.name as ProviderName];
    const model = normalize(
      {
        service: service.service,
        stage,
        servicePath,
        provider: service.provider,
        functions: service.functions ?? {},
        package: service.package,
      },
      provider.rules,
    );
    for (const warning of model.warnings) this.utils.log.warning(warning);
    this.context = {
      model,
      provider,
      options: this.options,
      utils: this.utils,
      cluster: () => {
        this.client ??= connect(model.context ? { context: model.context } : {}).then((client) => {
          client.onSlowRequest((message) => this.utils.log.notice(message));
          return client;
        });
        return this.client;
      },
      outputDir: path.join(servicePath, '.serverless'),
    };
    return this.context;
  }

  /** A hook running `command`: user mistakes become framework errors, connections are closed after. */
  private run(command: Command): () => Promise<void> {
    return async () => {
      try {
        await command(this.commandContext());
      } catch (error) {
        if (error instanceof UserError) throw new this.serverless.classes.Error(error.message);
        throw error;
      } finally {
        await this.closeClient();
      }
    };
  }

  /** Idle keep-alive connections would keep the CLI process from exiting. */
  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      (await client).close?.();
    } catch {
      // Connecting failed; that error was already reported by the command.
    }
  }
}

export default ServerlessK8sPlugin;
