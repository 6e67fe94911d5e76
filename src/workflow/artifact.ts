/**
 * Reading the template (and its configuration file) out of the pipeline's input artifact zip. The archive is
 * the pipeline's input: whoever can push to the source writes it, so it is read defensively. yauzl reads the
 * central directory, refuses entry names that escape the root, and fails a stream whose data is longer or
 * shorter than the entry's declared size; the CRC-32 of what was read is compared with the entry's; declared
 * and actual sizes are bounded, and so is the time spent inflating.
 */
import { crc32 } from 'zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import * as yauzl from 'yauzl';
import { LIMITS, STAGING_PREFIX } from '../shared/contract';
import type { ArtifactLocation, Deployment } from '../shared/contract';
import { ConfigurationError, truncate } from '../shared/errors';
import { decodeText, parseJson, shownKey } from '../shared/json';

export interface TemplateConfiguration {
  readonly Parameters?: Record<string, string>;
  readonly Tags?: Record<string, string>;
  readonly StackPolicy?: Record<string, unknown>;
}

export interface DeploymentFiles {
  readonly template: string;
  readonly configuration: TemplateConfiguration;
}

/** The longest the extraction of an artifact's files may take. */
const EXTRACT_TIMEOUT_MS = 10_000;

/** Downloads the artifact and extracts the named files, refusing oversized, corrupt or path-traversing archives. */
export async function readArtifactFiles(
  s3: S3Client, artifact: ArtifactLocation, paths: string[],
): Promise<Map<string, Uint8Array>> {
  const object = await s3.send(new GetObjectCommand({ Bucket: artifact.bucket, Key: artifact.key }));
  if ((object.ContentLength ?? 0) > LIMITS.artifactZip) {
    throw new ConfigurationError(
      `the input artifact is ${object.ContentLength} bytes, over the ${LIMITS.artifactZip} bytes this action reads`);
  }
  const bytes = await object.Body!.transformToByteArray();
  if (bytes.length > LIMITS.artifactZip) {
    throw new ConfigurationError(`the input artifact is over the ${LIMITS.artifactZip} bytes this action reads`);
  }
  return extractFiles(bytes, paths);
}

/** Extracts `paths` from zip bytes; every other entry is listed, never inflated. */
export async function extractFiles(zip: Uint8Array, paths: string[], timeoutMs = EXTRACT_TIMEOUT_MS): Promise<Map<string, Uint8Array>> {
  let archive: yauzl.ZipFile;
  try {
    archive = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      const options = { lazyEntries: true, validateEntrySizes: true, strictFileNames: true };
      yauzl.fromBuffer(Buffer.from(zip), options, (e, z) => (e ? reject(e) : resolve(z)));
    });
  } catch (e) {
    throw unreadable(e);
  }
  const names: string[] = [];
  const result = new Map<string, Uint8Array>();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConfigurationError(`the input artifact took over ${timeoutMs / 1000} s to read: refusing it`)), timeoutMs);
  });
  try {
    await Promise.race([deadline, new Promise<void>((resolve, reject) => {
      archive.on('error', (e) => reject(unreadable(e)));
      archive.on('end', () => resolve());
      archive.on('entry', (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        if (!paths.includes(entry.fileName)) {
          archive.readEntry();
          return;
        }
        readEntry(archive, entry).then((bytes) => {
          result.set(entry.fileName, bytes);
          archive.readEntry();
        }, reject);
      });
      archive.readEntry();
    })]);
  } finally {
    clearTimeout(timer);
    archive.close();
  }
  for (const path of paths) {
    if (!result.has(path)) {
      const listing = names.filter((n) => !n.endsWith('/')).slice(0, 20).map((n) => truncate(n, 100)).join(', ') || 'nothing';
      throw new ConfigurationError(`${path} is not in the input artifact (it holds: ${listing})`);
    }
  }
  return result;
}

/** One entry's bytes: at most the template size limit, exactly its declared size, with the right CRC-32. */
async function readEntry(archive: yauzl.ZipFile, entry: yauzl.Entry): Promise<Uint8Array> {
  if (entry.uncompressedSize > LIMITS.templateUrl) {
    throw new ConfigurationError(`${entry.fileName} in the input artifact is over ${LIMITS.templateUrl} bytes`);
  }
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
    archive.openReadStream(entry, (e, s) => (e ? reject(unreadable(e, entry.fileName)) : resolve(s)));
  });
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      length += chunk.length;
      // yauzl stops at the declared size too; this bounds memory whatever the entry claims.
      if (length > LIMITS.templateUrl) throw new ConfigurationError(`${entry.fileName} in the input artifact is over ${LIMITS.templateUrl} bytes`);
      chunks.push(chunk);
    }
  } catch (e) {
    (stream as unknown as { destroy?: () => void }).destroy?.();
    throw e instanceof ConfigurationError ? e : unreadable(e, entry.fileName);
  }
  const bytes = Buffer.concat(chunks);
  // Both are unsigned 32-bit values (zlib.crc32 and yauzl's reading of the central directory).
  if (crc32(bytes) !== entry.crc32) {
    throw new ConfigurationError(`${entry.fileName} in the input artifact is corrupt (its CRC-32 does not match): refusing it`);
  }
  return bytes;
}

/** yauzl's reasons are about the archive's structure, not its content; entry names are cut short. */
function unreadable(e: unknown, entry?: string): ConfigurationError {
  const reason = truncate((e as Error)?.message ?? String(e), 200);
  if (/^(absolute path|invalid relative path|invalid characters in fileName):/.test(reason)) {
    return new ConfigurationError(`the input artifact has entries that escape its root (${reason}): refusing it`);
  }
  return new ConfigurationError(`the input artifact is not a readable zip archive${entry ? ` (entry ${truncate(entry, 100)})` : ''}: ${reason}`);
}

export async function readDeploymentFiles(s3: S3Client, deployment: Deployment): Promise<DeploymentFiles> {
  const paths = [deployment.templatePath, ...(deployment.templateConfigurationPath ? [deployment.templateConfigurationPath] : [])];
  const files = await readArtifactFiles(s3, inputArtifact(deployment), paths);
  const decode = (path: string) => decodeText(files.get(path)!);
  const template = decode(deployment.templatePath);
  if (template.trim() === '') throw new ConfigurationError(`${deployment.templatePath} in the input artifact is empty`);
  const configuration = deployment.templateConfigurationPath
    ? parseTemplateConfiguration(decode(deployment.templateConfigurationPath), deployment.templateConfigurationPath)
    : {};
  return { template, configuration };
}

/** The native CloudFormation action's template configuration file: Parameters, Tags, StackPolicy. */
export function parseTemplateConfiguration(text: string, path: string): TemplateConfiguration {
  let parsed: any;
  try {
    parsed = parseJson(text, path);
  } catch (e) {
    throw new ConfigurationError((e as Error).message);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigurationError(`${path} must be a JSON object with Parameters, Tags and/or StackPolicy`);
  }
  const unknown = Object.keys(parsed).filter((k) => !['Parameters', 'Tags', 'StackPolicy'].includes(k));
  if (unknown.length > 0) {
    // Whoever commits to the source writes this file: a key that is not a plain name is shown quoted and cut short.
    throw new ConfigurationError(`${path} has unknown keys ${unknown.map(shownKey).join(', ')} (known: Parameters, Tags, StackPolicy)`);
  }
  for (const key of ['Parameters', 'Tags']) {
    const value = parsed[key];
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value)
      || Object.values(value).some((v) => typeof v !== 'string'))) {
      throw new ConfigurationError(`${path}: ${key} must be an object of string values`);
    }
  }
  if (parsed.StackPolicy !== undefined
    && (parsed.StackPolicy === null || typeof parsed.StackPolicy !== 'object' || Array.isArray(parsed.StackPolicy))) {
    throw new ConfigurationError(`${path}: StackPolicy must be an object`);
  }
  return parsed;
}

/**
 * Templates over CloudFormation's inline limit are staged in the artifact bucket and passed as TemplateURL:
 * a path-style URL in the partition's own domain, which works for bucket names with dots and outside the
 * aws partition (amazonaws.com.cn, ...).
 */
export async function stageTemplate(
  s3: S3Client, deployment: Deployment, template: string, region: string, urlSuffix: string,
): Promise<string> {
  const key = `${STAGING_PREFIX}/${deployment.stackName}/${deployment.changeSetName}.template`;
  const { bucket } = inputArtifact(deployment);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: template }));
  const path = [bucket, ...key.split('/')].map(encodeURIComponent).join('/');
  return `https://s3.${region}.${urlSuffix}/${path}`;
}

export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** The deployment's input artifact: a review of prepared change sets has none, and reads no template. */
function inputArtifact(deployment: Deployment): ArtifactLocation {
  if (!deployment.artifact) throw new ConfigurationError(`the deployment of stack ${deployment.stackName} has no input artifact to read a template from`);
  return deployment.artifact;
}
