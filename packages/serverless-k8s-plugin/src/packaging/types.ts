// What packaging produces for one function; providers render manifests from it.

export interface FunctionArtifact {
  functionKey: string;
  /** The bundled JavaScript (CommonJS), as the runtime loads it. */
  moduleFileName: string; // e.g. `handler.js`
  /** Zip of the bundle (+ source map, + package.json when dependencies are external). */
  zip: Buffer;
  /** `sha256:<hex>` of `zip`. */
  checksum: string;
  /** package.json content for spec.deps when dependencies are external, else ''. */
  deps: string;
  /** Individual files of the bundle, for ConfigMap delivery (Knative). */
  files: Record<string, Buffer>;
  /** Absolute directory where `files` were written (`<outDir>/<functionKey>`), e.g. for `invoke local`. */
  bundleDir?: string;
}
