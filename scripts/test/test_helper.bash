# shellcheck shell=bash
# Loaded by every suite: root check, per-test fixture state, and cleanup.

# shellcheck source-path=SCRIPTDIR source=lib/fixture.bash
source "${BATS_TEST_DIRNAME}/lib/fixture.bash"

bats_require_minimum_version 1.5.0

BIN="${FX_BIN}"
export BIN

common_setup() {
  [[ "${EUID}" -eq 0 ]] || skip "needs root (namespaces, loop devices, mounts)"
  # A short, unique prefix: network namespace and interface names are global.
  fx_init "${BATS_TEST_TMPDIR}/fx" "zkt$(printf '%s' "${BATS_TEST_TMPDIR}" | md5sum | cut -c1-6)"
  NODE_DIR="${BATS_TEST_TMPDIR}/node"
  mkdir -p "${NODE_DIR}"
  # The scripts run with this node's environment (paths under the test dir).
  while IFS= read -r kv; do
    export "${kv?}"
  done < <(fx_node_env "${NODE_DIR}")
}

common_teardown() {
  fx_cleanup
}

# assert_one_line_error <code> [text]: the failure ends with one "zkasg:" line
# on stderr (containing text).
# shellcheck disable=SC2154 # status, output and lines are set by bats' run
assert_one_line_error() {
  [[ "${status}" -eq "$1" ]] || {
    echo "expected exit $1, got ${status}: ${output}" >&2
    return 1
  }
  [[ "${#lines[@]}" -ge 1 && "${lines[-1]}" == zkasg:* ]] || {
    echo "last line is not a zkasg: message: ${output}" >&2
    return 1
  }
  [[ -z "${2:-}" || "${lines[-1]}" == *"$2"* ]] || {
    echo "expected \"$2\" in: ${output}" >&2
    return 1
  }
}
