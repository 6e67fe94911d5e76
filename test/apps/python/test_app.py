"""pytest checks of the Python app (app.py) against the built wheel."""
import json
import os

import jsii
import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as cpactions
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

import cdk_stepfunctions_deploy_action as lib
from cdk_stepfunctions_deploy_action import (
    ChangeAction,
    RuleVerdict,
    SafetyPolicy,
    SafetyRule,
    StepFunctionsDeployAction,
)

from app import build_app, rules_policy

EXPECTED_RULES = [
    {"verdict": "ALLOW", "resourceTypes": ["AWS::Lambda::Version"]},
    {"verdict": "REQUIRE_APPROVAL", "resourceTypes": ["AWS::IAM::*"]},
    {"verdict": "DENY", "actions": ["Remove"]},
    {"verdict": "DENY", "replacements": ["True", "Conditional"], "description": "no replacement"},
    {"verdict": "DENY", "policyActions": ["Delete"], "logicalIds": ["Db*"]},
    {"verdict": "ALLOW", "actions": ["Add", "Modify"]},
]

TOKEN_PLACEHOLDER = "<token>"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = build_app(outdir=str(outdir))
    assembly = app.synth()
    return stack, Template.from_stack(stack), assembly


@pytest.fixture(scope="module")
def template(synthesized):
    return synthesized[1]


def parse_json_value(value) -> dict:
    """A JSON string property, parsed: a plain string, or an Fn::Join whose tokens become placeholders."""
    if isinstance(value, str):
        return json.loads(value)
    assert list(value) == ["Fn::Join"], value
    separator, parts = value["Fn::Join"]
    return json.loads(separator.join(p if isinstance(p, str) else TOKEN_PLACEHOLDER for p in parts))


def user_parameters(template: Template) -> dict:
    """The Deploy action's UserParameters, parsed (an Fn::Join, since the role ARN is a token)."""
    return parse_json_value(deploy_action(template)["Configuration"]["UserParameters"])


def deploy_action(template: Template) -> dict:
    pipelines = template.find_resources("AWS::CodePipeline::Pipeline")
    assert len(pipelines) == 1
    (pipeline,) = pipelines.values()
    stages = {s["Name"]: s for s in pipeline["Properties"]["Stages"]}
    assert list(stages) == ["Source", "Deploy"]
    actions = stages["Deploy"]["Actions"]
    assert len(actions) == 1
    return actions[0]


def test_one_state_machine(template):
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    definition = parse_json_value(machine["Properties"]["DefinitionString"])
    states = definition["States"]
    assert definition["StartAt"] in states
    kinds = {state["Type"] for state in states.values()}
    assert {"Task", "Choice", "Wait", "Succeed", "Fail"} <= kinds, kinds
    assert any("ChangeSet" in name.replace(" ", "") for name in states), list(states)


def test_four_nodejs22_functions(template):
    template.resource_count_is("AWS::Lambda::Function", 4)
    functions = template.find_resources("AWS::Lambda::Function")
    for fn in functions.values():
        assert fn["Properties"]["Runtime"] == "nodejs22.x"
        assert fn["Properties"]["Handler"] == "index.handler"
    descriptions = sorted(fn["Properties"]["Description"] for fn in functions.values())
    assert any("starts the deploy workflow" in d for d in descriptions), descriptions
    assert any("deploy workflow's tasks" in d for d in descriptions), descriptions
    assert any("status events" in d for d in descriptions), descriptions
    assert any("decision on a deployment waiting for approval" in d for d in descriptions), descriptions


def test_pipeline_lambda_action_invokes_the_trigger_function(template):
    action = deploy_action(template)
    assert action["ActionTypeId"] == {"Category": "Invoke", "Owner": "AWS", "Provider": "Lambda", "Version": "1"}
    assert action["Name"] == "DeployApp"
    assert action["Namespace"] == "Deploy"
    assert [a["Name"] for a in action["InputArtifacts"]] == ["Source"]
    ref = action["Configuration"]["FunctionName"]["Ref"]
    trigger = template.find_resources("AWS::Lambda::Function")[ref]
    assert "starts the deploy workflow" in trigger["Properties"]["Description"]


def test_pipeline_action_carries_the_rules_policy(template):
    params = user_parameters(template)
    assert params["policy"] == {"type": "rules", "rules": EXPECTED_RULES, "defaultVerdict": "DENY"}
    assert params["onUnsafe"] == {"type": "fail"}
    assert params["stackName"] == "app"
    assert params["environmentName"] == "dev"
    assert params["templatePath"] == "infra/app.yaml"
    assert params["capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert params["pollIntervalSeconds"] == 10
    assert params["timeoutMinutes"] == 30
    assert params["roleArn"] == TOKEN_PLACEHOLDER


def test_rollback_alarms_from_python(template):
    params = user_parameters(template)
    assert params["rollbackAlarms"] == [{"arn": TOKEN_PLACEHOLDER}]
    assert params["monitoringMinutes"] == 10
    assert params["whenAlarmFiring"] == "FAIL"
    statements = [
        s
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any(s["Action"] == "cloudwatch:DescribeAlarms" and s.get("Sid") == "ReadRollbackAlarms" for s in statements)


def test_default_verdict_option():
    _, stack = build_app(default_verdict=RuleVerdict.REQUIRE_APPROVAL)
    params = user_parameters(Template.from_stack(stack))
    assert params["policy"]["defaultVerdict"] == "REQUIRE_APPROVAL"
    assert params["policy"]["rules"] == EXPECTED_RULES


def test_action_properties_from_python(synthesized):
    stack, _, _ = synthesized
    action = stack.deploy_action
    assert action.stack_name == "dev-app"
    assert action.action_properties.action_name == "DeployApp"
    assert action.action_properties.category == codepipeline.ActionCategory.INVOKE
    assert stack.resolve(action.variable("Outcome")) == "#{Deploy.Outcome}"
    assert action.state_machine.node.path == action.deploy_state_machine.state_machine.node.path


def test_assets_are_in_the_wheel_and_the_cloud_assembly(synthesized):
    _, _, assembly = synthesized
    bundles = []
    for entry in os.listdir(assembly.directory):
        path = os.path.join(assembly.directory, entry, "index.js")
        if entry.startswith("asset.") and os.path.isfile(path):
            bundles.append(os.path.getsize(path))
    # The trigger, task, stack event and approval functions' bundles.
    assert len(bundles) == 4, bundles
    assert all(size > 1000 for size in bundles), bundles


def test_rule_with_a_string_for_an_enum_raises():
    # Python's type checks catch a plain string where RuleVerdict or ChangeAction is expected.
    with pytest.raises(TypeError):
        SafetyRule(verdict="ALLOW")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SafetyRule(verdict=RuleVerdict.DENY, actions=["Remove"])  # type: ignore[list-item]


def test_invalid_rules_raise_from_the_library():
    # These reach the library's own validation in JavaScript and come back as Python exceptions.
    with pytest.raises(Exception, match="at least one rule"):
        SafetyPolicy.from_rules([])
    with pytest.raises(Exception, match="non-empty list"):
        SafetyPolicy.from_rules([SafetyRule(verdict=RuleVerdict.DENY, resource_types=[])])
    with pytest.raises(Exception, match="not a glob"):
        SafetyPolicy.from_rules([SafetyRule(verdict=RuleVerdict.DENY, logical_ids=["x" * 300])])
    with pytest.raises(Exception, match="non-empty list"):
        SafetyPolicy.from_rules([SafetyRule(verdict=RuleVerdict.DENY, actions=[])])


def test_a_dict_rule_with_a_snake_case_key_is_refused_not_a_catch_all():
    # jsii drops the keys of a dict it does not know: "resource_types" (the Python spelling of a SafetyRule
    # field, not a key of the struct) is lost, and the rule would have no criteria, matching every change.
    # The library refuses it and says what to do.
    dict_rule = {"verdict": RuleVerdict.ALLOW, "resource_types": ["AWS::Lambda::Version"]}
    with pytest.raises(Exception, match=r"rule #1 has no criteria, so it would match every change") as error:
        SafetyPolicy.from_rules([dict_rule])  # type: ignore[list-item]
    assert "defaultVerdict" in str(error.value)
    assert "SafetyRule(verdict=..., resource_types=[...]), and give what no rule matches as default_verdict=" in str(error.value)
    # A misspelt key in the second rule: the same, naming that rule.
    with pytest.raises(Exception, match=r'rule #2 \("the rest"\) has no criteria'):
        SafetyPolicy.from_rules([
            SafetyRule(verdict=RuleVerdict.DENY, actions=[ChangeAction.REMOVE]),
            {"verdict": RuleVerdict.ALLOW, "resourceType": ["AWS::SQS::Queue"], "description": "the rest"},  # type: ignore[list-item]
        ])
    # Built with SafetyRule, the same rule keeps its criterion.
    policy = SafetyPolicy.from_rules([SafetyRule(verdict=RuleVerdict.ALLOW, resource_types=["AWS::Lambda::Version"])])
    assert isinstance(policy, SafetyPolicy)


def test_a_catch_all_is_the_default_verdict():
    # What no rule matches gets default_verdict; a rule without criteria is refused, also through SafetyRule.
    with pytest.raises(Exception, match="has no criteria"):
        SafetyPolicy.from_rules([SafetyRule(verdict=RuleVerdict.ALLOW)])
    policy = SafetyPolicy.from_rules(
        [SafetyRule(verdict=RuleVerdict.DENY, actions=[ChangeAction.REMOVE])], default_verdict=RuleVerdict.ALLOW)
    result = policy.evaluate_change_set([{"Status": "CREATE_COMPLETE", "Changes": CHANGE_SET_PAGES[0]["Changes"][3:4]}])
    assert [(c.logical_id, c.verdict, c.rule) for c in result.changes] == [("Queue", RuleVerdict.ALLOW, "default-verdict")]


def test_the_policy_reference_rules_example_allows_what_it_means_to():
    # The Python rules example of docs/policy.md (Rules), as it is written there.
    from cdk_stepfunctions_deploy_action import Replacement
    policy = SafetyPolicy.from_rules([
        SafetyRule(verdict=RuleVerdict.ALLOW, resource_types=["AWS::Lambda::Version"], description="versions are immutable"),
        SafetyRule(verdict=RuleVerdict.REQUIRE_APPROVAL, resource_types=["AWS::IAM::*"], description="IAM needs a second pair of eyes"),
        SafetyRule(verdict=RuleVerdict.DENY, actions=[ChangeAction.REMOVE, ChangeAction.DYNAMIC]),
        SafetyRule(verdict=RuleVerdict.DENY, replacements=[Replacement.TRUE, Replacement.CONDITIONAL]),
    ], default_verdict=RuleVerdict.ALLOW)
    result = policy.evaluate_change_set(CHANGE_SET_PAGES)
    decided = [(c.logical_id, c.verdict) for c in result.changes]
    assert decided == [
        ("FnVersionA", RuleVerdict.ALLOW),
        ("AppRole", RuleVerdict.REQUIRE_APPROVAL),
        ("Bucket", RuleVerdict.DENY),
        ("Queue", RuleVerdict.ALLOW),
        ("Table", RuleVerdict.DENY),
    ]


def new_action(stack_id: str, policy: SafetyPolicy) -> StepFunctionsDeployAction:
    """A StepFunctionsDeployAction with the given policy, in a new stack."""
    return StepFunctionsDeployAction(
        Stack(App(), stack_id),
        "Deploy",
        action_name="Deploy",
        stack_name="app",
        template_path=codepipeline.Artifact("Source").at_path("app.yaml"),
        safety_policy=policy,
    )


def test_policy_too_large_for_user_parameters_raises():
    rules = [
        SafetyRule(verdict=RuleVerdict.ALLOW, resource_types=[f"AWS::Service{i}::Resource*"], description=f"rule {i}")
        for i in range(40)
    ]
    with pytest.raises(Exception, match="UserParameters"):
        new_action("TooLarge", SafetyPolicy.from_rules(rules))


def test_other_policies_translate():
    assert isinstance(SafetyPolicy.allow_all(), SafetyPolicy)
    assert isinstance(
        SafetyPolicy.deny_destructive_changes(allow_replacement_of_resource_types=["AWS::Lambda::Version"]),
        SafetyPolicy,
    )
    # jsii enums: members by their TypeScript names (the CloudFormation spelling, 'Remove', is what the template holds)
    assert [m.name for m in ChangeAction] == ["ADD", "MODIFY", "REMOVE", "IMPORT", "DYNAMIC", "SYNC_WITH_ACTUAL"]
    assert {"SafetyPolicy", "SafetyRule", "RuleVerdict", "StepFunctionsDeployAction", "DeployStateMachine"} <= set(
        dir(lib)
    )


def test_match_api_on_the_action(template):
    template.has_resource_properties(
        "AWS::CodePipeline::Pipeline",
        {
            "Stages": Match.array_with(
                [Match.object_like({"Name": "Deploy", "Actions": [Match.object_like({"Name": "DeployApp"})]})]
            )
        },
    )


def test_policies_and_strategies_come_only_from_their_static_methods():
    # The constructors are private: the binding offers no initializer to call.
    with pytest.raises(Exception):
        SafetyPolicy()
    with pytest.raises(Exception):
        lib.UnsafeChangeAction()


def test_a_subclass_of_safety_policy_is_refused_with_a_clear_message():
    # Python can still declare a subclass. Without an initializer it has no object in the library, and jsii
    # refuses to pass it; one forced into being through jsii's own create call has no policy document, and the
    # library says what to do instead.
    class MyPolicy(SafetyPolicy):
        pass

    with pytest.raises(AttributeError, match="__jsii_ref__"):
        new_action("Subclass", MyPolicy())

    class ForcedPolicy(SafetyPolicy):
        def __init__(self) -> None:
            jsii.create(self.__class__, self, [])

    with pytest.raises(Exception, match="fromRules"):
        new_action("Forced", ForcedPolicy())


CHANGE_SET_PAGES = [
    {
        "Status": "CREATE_COMPLETE",
        "Changes": [
            {"Type": "Resource", "ResourceChange": {"Action": "Remove", "LogicalResourceId": "FnVersionA",
                                                    "ResourceType": "AWS::Lambda::Version", "PolicyAction": "Delete"}},
            {"Type": "Resource", "ResourceChange": {"Action": "Modify", "LogicalResourceId": "AppRole",
                                                    "ResourceType": "AWS::IAM::Role", "Replacement": "False"}},
            {"Type": "Resource", "ResourceChange": {"Action": "Remove", "LogicalResourceId": "Bucket",
                                                    "ResourceType": "AWS::S3::Bucket", "PolicyAction": "Delete"}},
            {"Type": "Resource", "ResourceChange": {"Action": "Add", "LogicalResourceId": "Queue",
                                                    "ResourceType": "AWS::SQS::Queue"}},
            {"Type": "Resource", "ResourceChange": {"Action": "Modify", "LogicalResourceId": "Table",
                                                    "ResourceType": "AWS::DynamoDB::Table", "Replacement": "True"}},
        ]
    }
]


def test_the_rules_decide_a_change_set_from_python():
    # The same evaluation the deploy workflow runs, offline, on describe-change-set output.
    result = rules_policy().evaluate_change_set(CHANGE_SET_PAGES)
    assert result.verdict == RuleVerdict.DENY
    decided = [(c.logical_id, c.verdict, c.rule) for c in result.changes]
    assert decided == [
        ("FnVersionA", RuleVerdict.ALLOW, "rule #1"),
        ("AppRole", RuleVerdict.REQUIRE_APPROVAL, "rule #2"),
        ("Bucket", RuleVerdict.DENY, "rule #3"),
        ("Queue", RuleVerdict.ALLOW, "rule #6"),
        ("Table", RuleVerdict.DENY, "no replacement"),
    ]
    assert result.changes[4].replacement == "True"
    assert result.changes[0].policy_action == "Delete"
    # Without the denied changes, one change still needs approval.
    approval = rules_policy().evaluate_change_set([{"Status": "CREATE_COMPLETE", "Changes": CHANGE_SET_PAGES[0]["Changes"][:2]}])
    assert approval.verdict == RuleVerdict.REQUIRE_APPROVAL
    assert approval.incomplete == []
    # A description whose completeness is unknown (no Status) is denied, whatever its changes.
    unknown = rules_policy().evaluate_change_set([{"Changes": CHANGE_SET_PAGES[0]["Changes"][:2]}])
    assert unknown.verdict == RuleVerdict.DENY
    assert unknown.incomplete == ["the change set has no Status, so whether it is complete is unknown"]


def test_cfn_lint_finds_no_error_in_the_synthesized_template(synthesized):
    """cfn-lint (the project's pinned one, $CFN_LINT, set by run.sh) reports no error (E*) on the Python app's template."""
    import subprocess

    cfn_lint = os.environ.get("CFN_LINT")
    assert cfn_lint and os.access(cfn_lint, os.X_OK), f"CFN_LINT={cfn_lint!r} is not an executable: run npx projen python-tools"
    stack, _, assembly = synthesized
    template_file = os.path.join(assembly.directory, stack.template_file)
    result = subprocess.run(
        [cfn_lint, "--format", "parseable", template_file], capture_output=True, text=True, check=False,
    )
    # parseable lines: file:line:column:end line:end column:RULE:message
    errors = [line for line in result.stdout.splitlines() if line.split(":")[5:6] and line.split(":")[5].startswith("E")]
    assert errors == [], "\n".join(errors)
    # cfn-lint exits 2 for errors, 4 for warnings (and 6 for both); only errors fail the app.
    assert result.returncode in (0, 4), result.stdout + result.stderr


def test_the_wheel_installs_a_cdk_sfn_deploy_command_that_checks_a_change_set(tmp_path):
    """The command the wheel installs runs and judges a change set (test_cli.py compares it with the Node command)."""
    import subprocess
    import sys

    command = os.path.join(os.path.dirname(sys.executable), "cdk-sfn-deploy")
    assert os.access(command, os.X_OK), f"{command} is not installed by the wheel"
    change_set = tmp_path / "change-set.json"
    change_set.write_text(json.dumps({
        "ChangeSetName": "cs", "StackName": "prod-app", "Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE",
        "Changes": [{"Type": "Resource", "ResourceChange": {
            "Action": "Remove", "LogicalResourceId": "Topic", "ResourceType": "AWS::SNS::Topic", "Scope": [], "Details": []}}],
    }))
    result = subprocess.run([command, "check", str(change_set)], capture_output=True, text=True, timeout=120, check=False)
    # Exit 1: denied, by the default policy's no-deletion rule.
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Policy (the default)" in result.stdout
    assert "DENY     Topic" in result.stdout and "no-deletion" in result.stdout


def test_the_python_api_reference_names_methods_the_binding_has():
    """docs/API.python.md shows each method as Python calls it (with_, not the keyword with)."""
    import inspect
    import re

    docs_file = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "API.python.md")
    with open(docs_file, encoding="utf-8") as f:
        docs = f.read()
    documented = set(re.findall(r"^def ([A-Za-z_][A-Za-z0-9_]*)\(", docs, flags=re.MULTILINE))
    assert "with_" in documented and "with" not in documented
    classes = [c for _, c in inspect.getmembers(lib, inspect.isclass)]
    missing = sorted(name for name in documented if not any(hasattr(c, name) for c in classes))
    assert missing == [], f"documented but not in the binding: {missing}"


def test_rules_on_properties_and_drift_from_python():
    # docs/policy.md's Python spelling: properties=, drift_statuses=, and the action's revert_drift=.
    policy = SafetyPolicy.from_rules(
        [
            SafetyRule(verdict=RuleVerdict.REQUIRE_APPROVAL, resource_types=["AWS::RDS::DBInstance"], properties=["DBInstanceClass"]),
            SafetyRule(verdict=RuleVerdict.DENY, drift_statuses=[lib.DriftStatus.DELETED]),
        ],
        default_verdict=RuleVerdict.ALLOW,
    )
    detail = {"Target": {"Attribute": "Properties", "Name": "DBInstanceClass", "RequiresRecreation": "Never"}}
    page = {
        "Status": "CREATE_COMPLETE",
        "Changes": [
            {"Type": "Resource", "ResourceChange": {"Action": "Modify", "LogicalResourceId": "Db", "ResourceType": "AWS::RDS::DBInstance",
                                                    "Replacement": "False", "Details": [detail]}},
            {"Type": "Resource", "ResourceChange": {"Action": "Add", "LogicalResourceId": "Gone", "ResourceType": "AWS::SQS::Queue",
                                                    "ResourceDriftStatus": "DELETED"}},
            {"Type": "Resource", "ResourceChange": {"Action": "SyncWithActual", "LogicalResourceId": "Synced",
                                                    "ResourceType": "AWS::SNS::Topic", "ResourceDriftStatus": "MODIFIED"}},
        ],
    }
    result = policy.evaluate_change_set([page])
    assert [(c.logical_id, c.verdict) for c in result.changes] == [
        ("Db", RuleVerdict.REQUIRE_APPROVAL), ("Gone", RuleVerdict.DENY), ("Synced", RuleVerdict.ALLOW)]
    stack = Stack(App(), "Drift")
    source = codepipeline.Artifact("Source")
    bucket = s3.Bucket(stack, "Sources", versioned=True)
    pipeline = codepipeline.Pipeline(stack, "Pipeline", stages=[codepipeline.StageProps(stage_name="Source", actions=[
        cpactions.S3SourceAction(action_name="Source", bucket=bucket, bucket_key="source.zip", output=source)])])
    pipeline.add_stage(stage_name="Deploy", actions=[StepFunctionsDeployAction(
        stack, "Deploy", action_name="Deploy", stack_name="app", template_path=source.at_path("app.yaml"), revert_drift=True,
        report_artifact=codepipeline.Artifact("ChangeReport"))])
    template = Template.from_stack(stack)
    assert user_parameters(template)["revertDrift"] is True
    assert user_parameters(template)["report"] is True
    assert deploy_action(template)["OutputArtifacts"] == [{"Name": "ChangeReport"}]


def test_permission_broadening_from_python():
    # docs/policy.md's Python spelling: permission_broadening_verdict=; an opened ingress rule needs approval.
    policy = SafetyPolicy.deny_destructive_changes(permission_broadening_verdict=RuleVerdict.REQUIRE_APPROVAL)
    rule = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}
    change = {"Type": "Resource", "ResourceChange": {
        "Action": "Modify", "LogicalResourceId": "Sg", "ResourceType": "AWS::EC2::SecurityGroup", "Replacement": "False",
        "Details": [{"Target": {"Attribute": "Properties", "Path": "/Properties/SecurityGroupIngress/0", "AttributeChangeType": "Add"}}],
        "BeforeContext": json.dumps({"Properties": {"SecurityGroupIngress": []}}),
        "AfterContext": json.dumps({"Properties": {"SecurityGroupIngress": [rule]}}),
    }}
    result = policy.evaluate_change_set([{"Status": "CREATE_COMPLETE", "Changes": [change]}])
    assert result.verdict == RuleVerdict.REQUIRE_APPROVAL
    assert result.changes[0].rule == "permission-broadening: SecurityGroupIngress adds the rule tcp port 22 with 0.0.0.0/0"


def test_several_stacks_as_one_unit_from_python():
    # docs/operations.md's Python spelling: stacks=[StackToDeploy(...)], parameter_outputs= naming an earlier stack's output.
    app = App()
    stack = Stack(app, "UnitStack", env={"account": "111111111111", "region": "eu-west-1"})
    source = codepipeline.Artifact("Source")
    release = StepFunctionsDeployAction(
        stack, "Release",
        action_name="Release",
        environment_name="prod",
        stacks=[
            lib.StackToDeploy(stack_name="network", template_path=source.at_path("network.template.json")),
            lib.StackToDeploy(stack_name="data", template_path=source.at_path("data.template.json")),
            lib.StackToDeploy(stack_name="app", template_path=source.at_path("app.template.json"),
                              parameter_outputs={"VpcId": "network.VpcId"}),
        ],
        variables_namespace="Release",
    )
    codepipeline.Pipeline(stack, "Pipeline", stages=[
        codepipeline.StageProps(stage_name="Source", actions=[cpactions.S3SourceAction(
            action_name="Source", bucket=s3.Bucket(stack, "Bucket", versioned=True), bucket_key="source.zip", output=source)]),
        codepipeline.StageProps(stage_name="Deploy", actions=[release]),
    ])
    template = Template.from_stack(stack)
    (pipeline,) = template.find_resources("AWS::CodePipeline::Pipeline").values()
    action = pipeline["Properties"]["Stages"][1]["Actions"][0]
    config = parse_json_value(action["Configuration"]["UserParameters"])
    assert config["stacks"] == [
        "network", "data",
        {"stackName": "app", "templatePath": "app.template.json", "parameterOutputs": {"VpcId": "network.VpcId"}},
    ]
    assert release.stack_names == ["prod-network", "prod-data", "prod-app"]
    assert release.stack_variable("app", "Outcome").endswith(".prod-app_Outcome}")
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)


def test_a_unit_refuses_a_later_dependency_from_python():
    stack = Stack(App(), "BadUnit")
    source = codepipeline.Artifact("Source")
    with pytest.raises(Exception, match='dependsOn names "data", which is not an earlier stack of the unit'):
        StepFunctionsDeployAction(stack, "Release", action_name="Release", stacks=[
            lib.StackToDeploy(stack_name="network", template_path=source.at_path("n.json"), depends_on=["data"]),
            lib.StackToDeploy(stack_name="data", template_path=source.at_path("d.json")),
        ])


def test_polling_instead_of_stack_events_from_python():
    # docs/operations.md's Python spelling: DeployStateMachine(stack_events=False), then deploy_state_machine=polling.
    app = App()
    stack = Stack(app, "PollingStack", env={"account": "111111111111", "region": "eu-west-1"})
    source = codepipeline.Artifact("Source")
    polling = lib.DeployStateMachine(stack, "PollingWorkflow", stack_events=False)
    action = StepFunctionsDeployAction(stack, "DeployApp", action_name="DeployApp", stack_name="app",
                                       template_path=source.at_path("app.template.json"), deploy_state_machine=polling)
    codepipeline.Pipeline(stack, "Pipeline", stages=[
        codepipeline.StageProps(stage_name="Source", actions=[cpactions.S3SourceAction(
            action_name="Source", bucket=s3.Bucket(stack, "Bucket", versioned=True), bucket_key="source.zip", output=source)]),
        codepipeline.StageProps(stage_name="Deploy", actions=[action]),
    ])
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::DynamoDB::Table", 0)
    template.resource_count_is("AWS::Events::Rule", 0)
    (pipeline,) = template.find_resources("AWS::CodePipeline::Pipeline").values()
    config = parse_json_value(pipeline["Properties"]["Stages"][1]["Actions"][0]["Configuration"]["UserParameters"])
    assert "stackEvents" not in config


def test_the_default_workflow_wakes_on_stack_events(template):
    template.resource_count_is("AWS::DynamoDB::Table", 1)
    template.resource_count_is("AWS::Events::Rule", 1)
    assert user_parameters(template)["stackEvents"] is True
