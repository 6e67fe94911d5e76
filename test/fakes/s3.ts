/**
 * A fake S3 of buckets and keys: GetObject streams the stored bytes as the SDK does, PutObject stores them, and
 * a TemplateURL resolves as CloudFormation resolves it. Every call is recorded.
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { zipSync } from 'fflate';
import { CLIENT_CONFIG, METADATA, refuseUnmodelled } from './aws';

export interface S3Call {
  readonly op: 'GetObject' | 'PutObject';
  readonly bucket: string;
  readonly key: string;
}

export class FakeS3 {
  public readonly client = new S3Client(CLIENT_CONFIG);
  public readonly mock = mockClient(this.client);
  public readonly calls: S3Call[] = [];
  public readonly objects = new Map<string, Uint8Array>();
  /** ContentLength to report instead of the real one (to model huge objects cheaply). */
  public readonly reportedLength = new Map<string, number>();

  constructor() {
    refuseUnmodelled(this.mock, 'FakeS3');
    this.mock.on(GetObjectCommand).callsFake(async (input) => {
      this.calls.push({ op: 'GetObject', bucket: input.Bucket!, key: input.Key! });
      const id = `${input.Bucket}/${input.Key}`;
      const bytes = this.objects.get(id);
      if (!bytes) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { ...METADATA, httpStatusCode: 404 } });
      return {
        ContentLength: this.reportedLength.get(id) ?? bytes.length,
        Body: sdkStreamMixin(Readable.from([Buffer.from(bytes)])),
      };
    });
    this.mock.on(PutObjectCommand).callsFake(async (input) => {
      this.calls.push({ op: 'PutObject', bucket: input.Bucket!, key: input.Key! });
      const body = input.Body;
      this.objects.set(`${input.Bucket}/${input.Key}`, typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body as Uint8Array));
      return { ETag: '"fake"' };
    });
  }

  public put(bucket: string, key: string, body: string | Uint8Array): void {
    this.objects.set(`${bucket}/${key}`, typeof body === 'string' ? new TextEncoder().encode(body) : body);
  }

  public text(bucket: string, key: string): string | undefined {
    const bytes = this.objects.get(`${bucket}/${key}`);
    return bytes ? new TextDecoder().decode(bytes) : undefined;
  }

  /** Resolves an S3 URL as CloudFormation does with a TemplateURL: path-style or virtual-hosted-style. */
  public textAtUrl(url: string): string | undefined {
    const pathStyle = /^https:\/\/s3\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^/]+)\/(.+)$/.exec(url);
    if (pathStyle) return this.text(decodeURIComponent(pathStyle[1]), pathStyle[2].split('/').map(decodeURIComponent).join('/'));
    const virtual = /^https:\/\/([^/]+)\.s3\.[a-z0-9-]+\.amazonaws\.com\/(.+)$/.exec(url);
    return virtual ? this.text(virtual[1], virtual[2]) : undefined;
  }
}

/** A pipeline input artifact: a real zip archive of the given files, as CodePipeline stores it. */
export function zip(files: Record<string, string | Uint8Array>): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, content] of Object.entries(files)) {
    entries[name] = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  }
  return zipSync(entries);
}
