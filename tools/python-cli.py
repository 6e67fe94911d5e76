"""Gives the Python package a cdk-sfn-deploy that runs the command line with Node.js, without the jsii kernel.

    python3 tools/python-cli.py [DIST_DIR]     DIST_DIR: default dist/python (the package:python and package:bindings tasks)

jsii-pacmak writes each bin of package.json as a Python script that imports the package, which starts the jsii kernel
and loads every dependency's assembly into it (aws-cdk-lib's alone takes seconds), and then runs the file through the
kernel, whose Node.js warnings reach the terminal as b'...' lines. The command line needs none of that: it is one
JavaScript file with everything it uses (assets/cli/, the bundle:cli task), and the package's jsii tarball holds it.
This script replaces each such script, in the wheel and in the source distribution of DIST_DIR, with
tools/python-cli-launcher.py, which reads the file out of the tarball and runs it with node.

It stops, saying why, when jsii-pacmak's script is not the one it knows, when an archive lacks the script or the
tarball lacks the file; the wheel's RECORD gets the new script's hash and size. Running it again changes nothing more.
"""
import base64
import glob
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(ROOT, "tools", "python-cli-launcher.py")
MARKER = "# Written by tools/python-cli.py"


class PackagingError(Exception):
    """The artifacts are not what this script knows how to change."""


def read_assembly(root=ROOT):
    """What the launcher needs from the compiled assembly (.jsii): the package, its tarball and its bins."""
    with open(os.path.join(root, ".jsii"), encoding="utf-8") as f:
        assembly = json.load(f)
    return {
        "name": assembly["name"],
        "version": assembly["version"],
        "module": assembly["targets"]["python"]["module"],
        "bin": assembly.get("bin") or {},
    }


def package_path(path):
    """A package.json path as the tarball names it: under package/, without a leading ./."""
    return "package/" + (path[2:] if path.startswith("./") else path)


def tarball_name(assembly):
    return f"{assembly['name']}@{assembly['version']}.jsii.tgz"


def launcher(template, assembly, command, shebang):
    """The launcher for one bin, with the shebang of the script it replaces (wheels need '#!python': pip rewrites it)."""
    values = {
        "COMMAND": command,
        "MODULE": assembly["module"],
        "ASSEMBLY": f"_jsii/{tarball_name(assembly)}",
        "SCRIPT": package_path(assembly["bin"][command]),
    }
    text = template
    for name, value in values.items():
        text, count = re.subn(rf"^{name} = .*$", lambda _: f"{name} = {json.dumps(value)}", text, flags=re.MULTILINE)
        if count != 1:
            raise PackagingError(f"{TEMPLATE} must assign {name} once on a line of its own, not {count} times")
    lines = text.split("\n")
    if not lines[0].startswith("#!") or not lines[1].startswith(MARKER):
        raise PackagingError(f"{TEMPLATE} must start with a shebang line and then {MARKER!r}")
    return "\n".join([shebang, *lines[1:]]).encode("utf-8")


def check_generated(text, where, assembly):
    """The script jsii-pacmak writes (or this script's own launcher, when run again); anything else stops the build."""
    if MARKER in text:
        return
    known = "JSIIAssembly.load(" in text and "invokeBinScript(" in text and tarball_name(assembly) in text
    if not known:
        raise PackagingError(
            f"{where} is not the script jsii-pacmak used to write (JSIIAssembly.load and invokeBinScript of "
            f"{tarball_name(assembly)}): check that tools/python-cli-launcher.py still stands in for it, then update "
            "tools/python-cli.py")


def record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"sha256={digest}"


def check_tarball_holds(tarball_bytes, assembly, where):
    with tarfile.open(fileobj=io.BytesIO(tarball_bytes), mode="r:gz") as tar:
        names = {m.name: m.size for m in tar if m.isfile()}
    for command, path in assembly["bin"].items():
        member = package_path(path)
        if names.get(member, 0) == 0:
            raise PackagingError(f"{where} holds no {member} for {command}: run npx projen bundle before npx projen compile")


def replace_atomically(path, write):
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".python-cli-")
    os.close(fd)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def patch_wheel(path, assembly, template):
    """Replaces the bin scripts of a wheel (NAME-VERSION.data/scripts/COMMAND) and their RECORD lines."""
    with zipfile.ZipFile(path) as wheel:
        infos = wheel.infolist()
        contents = {info.filename: wheel.read(info) for info in infos}
    data_dir = next((n.split("/")[0] for n in contents if n.split("/")[0].endswith(".data")), None)
    record = next((n for n in contents if n.endswith(".dist-info/RECORD")), None)
    tarball = next((n for n in contents if n.endswith(f"/_jsii/{tarball_name(assembly)}")), None)
    if record is None or tarball is None:
        raise PackagingError(f"{path} has no RECORD or no {tarball_name(assembly)}: is it a wheel jsii-pacmak built?")
    check_tarball_holds(contents[tarball], assembly, f"{path}'s {tarball_name(assembly)}")
    replaced = {}
    for command in assembly["bin"]:
        name = f"{data_dir}/scripts/{command}" if data_dir else None
        if name not in contents:
            raise PackagingError(f"{path} has no script {command} (under NAME-VERSION.data/scripts/)")
        old = contents[name].decode("utf-8")
        check_generated(old, f"{path}'s {name}", assembly)
        replaced[name] = launcher(template, assembly, command, old.split("\n", 1)[0])
    contents.update(replaced)
    lines = []
    for line in contents[record].decode("utf-8").splitlines():
        name = line.rsplit(",", 2)[0]
        lines.append(f"{name},{record_hash(contents[name])},{len(contents[name])}" if name in replaced else line)
    contents[record] = ("\n".join(lines) + "\n").encode("utf-8")

    def write(temporary):
        with zipfile.ZipFile(temporary, "w") as out:
            for info in infos:
                copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                copy.external_attr = info.external_attr
                copy.compress_type = info.compress_type
                out.writestr(copy, contents[info.filename])

    replace_atomically(path, write)
    return sorted(replaced)


def patch_sdist(path, assembly, template):
    """Replaces the bin scripts of a source distribution (NAME-VERSION/src/MODULE/_jsii/bin/COMMAND)."""
    module_dir = assembly["module"].replace(".", "/")
    with tarfile.open(path, "r:gz") as sdist:
        members = [(m, sdist.extractfile(m).read() if m.isfile() else None) for m in sdist.getmembers()]
        tar_format = sdist.format
    tarball = next((data for m, data in members if m.name.endswith(f"/src/{module_dir}/_jsii/{tarball_name(assembly)}")), None)
    if tarball is None:
        raise PackagingError(f"{path} has no {tarball_name(assembly)}: is it a source distribution jsii-pacmak built?")
    check_tarball_holds(tarball, assembly, f"{path}'s {tarball_name(assembly)}")
    replaced = []
    result = []
    for command in assembly["bin"]:
        suffix = f"/src/{module_dir}/_jsii/bin/{command}"
        if not any(m.name.endswith(suffix) and m.isfile() for m, _ in members):
            raise PackagingError(f"{path} has no script {command} (NAME-VERSION{suffix})")
    for member, data in members:
        command = next((c for c in assembly["bin"] if member.name.endswith(f"/src/{module_dir}/_jsii/bin/{c}")), None)
        if command is not None and member.isfile():
            old = data.decode("utf-8")
            check_generated(old, f"{path}'s {member.name}", assembly)
            data = launcher(template, assembly, command, old.split("\n", 1)[0])
            member.size = len(data)
            replaced.append(member.name)
        result.append((member, data))

    def write(temporary):
        with tarfile.open(temporary, "w:gz", format=tar_format) as out:
            for member, data in result:
                out.addfile(member, io.BytesIO(data) if data is not None else None)

    replace_atomically(path, write)
    return replaced


def main(argv):
    dist = argv[0] if argv else os.path.join(ROOT, "dist", "python")
    assembly = read_assembly()
    if not assembly["bin"]:
        print("python-cli: the package has no bin: nothing to do")
        return 0
    with open(TEMPLATE, encoding="utf-8") as f:
        template = f.read()
    wheels = glob.glob(os.path.join(dist, "*.whl"))
    sdists = glob.glob(os.path.join(dist, "*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise PackagingError(f"{dist} holds {len(wheels)} wheels and {len(sdists)} source distributions, expected one of each: "
                             "build them with npx projen package:python")
    for name in patch_wheel(wheels[0], assembly, template) + patch_sdist(sdists[0], assembly, template):
        print(f"python-cli: {name} runs the command line with node (tools/python-cli-launcher.py)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except PackagingError as error:
        print(f"python-cli: {error}", file=sys.stderr)
        sys.exit(1)
