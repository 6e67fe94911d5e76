"""A small Python CDK app that uses cdk-stepfunctions-deploy-action the way a Python user would.

It builds a pipeline (S3 source, then a stage with a StepFunctionsDeployAction) whose safety policy
is a list of rules. test_app.py synthesizes it and checks the template; `python app.py` synthesizes it
into ./cdk.out (or $CDK_OUTDIR) on its own.
"""
from typing import Optional

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as cpactions
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_stepfunctions_deploy_action import (
    ChangeAction,
    PolicyAction,
    Replacement,
    RuleVerdict,
    SafetyPolicy,
    SafetyRule,
    StepFunctionsDeployAction,
    UnsafeChangeAction,
    WhenAlarmFiring,
)


def rules_policy(default_verdict: Optional[RuleVerdict] = None) -> SafetyPolicy:
    """A custom rule-based policy: first match wins, unmatched changes get `default_verdict`."""
    rules = [
        SafetyRule(verdict=RuleVerdict.ALLOW, resource_types=["AWS::Lambda::Version"]),
        SafetyRule(verdict=RuleVerdict.REQUIRE_APPROVAL, resource_types=["AWS::IAM::*"]),
        SafetyRule(verdict=RuleVerdict.DENY, actions=[ChangeAction.REMOVE]),
        SafetyRule(
            verdict=RuleVerdict.DENY,
            replacements=[Replacement.TRUE, Replacement.CONDITIONAL],
            description="no replacement",
        ),
        SafetyRule(verdict=RuleVerdict.DENY, policy_actions=[PolicyAction.DELETE], logical_ids=["Db*"]),
        SafetyRule(verdict=RuleVerdict.ALLOW, actions=[ChangeAction.ADD, ChangeAction.MODIFY]),
    ]
    if default_verdict is None:
        return SafetyPolicy.from_rules(rules)
    return SafetyPolicy.from_rules(rules, default_verdict=default_verdict)


class PipelineStack(cdk.Stack):
    """A pipeline that deploys `dev-app` from `infra/app.yaml` in the source artifact."""

    def __init__(self, scope: Construct, construct_id: str, *, safety_policy: SafetyPolicy, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        source_bucket = s3.Bucket(self, "SourceBucket", versioned=True)
        source_output = codepipeline.Artifact("Source")
        # The application's error alarm: a rollback trigger while the stack is updated and for 10 minutes after.
        errors = cloudwatch.Alarm(
            self,
            "AppErrors",
            metric=cloudwatch.Metric(namespace="App", metric_name="Errors"),
            threshold=1,
            evaluation_periods=1,
        )

        self.deploy_action = StepFunctionsDeployAction(
            self,
            "DeployApp",
            action_name="DeployApp",
            stack_name="app",
            environment_name="dev",
            template_path=source_output.at_path("infra/app.yaml"),
            cfn_capabilities=[cdk.CfnCapabilities.NAMED_IAM],
            safety_policy=safety_policy,
            on_unsafe_change=UnsafeChangeAction.fail(),
            poll_interval=cdk.Duration.seconds(10),
            timeout=cdk.Duration.minutes(30),
            rollback_alarms=[errors],
            monitoring_time=cdk.Duration.minutes(10),
            when_alarm_firing=WhenAlarmFiring.FAIL,
            variables_namespace="Deploy",
        )

        self.pipeline = codepipeline.Pipeline(
            self,
            "Pipeline",
            cross_account_keys=False,
            stages=[
                codepipeline.StageProps(
                    stage_name="Source",
                    actions=[
                        cpactions.S3SourceAction(
                            action_name="Source",
                            bucket=source_bucket,
                            bucket_key="source.zip",
                            output=source_output,
                        )
                    ],
                ),
                codepipeline.StageProps(stage_name="Deploy", actions=[self.deploy_action]),
            ],
        )

        cdk.CfnOutput(self, "DeployedStack", value=self.deploy_action.stack_name)


def build_app(outdir: Optional[str] = None, default_verdict: Optional[RuleVerdict] = None):
    """Returns (app, stack) with the rule-based policy."""
    app = cdk.App(outdir=outdir) if outdir else cdk.App()
    stack = PipelineStack(app, "PythonPipelineStack", safety_policy=rules_policy(default_verdict))
    return app, stack


if __name__ == "__main__":
    app, _ = build_app()
    app.synth()
