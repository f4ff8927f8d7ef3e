# Shared helpers for the project's scripts: install what they need, idempotently.
# Source it; do not run it. Every installer is quiet when the tool is already there.
#
#   FUNDI_ROOT  the repository root
#   FUNDI_TOOLS project-local tool cache (.tools/, gitignored)

FUNDI_ROOT=${FUNDI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FUNDI_TOOLS=${FUNDI_TOOLS:-$FUNDI_ROOT/.tools}
KOTLIN_VERSION=2.4.20
# The Kotlin language and API version of the Android app: the major.minor of the Kotlin Gradle
# plugin in android/build.gradle.kts (scripts/android/check compiles the app's Kotlin with
# -language-version/-api-version this, and its check g fails if the two part).
KOTLIN_ANDROID_LANGUAGE=2.3
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$FUNDI_ROOT/target}

_apt_updated=0
# ensure_apt PACKAGE... : install Debian packages that are missing.
ensure_apt() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ $_apt_updated -eq 0 ]; then $sudo apt-get update -qq >/dev/null; _apt_updated=1; fi
  echo "installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_kotlinc : sets KOTLIN_HOME to a kotlinc distribution from the npm registry.
ensure_kotlinc() {
  KOTLIN_HOME=$FUNDI_TOOLS/kotlin-compiler-$KOTLIN_VERSION
  if [ ! -x "$KOTLIN_HOME/bin/kotlinc" ]; then
    echo "installing kotlin-compiler@$KOTLIN_VERSION from npm" >&2
    mkdir -p "$FUNDI_TOOLS"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null)
    mkdir -p "$KOTLIN_HOME"
    tar -xzf "$tmp"/kotlin-compiler-*.tgz -C "$KOTLIN_HOME" --strip-components=1
    rm -rf "$tmp"
    chmod +x "$KOTLIN_HOME"/bin/*
  fi
  export KOTLIN_HOME
}

# ensure_jvm_test_deps : JNA and JUnit 5 from Debian; sets JVM_TEST_CP.
ensure_jvm_test_deps() {
  ensure_apt libjna-java junit5
  JUNIT_CONSOLE=/usr/share/java/junit-platform-console-standalone.jar
  JVM_TEST_CP=/usr/share/java/jna.jar:/usr/share/java/junit-jupiter-api.jar:/usr/share/java/apiguardian-api.jar:/usr/share/java/opentest4j.jar
  export JUNIT_CONSOLE JVM_TEST_CP
}

# build_ffi_and_generate OUT_DIR : build fundi-ffi and generate its Kotlin from that exact .so.
# Sets FFI_LIB_DIR (the directory holding libfundi_ffi.so).
# The generator is the pinned `uniffi-bindgen` of the workspace crate uniffi-bindgen/ (not part
# of the cdylib), and it reads cargo's own unstripped host build of the library in
# $CARGO_TARGET_DIR/debug. `--workspace` builds both in one cargo run, so uniffi is compiled
# once with the features of both (a separate `-p` run would compile it a second time).
build_ffi_and_generate() {
  local out=$1
  (cd "$FUNDI_ROOT" && cargo build --quiet --workspace)
  FFI_LIB_DIR=$CARGO_TARGET_DIR/debug
  local bindgen=$FFI_LIB_DIR/uniffi-bindgen
  [ -x "$bindgen" ] || { echo "no $bindgen: is uniffi-bindgen/ a workspace member?" >&2; return 1; }
  rm -rf "$out"; mkdir -p "$out"
  "$bindgen" generate "$FFI_LIB_DIR/libfundi_ffi.so" \
    --language kotlin --no-format --out-dir "$out" >/dev/null
  export FFI_LIB_DIR
}

# junit_counts LOG CLASSES_DIR EXIT_CODE : print "PASSED FAILED" read from a JUnit 5 console
# log. Counts as failed every aborted test, every failed container, and every compiled *Test
# class that did not run (a class whose initialisation throws would otherwise drop out of the
# count silently); a non-zero exit with nothing counted failed is one failure.
junit_counts() {
  local log=$1 classes=$2 rc=$3 passed failed aborted broken classes_run classes_built missing
  _junit() { grep -oE "\[ *[0-9]+ $1" "$log" | grep -oE '[0-9]+' | head -1; }
  passed=$(_junit 'tests successful'); passed=${passed:-0}
  failed=$(_junit 'tests failed'); failed=${failed:-0}
  aborted=$(_junit 'tests aborted'); aborted=${aborted:-0}
  broken=$(_junit 'containers failed'); broken=${broken:-0}
  # Containers run: the engine itself, then one per test class.
  classes_run=$(_junit 'containers successful'); classes_run=$(( ${classes_run:-1} - 1 ))
  classes_built=$(find "$classes" -name '*Test.class' ! -name '*$*' | wc -l)
  missing=$(( classes_built > classes_run ? classes_built - classes_run : 0 ))
  if [ "$missing" != 0 ]; then echo "junit: $missing of $classes_built test classes did not load or run" >&2; fi
  failed=$(( failed + aborted + broken + missing ))
  if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
  echo "$passed $failed"
}

# run_junit CLASSES_DIR LABEL : run every JUnit 5 test found in CLASSES_DIR and print
# "LABEL: N passed, N failed" (counted by junit_counts). Fails if a test failed or none ran.
run_junit() {
  local classes=$1 label=$2 log rc passed failed
  log=$(mktemp)
  set +e
  java -Djna.library.path="$FFI_LIB_DIR" -jar "$JUNIT_CONSOLE" \
    --class-path "$classes:$JVM_TEST_CP:$KOTLIN_HOME/lib/kotlin-stdlib.jar" \
    --scan-class-path "$classes" --disable-banner --details=tree >"$log" 2>&1
  rc=$?
  set -e
  read -r passed failed < <(junit_counts "$log" "$classes" "$rc")
  if [ "$failed" != 0 ] || [ "$passed" = 0 ]; then cat "$log"; fi
  rm -f "$log"
  echo "$label: $passed passed, $failed failed"
  [ "$failed" = 0 ] && [ "$passed" != 0 ]
}

# ensure_rust_gates : rustfmt and clippy, the gates of scripts/test-all (rustup components).
ensure_rust_gates() {
  cargo fmt --version >/dev/null 2>&1 && cargo clippy --version >/dev/null 2>&1 && return 0
  echo "installing rustfmt and clippy (rustup components)" >&2
  rustup component add rustfmt clippy >/dev/null
}
