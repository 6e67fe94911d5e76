"""The wheel's launcher (tools/python-cli-launcher.py) on its own: it needs Python and Node.js, not the wheel.

The launcher copies the command line out of the package's jsii tarball into a temporary directory and runs it with
node. Node.js looks for a module the command requires (approve and reject require the AWS SDK's signer and credential
providers, left out of the bundle) in every node_modules folder above the script: above a temporary directory, that is
/tmp/node_modules, which any user of the machine may create. The command must never load a module from there.
"""
import os
import re
import shutil
import subprocess
import sys
import tarfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
LAUNCHER = os.path.join(ROOT, "tools", "python-cli-launcher.py")
BUNDLE = os.path.join(ROOT, "assets", "cli", "cdk-sfn-deploy.js")
EXTERNALS = ("@smithy/signature-v4", "@aws-sdk/credential-providers")
APPROVE = ["approve", "--url", "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/",
           "--execution", "arn:aws:states:eu-west-1:111111111111:execution:sm:cp-1", "--digest", "0123456789ab"]


def fake_site(tmp_path):
    """A Python path holding the package as the wheel installs it: its jsii tarball with the command line in it."""
    site = tmp_path / "site"
    jsii = site / "cdk_stepfunctions_deploy_action" / "_jsii"
    jsii.mkdir(parents=True)
    (site / "cdk_stepfunctions_deploy_action" / "__init__.py").write_text("")
    with tarfile.open(jsii / "cdk-stepfunctions-deploy-action@0.0.0.jsii.tgz", "w:gz") as tar:
        tar.add(BUNDLE, arcname="package/assets/cli/cdk-sfn-deploy.js")
    return site


def plant(folder, marker):
    """Modules named as the command's externals, in `folder`/node_modules, that leave `marker` when loaded."""
    for name in EXTERNALS:
        module = folder / "node_modules" / name
        module.mkdir(parents=True, exist_ok=True)
        (module / "index.js").write_text(
            f"require('fs').appendFileSync({str(marker)!r}, {name!r} + '\\n');\n"
            "throw new Error('a planted module ran');\n")


def launch(tmp_path, site, cwd, args):
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "PYTHONPATH": str(site)}
    env.pop("JSII_NODE", None)
    return subprocess.run([sys.executable, LAUNCHER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_approve_never_loads_a_module_from_a_node_modules_folder_above_the_temporary_directory(tmp_path):
    """GIVEN someone else's modules in <TMPDIR>/node_modules under the names approve requires WHEN approve runs from the
    wheel THEN none of them is loaded: approve says which modules it needs, and exits 1."""
    site = fake_site(tmp_path)
    marker = tmp_path / "planted-modules-ran"
    plant(tmp_path / "tmp", marker)
    work = tmp_path / "work"
    work.mkdir()

    result = launch(tmp_path, site, work, APPROVE)

    assert not marker.exists(), f"a module from {tmp_path / 'tmp' / 'node_modules'} ran: {marker.read_text()}"
    assert result.returncode == 1, result.stderr
    assert "approve and reject need @aws-sdk/credential-providers and @smithy/signature-v4" in result.stderr, result.stderr


def test_approve_finds_the_modules_installed_where_it_runs_as_the_error_message_says(tmp_path):
    """GIVEN the modules approve requires installed in the working directory (npm install, as its message says) WHEN
    approve runs from the wheel THEN it loads them from there, as npm's command would from the project."""
    site = fake_site(tmp_path)
    (tmp_path / "tmp").mkdir()
    marker = tmp_path / "installed-modules-ran"
    work = tmp_path / "work"
    plant(work, marker)

    result = launch(tmp_path, site, work, APPROVE)

    assert marker.exists(), result.stderr
    assert result.returncode == 1, result.stderr


def test_every_module_the_bundle_leaves_to_run_time_is_one_the_launcher_resolves_from_the_working_directory():
    """The bundle's requires of anything but Node.js's own modules are the externals the launcher knows."""
    with open(BUNDLE, encoding="utf-8") as bundle:
        required = set(re.findall(r'require\("([^"]+)"\)', bundle.read()))
    builtin = {"fs", "path", "util", "https", "crypto", "os", "child_process", "url", "zlib", "stream", "events", "module"}
    left = {name for name in required if not name.startswith("node:") and name not in builtin}
    assert left == set(EXTERNALS)
    with open(LAUNCHER, encoding="utf-8") as launcher:
        text = launcher.read()
    for name in EXTERNALS:
        assert f'"{name}"' in text, name


def test_node_killed_by_sigkill_ends_the_command_the_same_way_not_with_a_traceback(tmp_path):
    """GIVEN node ends on SIGKILL (the out-of-memory killer, say) WHEN the command runs from the wheel THEN the command
    ends on SIGKILL too, as node would have: never a verdict's exit code, never a Python traceback."""
    site = fake_site(tmp_path)
    (tmp_path / "tmp").mkdir()
    node = tmp_path / "node"
    node.write_text("#!/bin/sh\nkill -KILL $$\n")
    node.chmod(0o755)
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "PYTHONPATH": str(site), "JSII_NODE": str(node)}
    result = subprocess.run([sys.executable, LAUNCHER, "check"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == -9, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
