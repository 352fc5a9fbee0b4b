#!/usr/bin/env bats
# scripts/test/install-deps, which `make local` and `make test` run first:
# nothing to do when every tool is there; without root, one line naming what
# is missing and the command that installs it (never a partial install).

load test_helper

@test "install-deps: every tool there: no output, no apt-get, exit 0" {
  [[ "${EUID}" -eq 0 ]] || skip "needs root"
  run "${BATS_TEST_DIRNAME}/install-deps" test
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ -z "${output}" ]]
}

@test "install-deps: not root and tools missing: one line naming them and the install command, exit 1" {
  [[ "${EUID}" -eq 0 ]] || skip "needs root (to run the check as nobody)"
  # The script on stdin: nobody may not be able to read the checkout.
  run setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/nonexistent /bin/bash -s java \
    <"${BATS_TEST_DIRNAME}/install-deps"
  [[ "${status}" -eq 1 ]]
  [[ "${#lines[@]}" -eq 1 ]]
  [[ "${output}" == "install-deps: missing javac mvn; install with: sudo apt-get update && sudo apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven" ]]
}

@test "install-deps: an unknown profile is a usage error" {
  run "${BATS_TEST_DIRNAME}/install-deps" everything
  [[ "${status}" -eq 1 ]]
  [[ "${output}" == *"usage: install-deps"* ]]
}
