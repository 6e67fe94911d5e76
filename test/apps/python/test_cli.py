"""cdk-sfn-deploy as pip installs it: the same answers as the Node command, without the jsii kernel or its banners.

The wheel's script is tools/python-cli-launcher.py, put in place of jsii-pacmak's by tools/python-cli.py (the
package:python and package:bindings tasks); these tests run the installed command, check the built wheel, and run the
packaging step on small archives laid out as jsii-pacmak lays them out.
"""
import base64
import hashlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
COMMAND = os.path.join(os.path.dirname(sys.executable), "cdk-sfn-deploy")
NODE_COMMAND = os.path.join(ROOT, "assets", "cli", "cdk-sfn-deploy.js")

# The two pages of test/cli/cli.test.ts: a queue added and a function changed in place on page one; a topic removed
# and a version replaced on page two (fetched with the first page's NextToken).
CHANGE_SET_ID = "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs/1a2b"


def change(action, logical_id, resource_type, **extra):
    return {"Type": "Resource", "ResourceChange": {"Action": action, "LogicalResourceId": logical_id, "ResourceType": resource_type, **extra}}


PAGE_1 = {
    "ChangeSetName": "cs", "ChangeSetId": CHANGE_SET_ID, "StackName": "app", "Status": "CREATE_COMPLETE", "NextToken": "next",
    "Changes": [change("Add", "Queue", "AWS::SQS::Queue"), change("Modify", "Fn", "AWS::Lambda::Function", Replacement="False")],
}
PAGE_2 = {
    "ChangeSetName": "cs", "ChangeSetId": CHANGE_SET_ID, "StackName": "app", "Status": "CREATE_COMPLETE", "RequestNextToken": "next",
    "Changes": [change("Remove", "Topic", "AWS::SNS::Topic"), change("Modify", "Version", "AWS::Lambda::Version", Replacement="True")],
}
# Page one alone, complete: nothing destructive.
SAFE = {k: v for k, v in PAGE_1.items() if k != "NextToken"}


def without_jsii_silencing():
    """The user's environment: none of the JSII_SILENCE_* that run.sh sets, and a jsii runtime that cannot start, so a
    command that still went through the jsii kernel would fail here instead of passing quietly."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_SILENCE_")}
    env["JSII_RUNTIME"] = os.path.join(ROOT, "no-such-jsii-runtime.js")
    return env


def run(command, args):
    result = subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, check=False, env=without_jsii_silencing())
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("change-sets")
    paths = {}
    for name, value in {"p1.json": PAGE_1, "p2.json": PAGE_2, "safe.json": SAFE}.items():
        (directory / name).write_text(json.dumps(value))
        paths[name] = str(directory / name)
    paths["missing.json"] = str(directory / "missing.json")
    return paths


@pytest.mark.parametrize("case, args, expected_code, expected_out", [
    ("denied: a removal on page two", ["check", "p1.json", "p2.json"], 1, "Verdict: DENY (4 changes)"),
    ("allowed: an addition and an in-place change", ["check", "safe.json"], 0, "Verdict: ALLOW (2 changes)"),
    ("bad input: a file that does not exist", ["check", "missing.json"], 4, ""),
    ("usage error: no change set", ["check"], 64, ""),
    ("help", ["--help"], 0, "usage:"),
])
def test_the_installed_command_answers_exactly_as_the_node_command_does(files, case, args, expected_code, expected_out):
    """GIVEN the pip-installed cdk-sfn-deploy and npm's (node assets/cli/cdk-sfn-deploy.js) WHEN both run on the same
    change set files THEN the exit code, stdout and stderr are the same, and no jsii banner (b'...' lines) appears."""
    assert os.access(COMMAND, os.X_OK), f"{COMMAND} is not installed by the wheel"
    resolved = [files.get(a, a) for a in args]
    python_answer = run([COMMAND], resolved)
    node_answer = run(["node", NODE_COMMAND], resolved)
    code, out, err = python_answer
    assert code == expected_code, f"{case}: exit {code}\n{out}{err}"
    assert expected_out in out, f"{case}:\n{out}"
    assert python_answer == node_answer, f"{case}: the Python command answered differently from the Node one"
    assert not any(line.startswith("b'") for line in err.splitlines()), f"{case}: a jsii banner line in stderr:\n{err}"
    assert "jsii" not in err.lower(), f"{case}: stderr speaks of jsii:\n{err}"


def test_the_installed_command_says_what_to_do_when_node_cannot_start(files):
    """GIVEN JSII_NODE naming no program WHEN the installed command runs THEN it exits 127 (not a verdict's code) and says how to get Node.js."""
    env = {**without_jsii_silencing(), "JSII_NODE": os.path.join(ROOT, "no-such-node")}
    result = subprocess.run([COMMAND, "check", files["p1.json"]], capture_output=True, text=True, timeout=60, check=False, env=env)
    assert result.returncode == 127, result.stdout + result.stderr
    assert "cannot start Node.js" in result.stderr and "JSII_NODE" in result.stderr, result.stderr


def load_tool():
    spec = importlib.util.spec_from_file_location("python_cli", os.path.join(ROOT, "tools", "python-cli.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record_lines_hold(wheel):
    """Every RECORD line with a hash names a file of the wheel with that hash and size."""
    names = wheel.namelist()
    record = next(n for n in names if n.endswith(".dist-info/RECORD"))
    for line in wheel.read(record).decode().splitlines():
        name, digest, size = line.rsplit(",", 2)
        if digest:
            data = wheel.read(name)
            expected = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert (digest, int(size)) == (expected, len(data)), f"RECORD's line for {name} does not match the file"


def test_the_built_wheel_carries_the_launcher_with_a_matching_record():
    """The wheel in dist/python, as run.sh built it: its cdk-sfn-deploy is the launcher, and RECORD matches every file."""
    tool = load_tool()
    assembly = tool.read_assembly(ROOT)
    wheels = [f for f in os.listdir(os.path.join(ROOT, "dist", "python")) if f.endswith(".whl")]
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(os.path.join(ROOT, "dist", "python", wheels[0])) as wheel:
        script = next(n for n in wheel.namelist() if n.endswith(".data/scripts/cdk-sfn-deploy"))
        text = wheel.read(script).decode()
        assert text.startswith("#!python\n" + tool.MARKER), text[:200]
        assert f'ASSEMBLY = "_jsii/{tool.tarball_name(assembly)}"' in text
        assert "invokeBinScript" not in text
        record_lines_hold(wheel)


PACMAK_SCRIPT = """#!{python}

import jsii
import sys
import os

__jsii_assembly__ = jsii.JSIIAssembly.load(
    "pkg",
    "1.2.3",
    "pkg_mod",
    "pkg@1.2.3.jsii.tgz",
)

exit_code = __jsii_assembly__.invokeBinScript(
    "pkg", "pkg-cli", sys.argv[1:]
)
exit(exit_code)
"""


def jsii_tarball(with_cli=True):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        entries = {"package/.jsii": b"{}", **({"package/assets/cli/pkg-cli.js": b"console.log('hi')\n"} if with_cli else {})}
        for name, content in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return data.getvalue()


def record_line(name, data):
    return f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"


def pacmak_wheel(path, script, tarball):
    files = {
        "pkg_mod/__init__.py": b"",
        "pkg_mod/_jsii/pkg@1.2.3.jsii.tgz": tarball,
        "pkg-1.2.3.data/scripts/pkg-cli": script.encode(),
        "pkg-1.2.3.dist-info/WHEEL": b"Wheel-Version: 1.0\n",
    }
    record = "\n".join([record_line(n, d) for n, d in files.items()] + ["pkg-1.2.3.dist-info/RECORD,,"]) + "\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in {**files, "pkg-1.2.3.dist-info/RECORD": record.encode()}.items():
            wheel.writestr(name, data)


def pacmak_sdist(path, script, tarball):
    with tarfile.open(path, "w:gz") as sdist:
        for name, data in {
            "pkg-1.2.3/setup.py": b"",
            "pkg-1.2.3/src/pkg_mod/_jsii/pkg@1.2.3.jsii.tgz": tarball,
            "pkg-1.2.3/src/pkg_mod/_jsii/bin/pkg-cli": script.encode(),
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            sdist.addfile(info, io.BytesIO(data))


ASSEMBLY = {"name": "pkg", "version": "1.2.3", "module": "pkg_mod", "bin": {"pkg-cli": "assets/cli/pkg-cli.js"}}


def test_the_packaging_step_replaces_jsii_pacmaks_script_in_the_wheel_and_the_source_distribution(tmp_path):
    """GIVEN a wheel and a source distribution as jsii-pacmak writes them WHEN tools/python-cli.py runs (twice) THEN both
    scripts are the launcher for this package's tarball and file, with each archive's shebang, and RECORD matches."""
    tool = load_tool()
    template = open(tool.TEMPLATE, encoding="utf-8").read()
    wheel, sdist = tmp_path / "pkg-1.2.3-py3-none-any.whl", tmp_path / "pkg-1.2.3.tar.gz"
    pacmak_wheel(wheel, PACMAK_SCRIPT.format(python="python"), jsii_tarball())
    pacmak_sdist(sdist, PACMAK_SCRIPT.format(python="/usr/bin/env python"), jsii_tarball())
    for _ in range(2):
        assert tool.patch_wheel(str(wheel), ASSEMBLY, template) == ["pkg-1.2.3.data/scripts/pkg-cli"]
        assert tool.patch_sdist(str(sdist), ASSEMBLY, template) == ["pkg-1.2.3/src/pkg_mod/_jsii/bin/pkg-cli"]
    with zipfile.ZipFile(wheel) as patched:
        text = patched.read("pkg-1.2.3.data/scripts/pkg-cli").decode()
        record_lines_hold(patched)
    assert text.startswith("#!python\n" + tool.MARKER)
    for line in ['COMMAND = "pkg-cli"', 'MODULE = "pkg_mod"', 'ASSEMBLY = "_jsii/pkg@1.2.3.jsii.tgz"', 'SCRIPT = "package/assets/cli/pkg-cli.js"']:
        assert f"\n{line}\n" in text, line
    with tarfile.open(sdist) as patched:
        text = patched.extractfile("pkg-1.2.3/src/pkg_mod/_jsii/bin/pkg-cli").read().decode()
    assert text.startswith("#!/usr/bin/env python\n" + tool.MARKER) and 'SCRIPT = "package/assets/cli/pkg-cli.js"' in text


def test_the_packaging_step_stops_on_a_script_it_does_not_know_or_a_tarball_without_the_command_line(tmp_path):
    """GIVEN a wheel whose script is not jsii-pacmak's known one, or whose tarball lacks the bundled command line WHEN
    tools/python-cli.py runs THEN it stops and says what to check, leaving the wheel as it was."""
    tool = load_tool()
    template = open(tool.TEMPLATE, encoding="utf-8").read()
    unknown = tmp_path / "unknown.whl"
    pacmak_wheel(unknown, "#!python\nprint('something else')\n", jsii_tarball())
    before = unknown.read_bytes()
    with pytest.raises(tool.PackagingError, match="not the script jsii-pacmak used to write"):
        tool.patch_wheel(str(unknown), ASSEMBLY, template)
    assert unknown.read_bytes() == before
    unbundled = tmp_path / "unbundled.whl"
    pacmak_wheel(unbundled, PACMAK_SCRIPT.format(python="python"), jsii_tarball(with_cli=False))
    with pytest.raises(tool.PackagingError, match="holds no package/assets/cli/pkg-cli.js for pkg-cli: run npx projen bundle"):
        tool.patch_wheel(str(unbundled), ASSEMBLY, template)
