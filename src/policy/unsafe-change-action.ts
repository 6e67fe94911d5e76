import type { UnsafeChangeDocument } from './policy-document';

/**
 * What the workflow does when the safety policy refuses a change set.
 *
 * @example
 * const onUnsafe = UnsafeChangeAction.fail();
 */
export abstract class UnsafeChangeAction {
  /**
   * Delete the change set without executing it and fail the pipeline action, naming each offending
   * resource and the rule that refused it. The default.
   */
  public static fail(): UnsafeChangeAction {
    return new DocumentAction({ type: 'fail' });
  }

  /**
   * Concrete, not abstract: a Python or Java subclass (jsii lets one be written) gets this clear error,
   * not "_render is not a function".
   * @internal
   */
  public _render(): UnsafeChangeDocument {
    throw new Error('UnsafeChangeAction: use UnsafeChangeAction.fail(); subclasses are not supported');
  }
}

class DocumentAction extends UnsafeChangeAction {
  constructor(private readonly document: UnsafeChangeDocument) {
    super();
  }

  public _render(): UnsafeChangeDocument {
    return this.document;
  }
}
