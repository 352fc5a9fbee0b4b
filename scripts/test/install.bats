#!/usr/bin/env bats
# zk-install: the verified ZooKeeper tarball is kept on the data volume (an
# ext4 loop device standing in for the EBS volume), keyed by its SHA-512, and
# the next instance on that volume installs from it without a download.

load test_helper

readonly VOL=vol-0123456789abcdef0

setup() {
  common_setup
  LOOP="$(fx_volume "${ZKASG_DEV_BY_ID_DIR}" "${VOL}" 64)"
  mkfs.ext4 -q -L zkdata "${LOOP}"
  DATA="${ZKASG_ROOT}/var/lib/zkasg/data"
  mkdir -p "${DATA}"
  mount "${LOOP}" "${DATA}"
  export ZKASG_SYSTEM_JAVA_DIR="${BATS_TEST_TMPDIR}/no-system-zookeeper"
  make_release
  KEPT="${DATA}/.zkasg/dist/${SHA}.tar.gz"
  # Nothing listens on this port: a download attempt fails at once.
  NOWHERE="https://127.0.0.1:9/apache-zookeeper-3.8.0-bin.tar.gz"
}

teardown() {
  common_teardown
}

# A tarball shaped like a ZooKeeper binary release (Debian's jar).
make_release() {
  local d="${BATS_TEST_TMPDIR}/release/apache-zookeeper-3.8.0-bin"
  mkdir -p "${d}/lib" "${d}/conf" "${d}/bin"
  cp /usr/share/java/zookeeper.jar "${d}/lib/zookeeper-3.8.0.jar"
  tar -czf "${BATS_TEST_TMPDIR}/zk.tar.gz" -C "${BATS_TEST_TMPDIR}/release" apache-zookeeper-3.8.0-bin
  URL="file://${BATS_TEST_TMPDIR}/zk.tar.gz"
  SHA="$(sha512sum "${BATS_TEST_TMPDIR}/zk.tar.gz" | cut -d' ' -f1)"
}

# new_instance: the same volume on a fresh instance: its own root (no
# ZooKeeper installed), the volume moved over.
new_instance() {
  umount "${DATA}"
  export ZKASG_ROOT="${BATS_TEST_TMPDIR}/node2/root"
  DATA="${ZKASG_ROOT}/var/lib/zkasg/data"
  KEPT="${DATA}/.zkasg/dist/${SHA}.tar.gz"
  mkdir -p "${DATA}"
  mount "${LOOP}" "${DATA}"
}

install_zk() {
  run "${BIN}/zk-install" "$@"
}

# kept_then_corrupted: a first instance keeps the tarball on the volume; on
# the next instance that copy has one byte changed.
kept_then_corrupted() {
  install_zk --zk-dist-url "${URL}" --zk-sha512 "${SHA}"
  [[ "${status}" -eq 0 ]]
  new_instance
  printf 'x' | dd of="${KEPT}" bs=1 seek=100 conv=notrunc status=none
}

@test "first install downloads and keeps the tarball on the volume; the next instance installs from it offline" {
  install_zk --zk-dist-url "${URL}" --zk-sha512 "${SHA}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "${output}" == *"downloading ZooKeeper"* ]]
  [[ -f "${ZKASG_ROOT}/opt/zookeeper/lib/zookeeper-3.8.0.jar" ]]
  cmp "${KEPT}" "${BATS_TEST_TMPDIR}/zk.tar.gz"
  [[ -z "$(find "${DATA}/.zkasg/dist" -name '.incoming.*')" ]]

  new_instance
  rm -f "${BATS_TEST_TMPDIR}/zk.tar.gz" # the source is gone, and the URL leads nowhere
  [[ ! -e "${ZKASG_ROOT}/opt/zookeeper" ]]
  install_zk --zk-dist-url "${NOWHERE}" --zk-sha512 "${SHA}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "${output}" == *"using the verified tarball kept on the data volume"* ]]
  [[ "${output}" != *downloading* ]]
  [[ -f "${ZKASG_ROOT}/opt/zookeeper/lib/zookeeper-3.8.0.jar" ]]

  # Installed now: a second run changes nothing.
  install_zk --zk-sha512 "${SHA}"
  [[ "${status}" -eq 0 ]]
  [[ "${output}" == *"ZooKeeper is installed"* ]]
}

@test "a corrupted kept tarball is refused, removed and downloaded again" {
  kept_then_corrupted

  install_zk --zk-dist-url "${URL}" --zk-sha512 "${SHA}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "${output}" == *"does not match its SHA-512"* ]]
  [[ "${output}" == *"downloading ZooKeeper"* ]]
  [[ "$(sha512sum "${KEPT}" | cut -d' ' -f1)" == "${SHA}" ]]
  [[ -f "${ZKASG_ROOT}/opt/zookeeper/lib/zookeeper-3.8.0.jar" ]]
}

@test "a corrupted kept tarball and no source: exit 2, nothing installed, nothing kept" {
  kept_then_corrupted

  install_zk --zk-dist-url "${NOWHERE}" --zk-sha512 "${SHA}"
  assert_one_line_error 2 "could not download"
  [[ ! -e "${ZKASG_ROOT}/opt/zookeeper" ]]
  [[ -z "$(find "${DATA}/.zkasg/dist" -type f -not -name .lock)" ]]
}

@test "a download whose SHA-512 differs is refused: exit 3, nothing installed, nothing kept" {
  install_zk --zk-dist-url "${URL}" --zk-sha512 "$(printf '0%.0s' {1..128})"
  assert_one_line_error 3 "SHA-512 mismatch"
  [[ ! -e "${ZKASG_ROOT}/opt/zookeeper" ]]
  [[ -z "$(find "${DATA}/.zkasg/dist" -type f -not -name .lock)" ]]
}

@test "four overlapping runs: one download, one install, one kept tarball, no leftovers" {
  local i rc=0
  for i in 1 2 3 4; do
    "${BIN}/zk-install" --zk-dist-url "${URL}" --zk-sha512 "${SHA}" >"${BATS_TEST_TMPDIR}/run${i}.log" 2>&1 &
  done
  for i in 1 2 3 4; do
    wait -n || rc=$?
  done
  cat "${BATS_TEST_TMPDIR}"/run*.log
  [[ "${rc}" -eq 0 ]]
  [[ "$(cat "${BATS_TEST_TMPDIR}"/run*.log | grep -c 'downloading ZooKeeper')" -eq 1 ]]
  [[ "$(cat "${BATS_TEST_TMPDIR}"/run*.log | grep -c 'installed ZooKeeper in')" -eq 1 ]]
  [[ "$(find "${DATA}/.zkasg/dist" -type f -not -name .lock)" == "${KEPT}" ]]
  [[ -z "$(find "${ZKASG_ROOT}/opt" -maxdepth 1 -name '*.incoming.*')" ]]
  [[ -f "${ZKASG_ROOT}/opt/zookeeper/lib/zookeeper-3.8.0.jar" ]]
}

@test "a newer version replaces the kept one: only the current tarball stays on the volume" {
  local old="${KEPT}"
  install_zk --zk-dist-url "${URL}" --zk-sha512 "${SHA}"
  [[ "${status}" -eq 0 ]]
  new_instance
  printf 'a newer release\n' >"${BATS_TEST_TMPDIR}/release/apache-zookeeper-3.8.0-bin/conf/NOTICE"
  make_release
  KEPT="${DATA}/.zkasg/dist/${SHA}.tar.gz"
  install_zk --zk-dist-url "${URL}" --zk-sha512 "${SHA}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "$(find "${DATA}/.zkasg/dist" -type f -not -name .lock)" == "${KEPT}" ]]
  [[ "${old##*/}" != "${KEPT##*/}" ]]
}
