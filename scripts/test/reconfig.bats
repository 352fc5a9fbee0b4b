#!/usr/bin/env bats
# Dynamic reconfiguration with real ZooKeeper servers, each in its own network
# namespace on its own loop-device volume, brought up by zk-bootstrap: three
# members, a fourth that joins as an observer and is added with zk-reconfig,
# its restart on the kept volume with an outdated --servers list, its
# removal, and a member restarting on a volume holding a committed change.

load test_helper
load ensemble_helper

readonly JOINER=1=10.99.1.101,2=10.99.1.102,3=10.99.1.103,4=10.99.1.104

setup_file() { ensemble_setup_file zkr 1 2 3 4; }

teardown_file() { ensemble_teardown_file 1 2 3 4; }

setup() {
  [[ "${EUID}" -eq 0 ]] || skip "needs root"
}

data() { printf '%s/n%s/root/var/lib/zkasg/data\n' "${BATS_FILE_TMPDIR}" "$1"; }

# membership <i>: the server lines and version node i reports (conf).
membership() { zk4 "n$1" conf | grep -E '^(server\.[0-9]+=|version=)'; }

version() { membership "$1" | sed -n 's/^version=//p'; }

show() {
  echo "${output}"
  local i
  for i in 1 2 3 4; do
    echo "--- n${i}: $(zk_srvr_mode "n${i}") $(membership "${i}" | tr '\n' ' ')"
    cat "$(data "${i}")/zoo.cfg" "$(data "${i}")"/zoo.cfg.dynamic* 2>/dev/null || true
    grep -v INFO "${BATS_FILE_TMPDIR}/n${i}/root/var/lib/zkasg/state/zookeeper.log" 2>/dev/null | tail -n 15 || true
    tail -n 20 "${BATS_FILE_TMPDIR}/n${i}/root/var/lib/zkasg/state/zookeeper.log" 2>/dev/null || true
  done
  return 1
}

@test "three members: the membership is on the data volume, the reconfig secret stays on the instance" {
  bootstrap_parallel 1 2 3
  [[ "$(modes 1 2 3)" == "follower follower leader " ]]
  local cfg="${BATS_FILE_TMPDIR}/n1/root/etc/zkasg/zoo.cfg"
  grep -qx 'reconfigEnabled=true' "${cfg}"
  grep -qx 'standaloneEnabled=false' "${cfg}"
  grep -qE '^DigestAuthenticationProvider\.superDigest=super:[A-Za-z0-9+/]{27}=$' "${cfg}"
  run ! grep -q '^server\.' "${cfg}"
  [[ "$(stat -c '%a %U' "${BATS_FILE_TMPDIR}/n1/root/etc/zkasg/reconfig.secret")" == "600 root" ]]
  run ! grep -qF "$(cat "${BATS_FILE_TMPDIR}/n1/root/etc/zkasg/reconfig.secret")" "${cfg}" "$(data 1)/zoo.cfg"
  [[ "$(cat "$(data 1)/zoo.cfg.dynamic")" == "server.1=10.99.1.101:2888:3888:participant;2181
server.2=10.99.1.102:2888:3888:participant;2181
server.3=10.99.1.103:2888:3888:participant;2181" ]]
  # The first leader gives the seed a version (the zxid) and ZooKeeper writes it
  # next to its zoo.cfg on the volume, and points that zoo.cfg at it.
  fx_retry 10 grep -qx "dynamicConfigFile=$(data 1)/zoo.cfg.dynamic.$(version 1)" "$(data 1)/zoo.cfg" || {
    cat "$(data 1)/zoo.cfg"
    membership 1
    return 1
  }
  [[ "$(membership 2 | grep -c '^server\.')" -eq 3 ]]
  zk_write n1 /before 300 0
  [[ "$(grep -c '^Created /before/' "${FX_STATE}/zkcli.log")" -eq 300 ]]
}

@test "a new member syncs without a vote, is added as a participant, and a second add changes nothing" {
  local v l
  run bootstrap 4 "${JOINER}" --join observer
  [[ "${status}" -eq 0 ]] || show
  # Its seed (version 0) loses to the committed membership the others send in
  # the election: it serves as a learner the leader does not count, and its
  # membership does not name it yet.
  [[ "$(zk_srvr_mode n4)" =~ ^(observer|follower)$ ]] || show
  run ! grep -q '^server\.4=' <(membership 4)
  l="$(for i in 1 2 3; do [[ "$(zk_srvr_mode "n${i}")" != leader ]] || echo "${i}"; done)"
  [[ "$(zk_mntr "n${l}" zk_synced_non_voting_followers)" -eq 1 ]] || show
  fx_retry 30 znodes_equal 1 4
  v="$(version 1)"
  [[ -n "${v}" ]]

  run node 1 "${BIN}/zk-reconfig" --add 4=10.99.1.104 --from-version "${v}"
  [[ "${status}" -eq 0 ]] || show
  [[ "${output}" == *"server.4=10.99.1.104:2888:3888:participant;0.0.0.0:2181"* ]]
  fx_retry 60 test "$(zk_srvr_mode n4)" = follower || show
  for i in 1 2 3 4; do
    fx_retry 30 test "$(membership "${i}" | grep -c ':participant')" -eq 4 || show
  done
  [[ "$(version 2)" != "${v}" ]]
  # ZooKeeper wrote the committed membership on the new member's volume.
  grep -qx "dynamicConfigFile=$(data 4)/zoo.cfg.dynamic.$(version 4)" "$(data 4)/zoo.cfg"
  grep -qx 'server.4=10.99.1.104:2888:3888:participant;0.0.0.0:2181' "$(data 4)/zoo.cfg.dynamic.$(version 4)"

  run node 2 "${BIN}/zk-reconfig" --add 4=10.99.1.104
  [[ "${status}" -eq 0 ]] || show
  [[ "${output}" == *"already a participant"* ]]
  # A change from an outdated reading is refused.
  run node 2 "${BIN}/zk-reconfig" --remove 4 --from-version "${v}"
  assert_one_line_error 3 "no longer version ${v}"
  [[ "$(membership 1 | grep -c ':participant')" -eq 4 ]]
}

@test "the added member restarts on its kept volume as a participant, whatever its bootstrap list says" {
  local pid
  run node 4 "${BIN}/zk-stop" --volume-id "$(vol_id 4)"
  [[ "${status}" -eq 0 ]] || show
  zk_write n1 /while4 200 0
  run bootstrap 4 "${JOINER}" --join observer
  [[ "${status}" -eq 0 ]] || show
  [[ "${output}" == *"membership from the volume"* ]] || show
  fx_retry 60 test "$(zk_srvr_mode n4)" = follower || show
  fx_retry 30 znodes_equal 1 4
  # A second run changes nothing and does not restart ZooKeeper.
  pid="$(cat "${BATS_FILE_TMPDIR}/n4/root/var/lib/zkasg/state/zookeeper.pid")"
  run bootstrap 4 "${JOINER}" --join observer
  [[ "${status}" -eq 0 ]] || show
  [[ "${output}" == *"already runs with this configuration"* && "${output}" != *updated* ]]
  [[ "$(cat "${BATS_FILE_TMPDIR}/n4/root/var/lib/zkasg/state/zookeeper.pid")" == "${pid}" ]]
}

@test "the member is removed; the others keep serving with three; a member restarts on the committed membership" {
  local i
  run node 3 "${BIN}/zk-reconfig" --remove 4
  [[ "${status}" -eq 0 ]] || show
  [[ "${output}" != *"server.4="* ]]
  for i in 1 2 3; do
    fx_retry 30 test "$(membership "${i}" | grep -c '^server\.')" -eq 3 || show
  done
  run node 3 "${BIN}/zk-reconfig" --remove 4
  [[ "${status}" -eq 0 ]]
  [[ "${output}" == *"not a member"* ]]
  zk_write n2 /after 100 0
  [[ "$(grep -c '^Created /after/' "${FX_STATE}/zkcli.log")" -eq 100 ]]

  # Node 1 restarts on its volume: it starts with the committed membership (3
  # servers, the latest version), not its seed from the first bootstrap.
  run node 1 "${BIN}/zk-stop" --volume-id "$(vol_id 1)"
  [[ "${status}" -eq 0 ]]
  run bootstrap 1 "${SERVERS}"
  [[ "${status}" -eq 0 ]] || show
  grep -q "dynamicConfigFile=$(data 1)/zoo.cfg.dynamic\.[0-9a-f]" "$(data 1)/zoo.cfg"
  [[ "$(membership 1 | grep -c '^server\.')" -eq 3 ]]
  [[ "$(version 1)" == "$(version 2)" ]]
  fx_retry 30 znodes_equal 1 2
  fx_retry 30 znodes_equal 1 3
}

@test "zk-reconfig: bad input is refused before anything runs" {
  run node 1 "${BIN}/zk-reconfig" --add 4=10.99.1.104 --remove 3
  assert_one_line_error 1 "one change at a time"
  run node 1 "${BIN}/zk-reconfig" --add 4=10.99.1.104,5=10.99.1.105
  assert_one_line_error 1 "one change at a time"
  run node 1 "${BIN}/zk-reconfig" --remove 0
  assert_one_line_error 1 "--remove has an invalid value"
  run node 1 "${BIN}/zk-reconfig" --remove 4 --from-version 'x;y'
  assert_one_line_error 1 "--from-version has an invalid value"
}
