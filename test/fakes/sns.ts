/** A fake SNS of the approvers' topics (UnsafeChangeAction.requireApproval): Publish keeps every message and enforces SNS's limits. */
import { InvalidParameterException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { CLIENT_CONFIG, METADATA, refuseUnmodelled } from './aws';

export interface Published {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
}

/** SNS topics that keep every message; Publish enforces SNS's limits on the subject and the message. */
export class FakeSns {
  public readonly client = new SNSClient(CLIENT_CONFIG);
  public readonly published: Published[] = [];
  private failure?: Error;

  constructor(public readonly topicArns: string[]) {
    const mock = mockClient(this.client);
    refuseUnmodelled(mock, 'FakeSns');
    mock.on(PublishCommand).callsFake(async (input) => {
      if (this.failure) throw this.failure;
      const invalid = (message: string) => new InvalidParameterException({ message: `Invalid parameter: ${message}`, $metadata: METADATA });
      if (!input.TopicArn || !this.topicArns.includes(input.TopicArn)) {
        const error = new Error('Topic does not exist');
        error.name = 'NotFoundException';
        throw error;
      }
      if (typeof input.Message !== 'string' || input.Message.length === 0) throw invalid('Message');
      if (Buffer.byteLength(input.Message) > 256 * 1024) throw invalid('Message too long');
      if (input.Subject !== undefined && (input.Subject.length > 100 || /[\r\n]/.test(input.Subject))) throw invalid('Subject');
      this.published.push({ topicArn: input.TopicArn, message: input.Message, ...(input.Subject !== undefined ? { subject: input.Subject } : {}) });
      return { MessageId: `message-${this.published.length}` };
    });
  }

  /** Every later Publish fails with `error`. */
  public failWith(error: Error): void {
    this.failure = error;
  }
}

