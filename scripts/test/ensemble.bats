#!/usr/bin/env bats
# A real 3-node ensemble, each node in its own network namespace with the
# ENI's NIC on a shared bridge and its own loop-device "EBS volume", brought
# up by zk-bootstrap. A follower stopped with zk-stop rejoins on its kept
# volume with a DIFF, not a SNAP.

load test_helper
load ensemble_helper

setup_file() { ensemble_setup_file zke 1 2 3; }

teardown_file() { ensemble_teardown_file 1 2 3; }

setup() {
  [[ "${EUID}" -eq 0 ]] || skip "needs root"
}

leader() {
  local i
  for i in 1 2 3; do
    [[ "$(zk_srvr_mode "n${i}")" != leader ]] || {
      printf '%s\n' "${i}"
      return 0
    }
  done
  return 1
}

@test "three nodes bootstrapped in parallel reach quorum: one leader, two followers" {
  local i
  bootstrap_parallel 1 2 3
  [[ "$(modes 1 2 3)" == "follower follower leader " ]]
  for i in 1 2 3; do
    [[ "$(cat "${BATS_FILE_TMPDIR}/n${i}/root/var/lib/zkasg/data/myid")" == "${i}" ]]
    mountpoint -q "${BATS_FILE_TMPDIR}/n${i}/root/var/lib/zkasg/data"
    # pidfile mode drops to the zookeeper user, as the systemd unit does.
    [[ "$(ps -o user= -p "$(cat "${BATS_FILE_TMPDIR}/n${i}/root/var/lib/zkasg/state/zookeeper.pid")")" == zookeeper ]]
  done
}

@test "2,000 znodes of 1 KiB are written and replicated" {
  local l
  l="$(leader)"
  zk_write "n${l}" /bench 2000 0
  [[ "$(grep -c '^Created /bench/' "${FX_STATE}/zkcli.log")" -eq 2000 ]]
  fx_retry 30 znodes_equal 1 2
  fx_retry 30 znodes_equal 1 3
  [[ "$(zk_mntr "n${l}" zk_znode_count)" -ge 2001 ]]
}

@test "a second zk-bootstrap on a running node changes nothing" {
  local pid
  pid="$(cat "${BATS_FILE_TMPDIR}/n1/root/var/lib/zkasg/state/zookeeper.pid")"
  run bootstrap 1
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "${output}" == *"already runs with this configuration"* ]]
  [[ "${output}" != *updated* && "${output}" != *"added "* && "${output}" != *"mounted /dev"* ]]
  [[ "$(cat "${BATS_FILE_TMPDIR}/n1/root/var/lib/zkasg/state/zookeeper.pid")" == "${pid}" ]]
}

@test "a follower stopped with zk-stop rejoins on its kept volume with a DIFF, not a SNAP" {
  local l f i diff0 snap0
  l="$(leader)"
  for i in 1 2 3; do
    [[ "${i}" == "${l}" ]] || f="${i}"
  done
  diff0="$(zk_mntr "n${l}" zk_diff_count)"
  snap0="$(zk_mntr "n${l}" zk_snap_count)"

  run node "${f}" "${BIN}/zk-stop" --volume-id "$(vol_id "${f}")"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  run ! mountpoint -q "${BATS_FILE_TMPDIR}/n${f}/root/var/lib/zkasg/data"
  [[ -z "$(zk4 "n${f}" ruok)" ]]

  zk_write "n${l}" /more 1000 0
  [[ "$(grep -c '^Created /more/' "${FX_STATE}/zkcli.log")" -eq 1000 ]]

  run bootstrap "${f}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "${output}" != *"creating ext4"* && "${output}" != *chowned* ]] # the volume is reused as it is
  [[ "$(zk_srvr_mode "n${f}")" == follower ]]
  [[ "$(zk_mntr "n${l}" zk_diff_count)" -eq $((diff0 + 1)) ]]
  [[ "$(zk_mntr "n${l}" zk_snap_count)" -eq "${snap0}" ]]
  grep -q 'Getting a diff from the leader' "${BATS_FILE_TMPDIR}/n${f}/root/var/lib/zkasg/state/zookeeper.log"
  fx_retry 30 znodes_equal "${l}" "${f}"
}

@test "after the leader itself restarted, a kept volume still rejoins with a DIFF" {
  local l f i diff0 snap0
  l="$(leader)"
  for i in 1 2 3; do
    [[ "${i}" == "${l}" ]] || f="${i}"
  done
  run node "${f}" "${BIN}/zk-stop"
  [[ "${status}" -eq 0 ]]
  zk_set "n${l}" /bench 500 0
  # The leader restarts on its own volume: new epoch, its in-memory proposals
  # are rebuilt from the log, and the writes after it go to a new txn log
  # (the rejoin pitfall: with ZooKeeper's defaults this rejoin is a SNAP).
  run node "${l}" "${BIN}/zk-stop"
  [[ "${status}" -eq 0 ]]
  run bootstrap "${l}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  fx_retry 60 leader >/dev/null
  l="$(leader)"
  zk_set "n${l}" /bench 500 500
  diff0="$(zk_mntr "n${l}" zk_diff_count)"
  snap0="$(zk_mntr "n${l}" zk_snap_count)"

  run bootstrap "${f}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "$(zk_mntr "n${l}" zk_diff_count)" -eq $((diff0 + 1)) ]]
  [[ "$(zk_mntr "n${l}" zk_snap_count)" -eq "${snap0}" ]]
  fx_retry 30 znodes_equal "${l}" "${f}"
}

@test "two overlapping zk-bootstrap runs (a retried SendCommand) both succeed: one mount, one ZooKeeper, the address once" {
  local l f i rc=0 p1 p2 data
  l="$(leader)"
  for i in 1 2 3; do
    [[ "${i}" == "${l}" ]] || f="${i}"
  done
  data="${BATS_FILE_TMPDIR}/n${f}/root/var/lib/zkasg/data"
  run node "${f}" "${BIN}/zk-stop" --volume-id "$(vol_id "${f}")"
  [[ "${status}" -eq 0 ]]
  # As on a fresh instance: the ENI's address is not on the NIC yet, so both runs want to add it.
  node "${f}" ip -4 addr del "10.99.1.10${f}/24" dev eth1 2>/dev/null || true

  bootstrap "${f}" >"${BATS_FILE_TMPDIR}/twice-1.log" 2>&1 3>&- &
  p1=$!
  bootstrap "${f}" >"${BATS_FILE_TMPDIR}/twice-2.log" 2>&1 3>&- &
  p2=$!
  wait "${p1}" || rc=$?
  wait "${p2}" || rc=$?
  [[ "${rc}" -eq 0 ]] || {
    cat "${BATS_FILE_TMPDIR}/twice-1.log" "${BATS_FILE_TMPDIR}/twice-2.log"
    return 1
  }
  fx_retry 60 test "$(zk_srvr_mode "n${f}")" = follower
  [[ "$(findmnt -rn -o TARGET --mountpoint "${data}" | wc -l)" -eq 1 ]]
  [[ "$(node "${f}" ip -4 -o addr show dev eth1 | grep -c "10.99.1.10${f}/")" -eq 1 ]]
  [[ "$(pgrep -f "QuorumPeerMain.*n${f}/root|n${f}/root.*QuorumPeerMain" | wc -l)" -eq 1 ]]
  fx_retry 30 znodes_equal "${l}" "${f}"
}
