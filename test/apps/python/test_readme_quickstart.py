"""The README's Python quick start, as a user runs it: its block saved as app.py and run as `cdk synth` runs it.

No copy of the quick start lives here: it is read from README.md (readme_quickstart.py, beside test/apps/python).
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from readme_quickstart import quickstart  # noqa: E402


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """`cdk synth` of a project whose app.py is the README's block: python3 app.py, with CDK_OUTDIR set."""
    project = tmp_path_factory.mktemp("quickstart-python")
    (project / "app.py").write_text(quickstart("python"), encoding="utf-8")
    outdir = project / "cdk.out"
    env = {**os.environ, "CDK_OUTDIR": str(outdir)}
    run = subprocess.run([sys.executable, "app.py"], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"the README's Python quick start failed:\n{run.stdout}\n{run.stderr}"
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = {name: a for name, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}
    return stacks, outdir


def template_of(synthesized) -> dict:
    stacks, outdir = synthesized
    assert list(stacks) == ["PipelineStack"]
    return json.loads((outdir / stacks["PipelineStack"]["properties"]["templateFile"]).read_text())


def resources(template: dict, kind: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_the_quick_start_synthesizes_a_pipeline_with_the_source_and_the_deploy_action(synthesized):
    template = template_of(synthesized)
    (pipeline,) = resources(template, "AWS::CodePipeline::Pipeline").values()
    stages = {s["Name"]: s["Actions"] for s in pipeline["Properties"]["Stages"]}
    assert list(stages) == ["Source", "Prod"]
    assert [a["ActionTypeId"]["Provider"] for a in stages["Source"]] == ["S3"]
    (deploy,) = stages["Prod"]
    assert deploy["Name"] == "Deploy"
    assert deploy["ActionTypeId"] == {"Category": "Invoke", "Owner": "AWS", "Provider": "Lambda", "Version": "1"}
    assert [a["Name"] for a in deploy["InputArtifacts"]] == ["Source"]
    # The action's settings travel in its UserParameters (a join: the deployment role's ARN is a token).
    separator, parts = deploy["Configuration"]["UserParameters"]["Fn::Join"]
    params = json.loads(separator.join(p if isinstance(p, str) else "<token>" for p in parts))
    assert params["stackName"] == "app"
    assert params["environmentName"] == "prod"
    assert params["templatePath"] == "infra/app.yaml"
    assert params["policy"] == {"type": "rules", "defaultVerdict": "ALLOW", "rules": [
        {"verdict": "ALLOW", "resourceTypes": ["AWS::Lambda::Version"]},
        {"verdict": "DENY", "actions": ["Remove"]},
    ]}


def test_the_quick_start_synthesizes_the_deploy_workflow(synthesized):
    template = template_of(synthesized)
    assert len(resources(template, "AWS::StepFunctions::StateMachine")) == 1
    functions = resources(template, "AWS::Lambda::Function").values()
    assert {f["Properties"]["Runtime"] for f in functions} == {"nodejs22.x"}
