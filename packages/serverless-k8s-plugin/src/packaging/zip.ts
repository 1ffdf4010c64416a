// Deterministic zip: entries sorted by name, fixed timestamp and mode, so identical files give an
// identical archive and checksum (redeploying unchanged code changes nothing in the cluster).
import { createHash } from 'node:crypto';

// Loaded on first use: archiver and its dependencies take a noticeable part of a second to
// require, which commands that never zip (info, logs, invoke) should not pay.
const loadArchiver = () => import('archiver');
let archiverModule: ReturnType<typeof loadArchiver> | undefined;

/** 1980-01-01, the earliest DOS date a zip can hold (archiver stores it as UTC). */
const FIXED_DATE = new Date(Date.UTC(1980, 0, 1, 0, 0, 0));

/** Starts loading archiver, so it overlaps with bundling. */
export function preloadZip(): void {
  archiverModule ??= loadArchiver();
}

export async function zipFiles(files: Record<string, Buffer>): Promise<Buffer> {
  preloadZip();
  const archiver = (await archiverModule!).default;
  return new Promise((resolve, reject) => {
    const archive = archiver('zip', { zlib: { level: 9 } });
    const chunks: Buffer[] = [];
    archive.on('data', (chunk: Buffer) => chunks.push(chunk));
    archive.on('warning', reject);
    archive.on('error', reject);
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    for (const name of Object.keys(files).sort()) {
      archive.append(files[name]!, { name, date: FIXED_DATE, mode: 0o644 });
    }
    void archive.finalize();
  });
}

/** `sha256:<hex>`, the form Kubeless expects in spec.checksum. */
export function sha256Checksum(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
