#!/usr/bin/env python
# Written by tools/python-cli.py in place of the script jsii-pacmak writes for a package.json bin.
"""cdk-sfn-deploy, as the Python package installs it: the package's command line, run with Node.js.

The command line is one JavaScript file with everything it uses, in the package's jsii tarball: the file npm's
cdk-sfn-deploy runs, so the output and the exit codes are the same. This script reads it out of the tarball into a
temporary directory and runs it with node, as the AWS CDK needs Node.js anyway (JSII_NODE names another node, as it
does for jsii). It does not import the package: that would start the jsii kernel and load every dependency's
assembly (aws-cdk-lib's alone takes seconds) for a command that needs none of them.

Exit codes of its own, apart from the command's: 127 when node cannot be started, 70 when the package's files are
missing or unreadable.
"""
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile

COMMAND = "cdk-sfn-deploy"
MODULE = "cdk_stepfunctions_deploy_action"
ASSEMBLY = "_jsii/cdk-stepfunctions-deploy-action@0.0.0.jsii.tgz"
SCRIPT = "package/assets/cli/cdk-sfn-deploy.js"

NO_NODE = 127
BROKEN_INSTALL = 70


def fail(code, message):
    print(f"{COMMAND}: {message}", file=sys.stderr)
    return code


def find_assembly():
    """The jsii tarball's path, found without importing the package (find_spec of a top-level package runs none of it)."""
    spec = importlib.util.find_spec(MODULE)
    for directory in (spec.submodule_search_locations or []) if spec else []:
        candidate = os.path.join(directory, *ASSEMBLY.split("/"))
        if os.path.isfile(candidate):
            return candidate
    return None


def extract_script(assembly, target):
    """Copies the command line's file out of the tarball; False if the tarball does not hold it."""
    with tarfile.open(assembly, "r:gz") as tar:
        for member in tar:
            if member.name == SCRIPT and member.isfile():
                with tar.extractfile(member) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
                return True
    return False


def run(node, script, args):
    """Runs node on the script with the terminal's stdin, stdout and stderr; returns its exit status."""
    process = subprocess.Popen([node, script, *args])
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            # The terminal sent the interrupt to node too: node decides how the command ends.
            continue


def main(args):
    reinstall = f"reinstall the package: python -m pip install --force-reinstall {MODULE.replace('_', '-')}"
    assembly = find_assembly()
    if assembly is None:
        return fail(BROKEN_INSTALL, f"cannot find the package {MODULE} and its {ASSEMBLY} in this Python ({sys.executable}): {reinstall}")
    node = os.environ.get("JSII_NODE", "node")
    with tempfile.TemporaryDirectory(prefix=f"{COMMAND}-") as directory:
        script = os.path.join(directory, SCRIPT.rsplit("/", 1)[-1])
        try:
            found = extract_script(assembly, script)
        except (OSError, tarfile.TarError) as error:
            return fail(BROKEN_INSTALL, f"cannot read {assembly}: {error}: {reinstall}")
        if not found:
            return fail(BROKEN_INSTALL, f"{assembly} holds no {SCRIPT}: {reinstall}")
        try:
            status = run(node, script, args)
        except OSError as error:
            return fail(NO_NODE, f"cannot start Node.js ({node}: {error.strerror}): the command runs on Node.js 20 or later, "
                        "which the AWS CDK needs too; install it, or set JSII_NODE to its path")
    if status < 0:
        # node ended on a signal: end on the same one, so that the shell sees what it would see from node itself.
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
