export type {
  AnyHandler,
  Context,
  Event,
  EventExtensions,
  FunctionModule,
  Handler,
  Logger,
  LogLevel,
} from './types.js';
export {
  response,
  HttpError,
  type StructuredResponse,
  type StructuredResponseInit,
} from './response.js';
export { start, type StartOptions, type RuntimeHandle } from './server.js';
export {
  invokeHandler,
  type InvokeInput,
  type InvokeOptions,
  type InvokeResult,
} from './invoke-handler.js';
export { loadFunction, resolveModulePath } from './loader.js';
export { ConfigError } from './config.js';
