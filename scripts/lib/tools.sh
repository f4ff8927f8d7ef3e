# Shared helpers for the project's scripts: install what they need, idempotently.
# Source it; do not run it. Every installer is quiet when the tool is already there.
#
#   FUNDI_ROOT  the repository root
#   FUNDI_TOOLS project-local tool cache (.tools/, gitignored)

FUNDI_ROOT=${FUNDI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FUNDI_TOOLS=${FUNDI_TOOLS:-$FUNDI_ROOT/.tools}
KOTLIN_VERSION=2.4.20
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
build_ffi_and_generate() {
  local out=$1
  (cd "$FUNDI_ROOT" && cargo build --quiet --workspace)
  FFI_LIB_DIR=$CARGO_TARGET_DIR/debug
  rm -rf "$out"; mkdir -p "$out"
  "$FFI_LIB_DIR/uniffi-bindgen" generate "$FFI_LIB_DIR/libfundi_ffi.so" \
    --language kotlin --no-format --out-dir "$out" >/dev/null
  export FFI_LIB_DIR
}

# run_junit CLASSES_DIR LABEL : run every JUnit 5 test found in CLASSES_DIR and print
# "LABEL: N passed, N failed". Fails if a test failed or none ran.
run_junit() {
  local classes=$1 label=$2 log
  log=$(mktemp)
  set +e
  java -Djna.library.path="$FFI_LIB_DIR" -jar "$JUNIT_CONSOLE" \
    --class-path "$classes:$JVM_TEST_CP:$KOTLIN_HOME/lib/kotlin-stdlib.jar" \
    --scan-class-path "$classes" --disable-banner --details=tree >"$log" 2>&1
  set -e
  local passed failed
  passed=$(grep -oE '\[ *[0-9]+ tests successful' "$log" | grep -oE '[0-9]+' || echo 0)
  failed=$(grep -oE '\[ *[0-9]+ tests failed' "$log" | grep -oE '[0-9]+' || echo 0)
  if [ "${failed:-0}" != 0 ] || [ "${passed:-0}" = 0 ]; then cat "$log"; fi
  rm -f "$log"
  echo "$label: ${passed:-0} passed, ${failed:-0} failed"
  [ "${failed:-0}" = 0 ] && [ "${passed:-0}" != 0 ]
}

# ensure_rust_gates : rustfmt and clippy, the gates of scripts/test-all (rustup components).
ensure_rust_gates() {
  cargo fmt --version >/dev/null 2>&1 && cargo clippy --version >/dev/null 2>&1 && return 0
  echo "installing rustfmt and clippy (rustup components)" >&2
  rustup component add rustfmt clippy >/dev/null
}
