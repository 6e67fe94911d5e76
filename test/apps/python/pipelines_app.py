"""A CDK Pipelines app in Python: the change sets CDK Pipelines prepares are reviewed by ChangeSetReviewStep.

The shop stage's stacks (data, topics) are reviewed as one unit; the audit stage's one stack by a step of its own.
"""
from aws_cdk import App, Environment, Stack, Stage
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import pipelines
from constructs import Construct

from cdk_stepfunctions_deploy_action import ChangeSetReviewStep, RuleVerdict, SafetyPolicy, UnsafeChangeAction

PIPELINE_ENV = Environment(account="111111111111", region="eu-west-1")


class ShopStage(Stage):
    """The application: a data stack with a table, a topics stack, and optionally one that depends on the data stack."""

    def __init__(self, scope: Construct, construct_id: str, *, dependent: bool = False, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.data = Stack(self, "Data")
        dynamodb.Table(self.data, "Orders", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING))
        self.topics = Stack(self, "Topics")
        sns.Topic(self.topics, "Alerts")
        if dependent:
            self.topics.add_dependency(self.data)


def build_pipelines_app(outdir: str = None):
    app = App(outdir=outdir) if outdir else App()
    stack = Stack(app, "ShopPipeline", env=PIPELINE_ENV)
    pipeline = pipelines.CodePipeline(stack, "Pipeline",
        cross_account_keys=True,
        synth=pipelines.ShellStep("Synth",
            input=pipelines.CodePipelineSource.s3(s3.Bucket(stack, "Source", versioned=True), "source.zip"),
            commands=["npm ci", "npx cdk synth"],
        ),
    )
    shop = ShopStage(app, "Shop")
    approvers = sns.Topic(stack, "Approvers")
    pipeline.add_stage(shop, stack_steps=ChangeSetReviewStep.for_stage(shop,
        safety_policy=SafetyPolicy.deny_destructive_changes(destructive_change_verdict=RuleVerdict.REQUIRE_APPROVAL),
        on_unsafe_change=UnsafeChangeAction.require_approval(notification_topic=approvers),
    ))
    audit = ShopStage(app, "Audit", env=Environment(account="222222222222", region="us-west-2"))
    pipeline.add_stage(audit, stack_steps=[
        pipelines.StackSteps(stack=audit.data, change_set=[ChangeSetReviewStep("ReviewData")]),
    ])
    pipeline.build_pipeline()
    return app, stack
