// What every command receives from the plugin class. Commands are thin orchestrators: they
// take the model, call packaging / provider / cluster, and report through these utilities.
import type { ServiceModel } from '../model/types.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { ClusterClient } from '../cluster/types.js';

/** Serverless v3 plugin utilities (third constructor argument). */
export interface PluginUtils {
  log: {
    (message: string): void;
    error(message: string): void;
    warning(message: string): void;
    notice(message: string): void;
    info(message: string): void;
    debug(message: string): void;
    success(message: string): void;
    verbose(message: string): void;
  };
  writeText(text: string | string[]): void;
  progress: {
    create(options: { message: string; name?: string }): {
      update(message: string): void;
      remove(): void;
    };
  };
}

/** CLI options as the framework parses them (strings, booleans, or repeated strings as arrays). */
export type CliOptions = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  model: ServiceModel;
  provider: ProviderAdapter;
  options: CliOptions;
  utils: PluginUtils;
  /** Connects on first use (a command that needs no cluster never touches the kubeconfig). */
  cluster(): Promise<ClusterClient>;
  /** `.serverless/` under the service directory. */
  outputDir: string;
}

export type Command = (ctx: CommandContext) => Promise<void>;
