/** Reading the template (and its configuration file) out of the pipeline's input artifact zip (B17). */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { unzipSync } from 'fflate';
import { LIMITS, STAGING_PREFIX } from '../shared/contract';
import type { ArtifactLocation, Deployment } from '../shared/contract';
import { ConfigurationError } from '../shared/errors';

export interface TemplateConfiguration {
  readonly Parameters?: Record<string, string>;
  readonly Tags?: Record<string, string>;
  readonly StackPolicy?: Record<string, unknown>;
}

export interface DeploymentFiles {
  readonly template: string;
  readonly configuration: TemplateConfiguration;
}

/** Downloads the artifact and extracts the named files, refusing oversized or path-traversing archives. */
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

/** Pure: extracts `paths` from zip bytes. */
export function extractFiles(zip: Uint8Array, paths: string[]): Map<string, Uint8Array> {
  const names: string[] = [];
  const oversized: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (file) => {
        names.push(file.name);
        if (!paths.includes(file.name)) return false;
        if (file.originalSize > LIMITS.templateUrl) {
          oversized.push(file.name);
          return false;
        }
        return true;
      },
    });
  } catch (e) {
    throw new ConfigurationError(`the input artifact is not a readable zip archive: ${(e as Error).message}`);
  }
  const traversing = names.filter((n) => n.startsWith('/') || n.includes('\\') || n.split('/').includes('..'));
  if (traversing.length > 0) {
    throw new ConfigurationError(
      `the input artifact has entries that escape its root (${traversing.slice(0, 5).join(', ')}): refusing it`);
  }
  if (oversized.length > 0) {
    throw new ConfigurationError(`${oversized.join(', ')} in the input artifact is over ${LIMITS.templateUrl} bytes`);
  }
  const result = new Map<string, Uint8Array>();
  for (const path of paths) {
    const file = files[path];
    if (!file) {
      const listing = names.filter((n) => !n.endsWith('/')).slice(0, 20).join(', ') || 'nothing';
      throw new ConfigurationError(`${path} is not in the input artifact (it holds: ${listing})`);
    }
    if (file.length > LIMITS.templateUrl) {
      throw new ConfigurationError(`${path} in the input artifact is over ${LIMITS.templateUrl} bytes`);
    }
    result.set(path, file);
  }
  return result;
}

export async function readDeploymentFiles(s3: S3Client, deployment: Deployment): Promise<DeploymentFiles> {
  const paths = [deployment.templatePath, ...(deployment.templateConfigurationPath ? [deployment.templateConfigurationPath] : [])];
  const files = await readArtifactFiles(s3, deployment.artifact, paths);
  const decode = (path: string) => new TextDecoder().decode(files.get(path)!);
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
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigurationError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigurationError(`${path} must be a JSON object with Parameters, Tags and/or StackPolicy`);
  }
  const unknown = Object.keys(parsed).filter((k) => !['Parameters', 'Tags', 'StackPolicy'].includes(k));
  if (unknown.length > 0) {
    throw new ConfigurationError(`${path} has unknown keys ${unknown.join(', ')} (known: Parameters, Tags, StackPolicy)`);
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

/** Templates over CloudFormation's inline limit are staged in the artifact bucket and passed as TemplateURL. */
export async function stageTemplate(s3: S3Client, deployment: Deployment, template: string, region: string): Promise<string> {
  const key = `${STAGING_PREFIX}/${deployment.stackName}/${deployment.changeSetName}.template`;
  await s3.send(new PutObjectCommand({ Bucket: deployment.artifact.bucket, Key: key, Body: template }));
  return `https://${deployment.artifact.bucket}.s3.${region}.amazonaws.com/${key}`;
}

export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}
