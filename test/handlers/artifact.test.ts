/**
 * The template (and its configuration file) come from the input artifact zip in S3. Real zips built
 * with fflate; S3 bodies streamed through sdkStreamMixin by the fake.
 */
import { CreateChangeSetCommand, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import 'aws-sdk-client-mock-jest';
import { ARTIFACT, SMALL_TEMPLATE, TEMPLATE_PATH, deployment } from './fixtures';
import { REGION, zip } from '../fakes';
import { EXECUTION_ARN, TaskWorld } from './task-support';
import { LIMITS, STAGING_PREFIX } from '../../src/shared/contract';
import { extractFiles, parseTemplateConfiguration } from '../../src/workflow/artifact';

/** Changes the central directory record of `name` in a zip (offsets from APPNOTE 4.3.12). */
function patchCentralDirectory(bytes: Uint8Array, name: string, patch: (view: DataView, at: number) => void): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 46 <= bytes.length; at++) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const nameLength = view.getUint16(at + 28, true);
    if (new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)) === name) {
      patch(view, at);
      return;
    }
  }
  throw new Error(`no central directory record for ${name}`);
}

/** A JSON template of exactly `bytes` bytes (UTF-8). */
function templateOfSize(bytes: number): string {
  const empty = JSON.stringify({ Description: '', Resources: { Queue: { Type: 'AWS::SQS::Queue' } } });
  const text = JSON.stringify({ Description: 'x'.repeat(bytes - empty.length), Resources: { Queue: { Type: 'AWS::SQS::Queue' } } });
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

describe('reading the template from the artifact', () => {
  test('readTemplate downloads the artifact of the job and measures the template; small templates stay inline', async () => {
    // GIVEN an artifact zip with the template at templatePath
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: SMALL_TEMPLATE, 'README.md': '# app' });

    // WHEN the workflow reads the template
    const result = await world.run('readTemplate');

    // THEN the artifact was read from the job's location and nothing was staged
    expect(world.s3.mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: ARTIFACT.bucket, Key: ARTIFACT.key });
    expect(result).toEqual({ size: Buffer.byteLength(SMALL_TEMPLATE) });
    expect(world.s3.mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  test('a template of exactly 51,200 bytes is passed inline', async () => {
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: templateOfSize(LIMITS.templateBody) });
    await expect(world.run('readTemplate')).resolves.toEqual({ size: LIMITS.templateBody });
    expect(world.s3.mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  test('a template over 51,200 bytes is staged in the artifact bucket with PutObject and returned as templateUrl', async () => {
    // GIVEN a template one byte over CloudFormation's inline limit
    const template = templateOfSize(LIMITS.templateBody + 1);
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: template });

    // WHEN the workflow reads the template
    const result = await world.run('readTemplate');

    // THEN the template was written to the staging prefix of the artifact bucket and its URL returned
    const key = `${STAGING_PREFIX}/prod-sample-app/${deployment().changeSetName}.template`;
    expect(world.s3.mock).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: ARTIFACT.bucket, Key: key });
    expect(world.s3.text(ARTIFACT.bucket, key)).toBe(template);
    expect(result).toEqual({ size: LIMITS.templateBody + 1, templateUrl: `https://s3.${REGION}.amazonaws.com/${ARTIFACT.bucket}/${key}` });
  });

  test('GIVEN a bucket name with dots in the aws-cn partition THEN the staged URL is path-style in the partition\'s own domain', async () => {
    // Virtual-hosted URLs break TLS for bucket names with dots, and amazonaws.com is not China's domain.
    const world = new TaskWorld();
    const artifact = { bucket: 'codepipeline.cn-north-1.artifacts', key: 'pipe/Source/abc' };
    world.s3.put(artifact.bucket, artifact.key, zip({ [TEMPLATE_PATH]: templateOfSize(LIMITS.templateBody + 1) }));
    const result = await world.runAs<{ templateUrl: string }>('readTemplate', { deployment: deployment({ artifact }) }, EXECUTION_ARN, {
      region: 'cn-north-1', urlSuffix: 'amazonaws.com.cn',
    });
    expect(result.templateUrl).toBe(`https://s3.cn-north-1.amazonaws.com.cn/codepipeline.cn-north-1.artifacts/${STAGING_PREFIX}/prod-sample-app/${deployment().changeSetName}.template`);
  });

  test('the limit is in bytes, not characters: 30,000 two-byte characters are staged', async () => {
    const template = JSON.stringify({ Description: 'é'.repeat(30_000), Resources: { Queue: { Type: 'AWS::SQS::Queue' } } });
    expect(template.length).toBeLessThan(LIMITS.templateBody);
    expect(Buffer.byteLength(template)).toBeGreaterThan(LIMITS.templateBody);
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: template });
    const result = await world.run('readTemplate');
    expect(result.templateUrl).toBeDefined();
    expect(world.s3.mock).toHaveReceivedCommandTimes(PutObjectCommand, 1);
  });

  test('the staged URL is what the change set is created from', async () => {
    // GIVEN readTemplate staged a large template
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: templateOfSize(80_000) });
    world.cloudformation.putStack('prod-sample-app', 'UPDATE_COMPLETE');
    const template = await world.run('readTemplate');

    // WHEN the change set is created with that state
    await world.run('createChangeSet', { template, stack: { exists: true, status: 'UPDATE_COMPLETE', next: 'CHANGE_SET', waitSeconds: 5 } });

    // THEN CloudFormation gets TemplateURL, not an oversized TemplateBody
    expect(world.cloudformation.mock).toHaveReceivedCommandWith(CreateChangeSetCommand, { TemplateURL: template.templateUrl });
    expect(world.cloudformation.mock.commandCalls(CreateChangeSetCommand)[0].args[0].input.TemplateBody).toBeUndefined();
  });

  test('template missing from the artifact: ConfigurationError listing what the zip holds', async () => {
    // GIVEN an artifact whose template has another name
    const world = new TaskWorld().artifact({ 'cdk.out/': new Uint8Array(), 'cdk.out/Other.template.json': '{}', 'README.md': '# app' });

    // WHEN the workflow reads the template
    const result = world.run('readTemplate');

    // THEN the error names the path and lists the files of the zip (not its directories)
    await expect(result).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: `${TEMPLATE_PATH} is not in the input artifact (it holds: cdk.out/Other.template.json, README.md)`,
    });
  });

  test('an empty zip: the listing says it holds nothing', async () => {
    const world = new TaskWorld().artifact({});
    await expect(world.run('readTemplate')).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining('(it holds: nothing)') });
  });

  test.each([
    ['a "../" entry', '../../etc/cron.d/evil'],
    ['a nested "../" entry', 'cdk.out/../../evil.sh'],
    ['an absolute entry', '/etc/cron.d/evil'],
    ['a backslash entry', '..\\..\\evil.bat'],
  ])('zip slip: an artifact with %s is refused even though the template is there', async (_what, entry) => {
    // GIVEN a zip holding the template and an entry that escapes the archive root
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: SMALL_TEMPLATE, [entry]: 'payload' });

    // WHEN the workflow reads the template
    const result = world.run('readTemplate');

    // THEN the whole artifact is refused, naming the entry
    await expect(result).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining('escape its root') });
    await expect(result).rejects.toThrow(entry);
    expect(world.s3.mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  test('bytes that are not a zip: ConfigurationError', async () => {
    const world = new TaskWorld();
    world.s3.put(ARTIFACT.bucket, ARTIFACT.key, SMALL_TEMPLATE);
    await expect(world.run('readTemplate')).rejects.toMatchObject({
      name: 'ConfigurationError', message: expect.stringContaining('not a readable zip archive'),
    });
  });

  test('an artifact whose ContentLength is over the limit is refused before it is read', async () => {
    // GIVEN S3 reports an artifact one byte over the limit
    const world = new TaskWorld().artifact();
    world.s3.reportedLength.set(`${ARTIFACT.bucket}/${ARTIFACT.key}`, LIMITS.artifactZip + 1);

    // WHEN the workflow reads the template
    const result = world.run('readTemplate');

    // THEN it is refused, naming the size and the limit
    await expect(result).rejects.toMatchObject({
      name: 'ConfigurationError', message: expect.stringContaining(`${LIMITS.artifactZip + 1} bytes, over the ${LIMITS.artifactZip} bytes`),
    });
  });

  test('a template entry over 1,000,000 bytes uncompressed is refused (a zip bomb does not get inflated)', async () => {
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: templateOfSize(LIMITS.templateUrl + 1) });
    await expect(world.run('readTemplate')).rejects.toMatchObject({
      name: 'ConfigurationError', message: `${TEMPLATE_PATH} in the input artifact is over ${LIMITS.templateUrl} bytes`,
    });
  });

  test('an empty template is refused', async () => {
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: '  \n' });
    await expect(world.run('readTemplate')).rejects.toMatchObject({ name: 'ConfigurationError', message: `${TEMPLATE_PATH} in the input artifact is empty` });
  });

  test('an artifact that is gone from S3 fails the task (NoSuchKey is not read as "no template")', async () => {
    const world = new TaskWorld();
    await expect(world.run('readTemplate')).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  test('extractFiles returns exactly the requested entries', async () => {
    const files = await extractFiles(zip({ 'a.json': 'A', 'b/c.json': 'C', 'd.txt': 'D' }), ['a.json', 'b/c.json']);
    expect([...files.keys()].sort()).toEqual(['a.json', 'b/c.json']);
    expect(new TextDecoder().decode(files.get('b/c.json'))).toBe('C');
  });

  test('GIVEN an entry whose central directory claims fewer bytes than it holds THEN it is refused, not silently cut short', async () => {
    // A lying header used to truncate the template silently to the declared size.
    const bytes = zip({ [TEMPLATE_PATH]: SMALL_TEMPLATE });
    patchCentralDirectory(bytes, TEMPLATE_PATH, (view, at) => view.setUint32(at + 24, 10, true));
    await expect(extractFiles(bytes, [TEMPLATE_PATH])).rejects.toMatchObject({
      name: 'ConfigurationError', message: expect.stringMatching(/not a readable zip archive \(entry .*\): too many bytes in the stream/),
    });
  });

  test('GIVEN an entry whose CRC-32 does not match its content THEN it is refused as corrupt', async () => {
    const bytes = zip({ [TEMPLATE_PATH]: SMALL_TEMPLATE });
    patchCentralDirectory(bytes, TEMPLATE_PATH, (view, at) => view.setUint32(at + 16, (view.getUint32(at + 16, true) + 1) % 2 ** 32, true));
    await expect(extractFiles(bytes, [TEMPLATE_PATH])).rejects.toMatchObject({
      name: 'ConfigurationError', message: `${TEMPLATE_PATH} in the input artifact is corrupt (its CRC-32 does not match): refusing it`,
    });
  });

  test('GIVEN an archive whose reading does not end in time THEN it is refused (inflating is bounded in time)', async () => {
    // A zero time budget: whatever the archive, the bound is what ends the read.
    await expect(extractFiles(zip({ [TEMPLATE_PATH]: templateOfSize(900_000) }), [TEMPLATE_PATH], 0)).rejects.toMatchObject({
      name: 'ConfigurationError', message: 'the input artifact took over 0 s to read: refusing it',
    });
  });
});

describe('the template configuration file', () => {
  const configPath = 'config/prod.json';

  test('Parameters, Tags and StackPolicy are read and applied to the stack', async () => {
    // GIVEN a configuration file next to the template
    const world = new TaskWorld().artifact({
      [TEMPLATE_PATH]: SMALL_TEMPLATE,
      [configPath]: JSON.stringify({ Parameters: { Stage: 'prod' }, Tags: { team: 'payments' }, StackPolicy: { Statement: [] } }),
    });

    // WHEN the stack is created
    await world.run('createStack', { deployment: deployment({ templateConfigurationPath: configPath }) });

    // THEN CloudFormation received its contents
    expect(world.cloudformation.mock).toHaveReceivedCommandWith(CreateStackCommand, {
      Parameters: [{ ParameterKey: 'Stage', ParameterValue: 'prod' }],
      Tags: [{ Key: 'team', Value: 'payments' }],
      StackPolicyBody: JSON.stringify({ Statement: [] }),
    });
  });

  test.each([
    ['unknown keys (a typo)', JSON.stringify({ Parameter: { Stage: 'prod' } }), 'has unknown keys Parameter (known: Parameters, Tags, StackPolicy)'],
    ['non-string parameter values', JSON.stringify({ Parameters: { Count: 3 } }), 'Parameters must be an object of string values'],
    ['tags as a list', JSON.stringify({ Tags: [{ Key: 'a', Value: 'b' }] }), 'Tags must be an object of string values'],
    ['a stack policy that is a list', JSON.stringify({ StackPolicy: [] }), 'StackPolicy must be an object'],
    ['null Parameters', JSON.stringify({ Parameters: null }), 'Parameters must be an object of string values'],
    ['null Tags', JSON.stringify({ Tags: null }), 'Tags must be an object of string values'],
    ['a null stack policy', JSON.stringify({ StackPolicy: null }), 'StackPolicy must be an object'],
    ['not JSON', 'Parameters:\n  Stage: prod\n', 'is not valid JSON'],
    ['a JSON array', '[]', 'must be a JSON object'],
  ])('a configuration file with %s is refused before the stack is touched', async (_what, content, problem) => {
    // GIVEN a wrong configuration file
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: SMALL_TEMPLATE, [configPath]: content });

    // WHEN the workflow reads the template (the first task)
    const result = world.run('readTemplate', { deployment: deployment({ templateConfigurationPath: configPath }) });

    // THEN it fails as a ConfigurationError naming the file and the problem
    await expect(result).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining(configPath) });
    await expect(result).rejects.toThrow(problem);
    expect(world.cloudformation.mock.calls()).toHaveLength(0);
  });

  test('a configuration file missing from the artifact is named', async () => {
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: SMALL_TEMPLATE });
    await expect(world.run('readTemplate', { deployment: deployment({ templateConfigurationPath: configPath }) }))
      .rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining(`${configPath} is not in the input artifact`) });
  });

  test('parseTemplateConfiguration keeps the known keys as given', () => {
    const parsed = parseTemplateConfiguration(JSON.stringify({ Parameters: { A: '1' }, Tags: {} }), 'c.json');
    expect(parsed).toEqual({ Parameters: { A: '1' }, Tags: {} });
  });
});
