#!/usr/bin/env bash
# Python and Java CDK apps against the packages jsii-pacmak builds (npx projen test:bindings).
#
#   bash test/apps/run.sh          from the repo root, after `npm ci`
#
# 1. Builds the wheel (dist/python) and the jar (dist/java, a Maven repository layout) when they are
#    missing or older than src/ (APPS_REBUILD=always|never to force or skip), and checks that both
#    carry the bundled Lambda code (assets/).
# 2. Python: a venv in test/apps/python/.venv with the wheel, aws-cdk-lib and constructs at the
#    versions of package.json, and pytest; runs test/apps/python (report: test-reports/python-junit.xml).
# 3. Java: the jar and POM of dist/java installed into the local Maven repository (mvn install:install-file, as
#    the README says), the README's Java quick start written into test/apps/java/src/readme/java, then Maven
#    (JUnit 5) in test/apps/java with aws-cdk-lib/constructs from Maven Central at the same versions
#    (reports: test/apps/java/target/surefire-reports).
# Prints "python: N passed, N failed" and "java: N passed, N failed", and exits non-zero if anything failed.
# APPS_ONLY=python or APPS_ONLY=java runs one language.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
APPS="$ROOT/test/apps"
REPORTS="$ROOT/test-reports"
mkdir -p "$REPORTS"

# jsii's Node.js banners (Node 20 is end-of-life for jsii) are harmless; keep the output readable.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="${JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION:-1}"
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="${JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION:-1}"

only="${APPS_ONLY:-all}"
rebuild="${APPS_REBUILD:-auto}"

now() { date +%s; }
elapsed() { echo "$(( $(now) - $1 ))s"; }
section() { echo; echo "== apps: $*"; }

# Versions: the library's own, and the aws-cdk-lib and constructs its tests use (package.json devDependencies).
pkg() { node -e "const p=require('./package.json'); const v=$1; process.stdout.write(String(v).replace(/^[\\^~=v]+/, ''))"; }
LIB_VERSION="$(pkg 'p.version')"
CDK_VERSION="$(pkg "p.devDependencies['aws-cdk-lib']")"
CONSTRUCTS_VERSION="$(pkg "p.devDependencies['constructs']")"
JAVA_GROUP_PATH="io/github/cdk-stepfunctions-deploy-action/cdk-stepfunctions-deploy-action"
JAR="dist/java/$JAVA_GROUP_PATH/$LIB_VERSION/cdk-stepfunctions-deploy-action-$LIB_VERSION.jar"
WHEEL_GLOB="dist/python/cdk_stepfunctions_deploy_action-$LIB_VERSION-py3-none-any.whl"
echo "apps: library $LIB_VERSION, aws-cdk-lib $CDK_VERSION, constructs $CONSTRUCTS_VERSION"

# ---------------------------------------------------------------------------------------------------
# 1. Build the bindings when needed.
# ---------------------------------------------------------------------------------------------------
needs_build() {
  [ "$rebuild" = always ] && { echo "APPS_REBUILD=always"; return 0; }
  [ "$rebuild" = never ] && return 1
  [ -f "$WHEEL_GLOB" ] || { echo "no wheel in dist/python"; return 0; }
  [ -f "$JAR" ] || { echo "no jar in dist/java"; return 0; }
  local newer
  for artifact in "$WHEEL_GLOB" "$JAR"; do
    newer="$(find src package.json tools/python-cli.py tools/python-cli-launcher.py -newer "$artifact" -type f 2>/dev/null | head -n 1)"
    [ -z "$newer" ] || { echo "$newer is newer than $artifact"; return 0; }
  done
  return 1
}

t_build=$(now)
if reason="$(needs_build)"; then
  section "building the wheel and the jar ($reason)"
  npx projen bundle
  npx projen compile
  npx projen package:bindings
  echo "apps: build took $(elapsed "$t_build")"
else
  echo "apps: dist/python and dist/java are up to date (APPS_REBUILD=always rebuilds)"
fi

# Both packages must carry the bundled handlers and command line: the jsii tarball inside them holds assets/.
python3 - "$WHEEL_GLOB" "$JAR" <<'PY'
import io, sys, tarfile, zipfile
required = ["package/assets/trigger/trigger.lambda/index.js", "package/assets/workflow/deploy-task.lambda/index.js",
            "package/assets/cli/cdk-sfn-deploy.js"]
for archive in sys.argv[1:]:
    with zipfile.ZipFile(archive) as z:
        tarballs = [n for n in z.namelist() if n.endswith(".jsii.tgz")]
        if len(tarballs) != 1:
            sys.exit(f"apps: {archive} holds {len(tarballs)} jsii tarballs, expected 1")
        with tarfile.open(fileobj=io.BytesIO(z.read(tarballs[0]))) as t:
            sizes = {m.name: m.size for m in t.getmembers()}
    missing = [f for f in required if sizes.get(f, 0) < 1000]
    if missing:
        sys.exit(f"apps: {archive} lacks the bundled Lambda code: {', '.join(missing)} (run npx projen bundle first)")
    print(f"apps: {archive} carries " + ", ".join(f"{f.split('/', 1)[1]} ({sizes[f]} bytes)" for f in required))
PY

# Counts "N passed, N failed" from JUnit XML files (pytest's or surefire's).
count_junit() {
  python3 - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    for s in suites:
        tests, bad = int(s.get("tests", 0)), int(s.get("failures", 0)) + int(s.get("errors", 0))
        skip = int(s.get("skipped", 0))
        passed += tests - bad - skip; failed += bad; skipped += skip
print(passed, failed, skipped)
PY
}

status=0
summary=()
timings=()

# Both apps' templates are checked with the project's pinned cfn-lint (.venv-tools/).
if [ -z "${CFN_LINT:-}" ]; then
  npx projen python-tools
  export CFN_LINT="$ROOT/.venv-tools/bin/cfn-lint"
fi

# ---------------------------------------------------------------------------------------------------
# 2. Python
# ---------------------------------------------------------------------------------------------------
run_python() {
  section "Python (pytest)"
  local venv="$APPS/python/.venv" report="$REPORTS/python-junit.xml" t0 t1 rc=0
  t0=$(now)
  rm -f "$report"
  if ! { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } \
    || ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      "$WHEEL_GLOB" "aws-cdk-lib==$CDK_VERSION" "constructs==$CONSTRUCTS_VERSION" "pytest>=8,<10" \
    || ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$WHEEL_GLOB"
  then
    # (the second install: a rebuilt wheel keeps its version number, so reinstall it to take the new one)
    echo "apps: the Python venv could not be set up"
    timings+=("python: failed to set up after $(elapsed "$t0")")
    record python 1
    return 0
  fi
  echo "apps: python venv ready in $(elapsed "$t0")"
  t1=$(now)
  (cd "$APPS/python" && "$venv/bin/python" -m pytest -q --rootdir . -c pytest.ini --junitxml="$report") || rc=$?
  timings+=("python: venv and installs $(( t1 - t0 ))s, tests $(elapsed "$t1"), total $(elapsed "$t0")")
  record python "$rc" "$report"
}

# ---------------------------------------------------------------------------------------------------
# 3. Java
# ---------------------------------------------------------------------------------------------------
run_java() {
  section "Java (Maven, JUnit 5)"
  local m2="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}" reports="$APPS/java/target/surefire-reports" t0 rc=0
  t0=$(now)
  # The README's Java quick start, from the README itself, where the app's pom.xml compiles it (src/readme/java).
  rm -rf "$APPS/java/src/readme"
  python3 "$APPS/readme_quickstart.py" java "$APPS/java/src/readme/java" || rc=$?
  # The jar and its POM into the local repository, as the README's Install says (mvn install:install-file).
  local j="dist/java/$JAVA_GROUP_PATH/$LIB_VERSION/cdk-stepfunctions-deploy-action-$LIB_VERSION"
  [ "$rc" -ne 0 ] || mvn -B -q -ntp -Dstyle.color=never -Dmaven.repo.local="$m2" \
      install:install-file -Dfile="$j.jar" -DpomFile="$j.pom" || rc=$?
  [ "$rc" -ne 0 ] || (cd "$APPS/java" && mvn -B -q -ntp -Dstyle.color=never -Dmaven.repo.local="$m2" \
      -Dlib.version="$LIB_VERSION" -Dcdk.version="$CDK_VERSION" -Dconstructs.version="$CONSTRUCTS_VERSION" \
      clean test 2>&1 | sed 's/\x1b\[[0-9;]*m//g; /^$/d') || rc=$?  # (pipefail: rc is mvn's)
  timings+=("java: build and tests $(elapsed "$t0") (Maven downloads aws-cdk-lib, ~80 MB, on a first run)")
  local files=()
  if [ -d "$reports" ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find "$reports" -name 'TEST-*.xml' | sort)
  fi
  record java "$rc" "${files[@]}"
}

# record LANG EXIT_CODE REPORT...: adds the "LANG: N passed, N failed" line.
record() {
  local lang="$1" rc="$2"; shift 2
  local existing=() passed=0 failed=0 skipped=0
  for f in "$@"; do [ -f "$f" ] && existing+=("$f"); done
  if [ "${#existing[@]}" -gt 0 ]; then
    read -r passed failed skipped < <(count_junit "${existing[@]}" || echo "0 1 0") || true
  fi
  # A run that failed without a failed test in its report (an install or a compile error) counts as one failure.
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "apps: $lang ran no test"; fi
  [ "$failed" -eq 0 ] || status=1
  summary+=("$lang: $passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped" || true)")
}

# A failure in one language still lets the other run.
if [ "$only" = all ] || [ "$only" = python ]; then run_python; fi
if [ "$only" = all ] || [ "$only" = java ]; then run_java; fi

section "results"
for t in "${timings[@]}"; do echo "$t"; done
for line in "${summary[@]}"; do echo "$line"; done
exit "$status"
