#!/usr/bin/env bash
# Builds the quickstart against the vectorgrad jars in the local Maven repository and runs it twice:
# on the module path and on the class path, with the flags each needs. Run after `./vectorgrad install`
# (or through `./vectorgrad samples`, which sets JAVA_HOME to a JDK 25).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
: "${JAVA_HOME:?set JAVA_HOME to a JDK 25 (./vectorgrad sets it)}"
JAVA="$JAVA_HOME/bin/java"
mvn -B -q -ntp package
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "quickstart on the module path:"
# vectorgrad.kernels requires jdk.incubator.vector, so the module path needs no flag at all
"$JAVA" --module-path target/classes:target/lib -m quickstart/quickstart.Quickstart "$out/module-path.safetensors"

echo "quickstart on the class path:"
# on the class path module-info is not read: the incubator module must be added by hand
"$JAVA" --add-modules jdk.incubator.vector -cp "target/classes:target/lib/*" quickstart.Quickstart "$out/class-path.safetensors"

cmp "$out/module-path.safetensors" "$out/class-path.safetensors"
echo "quickstart: both runs wrote the same weights"
echo "quickstart: 2 passed, 0 failed"
