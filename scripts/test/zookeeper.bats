#!/usr/bin/env bats
# zk-write-config and zk-start/zk-stop with a single ZooKeeper server in its
# own network namespace (pidfile mode), installed from a release-shaped
# tarball served over file:// and verified by SHA-512.

load test_helper

setup() {
  common_setup
  fx_add_ns solo
  export ZKASG_REQUIRE_MOUNT=0 # no volume in this suite: the data dir is a plain dir
  export ZKASG_ZK_HOME="${BATS_TEST_TMPDIR}/opt/zookeeper"
  export ZKASG_SYSTEM_JAVA_DIR="${BATS_TEST_TMPDIR}/no-system-zookeeper"
  DATA="${ZKASG_ROOT}/var/lib/zkasg/data"
  CFG="${ZKASG_ROOT}/etc/zkasg/zoo.cfg"
  mkdir -p "${DATA}"
  chown zookeeper "${DATA}"
  fx_traversable "${DATA}"
}

teardown() {
  common_teardown
}

# A tarball shaped like a ZooKeeper binary release, built from Debian's jars
# (the jar's manifest points at its dependencies in /usr/share/java).
make_release() {
  local d="${BATS_TEST_TMPDIR}/release/apache-zookeeper-3.8.0-bin"
  mkdir -p "${d}/lib" "${d}/conf"
  cp /usr/share/java/zookeeper.jar "${d}/lib/zookeeper-3.8.0.jar"
  cp /usr/share/java/slf4j-simple.jar "${d}/lib/"
  tar -czf "${BATS_TEST_TMPDIR}/zk.tar.gz" -C "${BATS_TEST_TMPDIR}/release" apache-zookeeper-3.8.0-bin
  URL="file://${BATS_TEST_TMPDIR}/zk.tar.gz"
  SHA="$(sha512sum "${BATS_TEST_TMPDIR}/zk.tar.gz" | cut -d' ' -f1)"
}

write_config() {
  run "${BIN}/zk-write-config" --node-id 1 --servers 1=10.99.1.101 "$@"
}

zk_start() {
  run in_ns solo "${BIN}/zk-start" "$@"
}

@test "zoo.cfg and myid: content, and a second run changes nothing" {
  local before
  run "${BIN}/zk-write-config" --node-id 2 --servers 1=10.99.1.101,2=10.99.1.102,3=10.99.1.103 \
    --eni-ip 10.99.1.102 --client-port 2181 --quorum-port 2888 --election-port 3888
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "$(cat "${DATA}/myid")" == 2 ]]
  grep -qx "dataDir=${DATA}" "${CFG}"
  grep -qx 'clientPort=2181' "${CFG}"
  grep -qx '4lw.commands.whitelist=ruok,mntr,srvr,conf,stat' "${CFG}"
  grep -qx 'quorumListenOnAllIPs=true' "${CFG}"
  grep -qx 'preAllocSize=1024' "${CFG}"
  grep -qx 'snapshotSizeFactor=1.0' "${CFG}"
  grep -qx 'commitLogCount=5000' "${CFG}"
  grep -qx 'autopurge.snapRetainCount=3' "${CFG}"
  grep -qx 'autopurge.purgeInterval=1' "${CFG}"
  grep -qx 'tickTime=250' "${CFG}"
  grep -qx 'initLimit=80' "${CFG}"
  grep -qx 'syncLimit=4' "${CFG}"
  grep -qx 'connectToLearnerMasterLimit=8' "${CFG}"
  grep -qx 'cnxTimeout=500' "${CFG}"
  grep -qx 'minSessionTimeout=4000' "${CFG}"
  grep -qx 'maxSessionTimeout=40000' "${CFG}"
  grep -qx 'reconfigEnabled=true' "${CFG}"
  grep -qx 'standaloneEnabled=false' "${CFG}"
  run ! grep -q '^server\.' "${CFG}"
  # The membership and ZooKeeper's copy of zoo.cfg are on the data volume.
  [[ "$(cat "${DATA}/zoo.cfg.dynamic")" == "server.1=10.99.1.101:2888:3888:participant;2181
server.2=10.99.1.102:2888:3888:participant;2181
server.3=10.99.1.103:2888:3888:participant;2181" ]]
  [[ "$(grep -v '^#' "${DATA}/zoo.cfg")" == "$(grep -v -e '^#' -e '^clientPort=' "${CFG}")
dynamicConfigFile=${DATA}/zoo.cfg.dynamic" ]]
  before="$(stat -c '%n %Y %s' "${CFG}" "${DATA}/myid" "${DATA}/zoo.cfg" "${DATA}/zoo.cfg.dynamic")"
  sleep 1
  run "${BIN}/zk-write-config" --node-id 2 --servers 1=10.99.1.101,2=10.99.1.102,3=10.99.1.103
  [[ "${status}" -eq 0 ]]
  [[ "${output}" != *updated* ]]
  [[ "$(stat -c '%n %Y %s' "${CFG}" "${DATA}/myid" "${DATA}/zoo.cfg" "${DATA}/zoo.cfg.dynamic")" == "${before}" ]]
  # Until ZooKeeper commits a membership, the seed follows --servers; then the
  # committed one wins (reconfig.bats).
  run "${BIN}/zk-write-config" --node-id 2 --servers 1=10.99.1.101,2=10.99.1.102
  [[ "${status}" -eq 0 ]]
  [[ "$(grep -c '^server\.' "${DATA}/zoo.cfg.dynamic")" -eq 2 ]]
  # A committed membership that gives this node another address (a volume
  # restored from another stack's snapshot) is not used: --servers is.
  printf 'server.1=10.98.1.101:2888:3888:participant;2181\nserver.2=10.98.1.102:2888:3888:participant;2181\n' \
    >"${DATA}/zoo.cfg.dynamic.100000000"
  sed -i "s|^dynamicConfigFile=.*|dynamicConfigFile=${DATA}/zoo.cfg.dynamic.100000000|" "${DATA}/zoo.cfg"
  run "${BIN}/zk-write-config" --node-id 2 --servers 1=10.99.1.101,2=10.99.1.102
  [[ "${status}" -eq 0 ]]
  grep -qx "dynamicConfigFile=${DATA}/zoo.cfg.dynamic" "${DATA}/zoo.cfg"
  # At its own address, the committed membership wins over --servers.
  sed -i 's/10\.98\./10.99./' "${DATA}/zoo.cfg.dynamic.100000000"
  sed -i "s|^dynamicConfigFile=.*|dynamicConfigFile=${DATA}/zoo.cfg.dynamic.100000000|" "${DATA}/zoo.cfg"
  run "${BIN}/zk-write-config" --node-id 2 --servers 1=10.99.1.101,2=10.99.1.102,3=10.99.1.103
  [[ "${status}" -eq 0 ]]
  [[ "${output}" == *"membership from the volume (zoo.cfg.dynamic.100000000)"* ]]
  grep -qx "dynamicConfigFile=${DATA}/zoo.cfg.dynamic.100000000" "${DATA}/zoo.cfg"
}

@test "no ZooKeeper installed and no --zk-dist-url: exit 1" {
  write_config
  zk_start
  assert_one_line_error 1 "not installed"
}

@test "a tarball whose SHA-512 does not match is refused with exit 3 and not unpacked" {
  make_release
  write_config
  zk_start --zk-dist-url "${URL}" --zk-sha512 "$(printf '0%.0s' {1..128})"
  assert_one_line_error 3 "SHA-512 mismatch"
  [[ ! -e "${ZKASG_ZK_HOME}" ]]
}

@test "install from the tarball, start, no restart when unchanged, restart on change, stop" {
  local pid
  make_release
  write_config
  zk_start --zk-dist-url "${URL}" --zk-sha512 "${SHA}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    cat "${ZKASG_ROOT}/var/lib/zkasg/state/zookeeper.log"
    return 1
  }
  [[ -f "${ZKASG_ZK_HOME}/lib/zookeeper-3.8.0.jar" ]]
  [[ "$(zk4 solo ruok)" == imok ]]
  [[ "$(zk_srvr_mode solo)" == standalone ]]
  pid="$(cat "${ZKASG_ROOT}/var/lib/zkasg/state/zookeeper.pid")"

  zk_start # installed now: no flags needed; same config: no restart
  [[ "${status}" -eq 0 ]]
  [[ "${output}" == *"already runs with this configuration"* ]]
  [[ "$(cat "${ZKASG_ROOT}/var/lib/zkasg/state/zookeeper.pid")" == "${pid}" ]]

  write_config --client-port 2182
  zk_start
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "${output}" == *"configuration changed: restarting"* ]]
  [[ "$(cat "${ZKASG_ROOT}/var/lib/zkasg/state/zookeeper.pid")" != "${pid}" ]]
  [[ ! -e "/proc/${pid}" ]] || [[ "$(tr '\0' ' ' <"/proc/${pid}/cmdline")" != *QuorumPeerMain* ]]

  run in_ns solo "${BIN}/zk-stop"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ -z "$(ip netns pids "$(fx_ns solo)")" ]]
  run in_ns solo "${BIN}/zk-stop"
  [[ "${status}" -eq 0 ]]
}

@test "ZooKeeper that exits at start-up is reported as exit 2, not waited for" {
  make_release
  write_config
  export ZKASG_JVM_OPTS="-Xmx1k" # too small a heap: the JVM refuses to start
  zk_start --zk-dist-url "${URL}" --zk-sha512 "${SHA}"
  assert_one_line_error 2 "exited during start-up"
}

@test "a server seen serving is reported as serving even when the next probe fails" {
  # Under load (or a member going LOOKING for a moment as the ensemble changes)
  # the probe after the one that saw the server serve can fail; the start has
  # succeeded then, and a bootstrap failed on that would get the launch abandoned.
  make_release
  write_config
  local stub="${BATS_TEST_TMPDIR}/stub"
  mkdir -p "${stub}"
  PATH="${BATS_TEST_DIRNAME}/stubs/flaky4lw:${PATH}" STUB_STATE="${stub}" \
    zk_start --zk-dist-url "${URL}" --zk-sha512 "${SHA}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ -e "${stub}/4lw-mode-seen" ]]
  [[ "${output}" == *"ZooKeeper serves on port 2181"* ]]
  run in_ns solo "${BIN}/zk-stop"
  [[ "${status}" -eq 0 ]]
}

@test "systemd mode: the unit is installed once, started, left alone when unchanged, stopped" {
  local calls="${BATS_TEST_TMPDIR}/calls" unit="${ZKASG_ROOT}/etc/systemd/system/zkasg-zookeeper.service"
  export PATH="${BATS_TEST_DIRNAME}/stubs:${PATH}" STUB_CALLS="${BATS_TEST_TMPDIR}/calls"
  export STUB_STATE="${BATS_TEST_TMPDIR}/stub" ZKASG_SERVICE_MODE=systemd
  export ZKASG_SYSTEM_JAVA_DIR=/usr/share/java # Debian's package this time
  fx_traversable "${ZKASG_ROOT}"
  write_config
  zk_start
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "$(cat "${calls}")" == *"daemon-reload
enable zkasg-zookeeper.service"*"start zkasg-zookeeper.service"* ]]
  grep -qx 'User=zookeeper' "${unit}"
  grep -qx "ExecStart=${ZKASG_ROOT}/usr/local/lib/zkasg/bin/zk-run" "${unit}"
  grep -qx "RequiresMountsFor=${DATA}" "${unit}"
  grep -qx "ConditionPathExists=${DATA}/myid" "${unit}"
  grep -qx "ZKASG_ZK_CLASSPATH=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar" \
    "${ZKASG_ROOT}/etc/zkasg/zookeeper.env"
  [[ "$(zk_srvr_mode solo)" == standalone ]]
  [[ "$(ps -o user= -p "$(cat "${STUB_STATE}/zkasg-zookeeper.service.pid")")" == zookeeper ]]

  : >"${calls}"
  zk_start
  [[ "${status}" -eq 0 ]]
  [[ "${output}" == *"already runs with this configuration"* ]]
  run ! grep -qE 'daemon-reload|enable|start' "${calls}"

  run in_ns solo "${BIN}/zk-stop"
  [[ "${status}" -eq 0 ]]
  grep -qx 'stop zkasg-zookeeper.service' "${calls}"
  [[ -z "$(zk4 solo ruok)" ]]
  run in_ns solo "${BIN}/zk-stop"
  [[ "${status}" -eq 0 ]]
}
