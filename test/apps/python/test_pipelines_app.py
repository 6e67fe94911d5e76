"""pytest checks of the CDK Pipelines app (pipelines_app.py) against the built wheel."""
import json

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from aws_cdk.assertions import Template

from cdk_stepfunctions_deploy_action import ChangeSetReviewStep
from pipelines_app import PIPELINE_ENV, ShopStage, build_pipelines_app


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    app, stack = build_pipelines_app(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    app.synth()
    return Template.from_stack(stack)


def stage_actions(template: Template, name: str) -> list:
    [pipeline] = template.find_resources("AWS::CodePipeline::Pipeline").values()
    [stage] = [s for s in pipeline["Properties"]["Stages"] if s["Name"] == name]
    return stage["Actions"]


def user_parameters(action: dict) -> dict:
    value = action["Configuration"]["UserParameters"]
    if isinstance(value, str):
        return json.loads(value)
    separator, parts = value["Fn::Join"]
    return json.loads(separator.join(p if isinstance(p, str) else "<token>" for p in parts))


def test_stage_review_runs_after_every_prepare_and_before_any_deploy(template):
    actions = stage_actions(template, "Shop")
    [review] = [a for a in actions if a["ActionTypeId"]["Provider"] == "Lambda"]
    prepares = [a["RunOrder"] for a in actions if a["Configuration"].get("ActionMode") == "CHANGE_SET_REPLACE"]
    deploys = [a["RunOrder"] for a in actions if a["Configuration"].get("ActionMode") == "CHANGE_SET_EXECUTE"]
    assert len(prepares) == 2 and len(deploys) == 2
    assert max(prepares) < review["RunOrder"] < min(deploys)
    # Named after what it reviews, the stage's stacks: the step's id, not the first stack's name (Data.ReviewChangeSets).
    assert review["Name"] == "ReviewChangeSets"


def test_stage_review_configuration(template):
    [review] = [a for a in stage_actions(template, "Shop") if a["ActionTypeId"]["Provider"] == "Lambda"]
    config = user_parameters(review)
    assert config["prepared"] == "PipelineChange"
    assert config["stacks"] == ["Shop-Data", "Shop-Topics"]
    assert config["policy"] == {"type": "denyDestructive", "destructiveVerdict": "REQUIRE_APPROVAL"}
    assert config["onUnsafe"]["type"] == "requireApproval"


def test_single_stack_review_in_another_account_reads_through_its_deploy_role(template):
    actions = {a["Name"]: a for a in stage_actions(template, "Audit")}
    review = actions["Data.ReviewData"]
    assert actions["Data.Prepare"]["RunOrder"] < review["RunOrder"] < actions["Data.Deploy"]["RunOrder"]
    config = user_parameters(review)
    assert config["stacks"] == ["Audit-Data"]
    assert config["region"] == "us-west-2"
    assert config["assumeRoleArn"].endswith(":iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-us-west-2")


def test_one_workflow_for_both_steps(template):
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    template.resource_count_is("AWS::Lambda::Function", 4)


def test_for_stage_refuses_dependent_stacks():
    app = App()
    stack = Stack(app, "Pipeline", env=PIPELINE_ENV)
    pipelines.CodePipeline(stack, "Pipeline", synth=pipelines.ShellStep("Synth",
        input=pipelines.CodePipelineSource.s3(s3.Bucket(stack, "Source"), "source.zip"), commands=["npx cdk synth"]))
    stage = ShopStage(app, "Prod", dependent=True)
    with pytest.raises(RuntimeError, match="stack Prod-Topics depends on Prod-Data, a stack of the same stage"):
        ChangeSetReviewStep.for_stage(stage)
