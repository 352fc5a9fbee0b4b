#!/usr/bin/env bats
# zk-stop --fence: the highest stop lease counter acted on is kept in the
# state dir; a stop with a lower one (a stale lease holder) is refused with
# exit 4 before anything is stopped, and two stops that overlap take turns.

load test_helper

setup() {
  common_setup
  STATE="${ZKASG_ROOT}/var/lib/zkasg/state"
  DATA="${ZKASG_ROOT}/var/lib/zkasg/data"
  mkdir -p "${DATA}"
  # A mounted data dir stands for the volume: a stop that goes on unmounts it.
  mount -t tmpfs -o size=1m zkt-fence "${DATA}"
}

teardown() {
  if mountpoint -q "${DATA}"; then umount "${DATA}"; fi
  common_teardown
}

@test "a stop records its counter; the same one again and a newer one go on" {
  run "${BIN}/zk-stop" --fence 5
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "$(<"${STATE}/stop-fence")" == 5 ]]
  run ! mountpoint -q "${DATA}"
  run "${BIN}/zk-stop" --fence 5
  [[ "${status}" -eq 0 ]]
  run "${BIN}/zk-stop" --fence 123456789012345678
  [[ "${status}" -eq 0 ]]
  [[ "$(<"${STATE}/stop-fence")" == 123456789012345678 ]]
}

@test "a stale lease holder's stop is refused with exit 4 and stops nothing" {
  run "${BIN}/zk-stop" --fence 7
  [[ "${status}" -eq 0 ]]
  mount -t tmpfs -o size=1m zkt-fence "${DATA}"

  run "${BIN}/zk-stop" --fence 6
  assert_one_line_error 4 "lease counter 6 is older than 7, already acted on here (a stale stop lease holder)"
  mountpoint -q "${DATA}"
  [[ "$(<"${STATE}/stop-fence")" == 7 ]]
}

@test "two stops that overlap take turns: the later one compares with what the first recorded" {
  local lock pid rc=0
  mkdir -p "${STATE}"
  # The first stop holds the lock and has recorded 9 while it still runs.
  exec {lock}>>"${STATE}/stop-fence.lock"
  flock "${lock}"
  printf '9\n' >"${STATE}/stop-fence"
  # The lock's descriptor is closed for the second stop: an inherited copy would hold the lock for it.
  "${BIN}/zk-stop" --fence 8 {lock}>&- >"${BATS_TEST_TMPDIR}/second.out" 2>&1 &
  pid=$!
  sleep 1
  kill -0 "${pid}" # still waiting for the lock
  mountpoint -q "${DATA}"
  exec {lock}>&-
  wait "${pid}" || rc=$?
  [[ "${rc}" -eq 4 ]] || {
    cat "${BATS_TEST_TMPDIR}/second.out"
    return 1
  }
  mountpoint -q "${DATA}"
  [[ "$(<"${STATE}/stop-fence")" == 9 ]]
}

@test "a record that is not a counter refuses every stop; bad counters are usage errors" {
  mkdir -p "${STATE}"
  printf 'x\n' >"${STATE}/stop-fence"
  run "${BIN}/zk-stop" --fence 3
  assert_one_line_error 3 "does not hold a lease counter"
  mountpoint -q "${DATA}"
  local bad
  for bad in 0 01 -1 1234567890123456789 "1;id" "1 " "" "$(printf '1\n2')"; do
    run "${BIN}/zk-stop" --fence "${bad}"
    [[ "${status}" -eq 1 ]] || {
      echo "--fence '${bad}' gave ${status}: ${output}"
      return 1
    }
  done
  mountpoint -q "${DATA}"
}
