"""The README's Python and Java quick starts, taken from the README itself: the README is their only copy.

Each is the fenced code block that follows a line `<!-- quickstart:LANGUAGE ... -->` in README.md.

    python3 test/apps/readme_quickstart.py java DIR    writes the Java one to DIR/<its package>/<its class>.java

test/apps/run.sh writes the Java one into the Maven app (src/main/java, ignored by git), where Maven compiles it
and ReadmeQuickStartTest runs it; the Python tests (test_readme_quickstart.py) run the Python one.
"""
import pathlib
import re
import sys

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def quickstart(language: str, readme: pathlib.Path = README) -> str:
    """The code of the block after `<!-- quickstart:LANGUAGE`; an error naming what is missing otherwise."""
    text = readme.read_text(encoding="utf-8")
    marker = re.compile(r"^<!-- quickstart:" + re.escape(language) + r"\b[^\n]*-->\n```" + re.escape(language)
                        + r"\n(.*?)^```$", re.MULTILINE | re.DOTALL)
    found = marker.findall(text)
    if len(found) != 1:
        raise SystemExit(f"{readme}: expected one ```{language} block right after a line "
                         f"'<!-- quickstart:{language} -->', found {len(found)}")
    return found[0]


def write_java(directory: pathlib.Path) -> pathlib.Path:
    """Writes the Java quick start where javac expects it: DIR/<package as folders>/<public class>.java."""
    code = quickstart("java")
    package = re.search(r"^package\s+([\w.]+);", code, re.MULTILINE)
    cls = re.search(r"^public\s+(?:final\s+)?class\s+(\w+)", code, re.MULTILINE)
    if not package or not cls:
        raise SystemExit("the README's Java quick start needs a package line and a public class")
    path = directory.joinpath(*package.group(1).split("."), cls.group(1) + ".java")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code, encoding="utf-8")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "java":
        raise SystemExit("usage: readme_quickstart.py java DIR")
    print(f"apps: the README's Java quick start is {write_java(pathlib.Path(sys.argv[2]))}")
