#!/usr/bin/env bats
# zk-mount-data / zk-write-config / zk-stop on loop devices standing in for
# EBS volumes (linked under ZKASG_DEV_BY_ID_DIR the way udev names them).

load test_helper

readonly VOL=vol-0123456789abcdef0

setup() {
  common_setup
  LOOP="$(fx_volume "${ZKASG_DEV_BY_ID_DIR}" "${VOL}" 64)"
  DATA="${ZKASG_ROOT}/var/lib/zkasg/data"
  FSTAB="${ZKASG_ROOT}/etc/fstab"
  mkdir -p "${ZKASG_ROOT}/etc"
  printf '# existing fstab\nUUID=1111 / ext4 defaults 0 1\n' >"${FSTAB}"
}

teardown() {
  common_teardown
}

mount_data() {
  run "${BIN}/zk-mount-data" --volume-id "${VOL}" "$@"
}

# with_existing_data <myid>: an ext4 volume holding ZooKeeper-like files.
with_existing_data() {
  local m="${BATS_TEST_TMPDIR}/prep"
  mkfs.ext4 -q -L zkdata "${LOOP}"
  mkdir -p "${m}"
  mount "${LOOP}" "${m}"
  mkdir "${m}/version-2"
  head -c 300000 /dev/urandom >"${m}/version-2/log.100000001"
  head -c 200000 /dev/urandom >"${m}/version-2/snapshot.100000000"
  printf '%s\n' "$1" >"${m}/myid"
  umount "${m}"
}

# checksums: ZooKeeper's data on the volume (myid, version-2), not the
# configuration zk-write-config keeps there (zoo.cfg, zoo.cfg.dynamic*).
checksums() {
  (cd "${DATA}" && find . \( -path ./lost+found -o -name 'zoo.cfg*' \) -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}

state() {
  blkid -p -o export "${LOOP}" | grep -v '^DEVNAME'
  cat "${FSTAB}"
  findmnt -rn -o SOURCE,TARGET,FSTYPE --source "${LOOP}" || true
  stat -c '%U %a' "${DATA}"
}

@test "a blank volume is formatted, labelled, mounted, and in fstab once by UUID with nofail" {
  local uuid before
  mount_data
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "$(blkid -p -s TYPE -o value "${LOOP}")" == ext4 ]]
  [[ "$(blkid -p -s LABEL -o value "${LOOP}")" == zkdata ]]
  uuid="$(blkid -p -s UUID -o value "${LOOP}")"
  mountpoint -q "${DATA}"
  [[ "$(findmnt -rn -o SOURCE --mountpoint "${DATA}")" == "${LOOP}" ]]
  grep -qx "UUID=${uuid} ${DATA} ext4 defaults,noatime,nofail 0 2" "${FSTAB}"
  [[ "$(grep -c "${DATA}" "${FSTAB}")" -eq 1 ]]
  grep -qx 'UUID=1111 / ext4 defaults 0 1' "${FSTAB}"
  [[ "$(stat -c %U "${DATA}")" == zookeeper ]]

  before="$(state)"
  mount_data
  [[ "${status}" -eq 0 ]]
  [[ "${output}" != *"creating ext4"* && "${output}" != *updated* && "${output}" != *"mounted ${LOOP}"* ]]
  [[ "$(state)" == "${before}" ]]
}

@test "a volume with ZooKeeper data is mounted untouched" {
  local before
  with_existing_data 1
  mount_data
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "${output}" != *"creating ext4"* ]]
  before="$(checksums)"
  [[ "$(grep -c . <<<"${before}")" -eq 3 ]]
  # The identity matches: zk-write-config keeps myid as it is.
  run "${BIN}/zk-write-config" --node-id 1 --servers 1=10.99.1.101,2=10.99.1.102,3=10.99.1.103
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "$(checksums)" == "${before}" ]]
  [[ "$(stat -c %U "${DATA}/version-2/log.100000001")" == zookeeper ]]
  # Unmount and mount again: still the same data.
  run "${BIN}/zk-stop" --volume-id "${VOL}"
  [[ "${status}" -eq 0 ]]
  run ! mountpoint -q "${DATA}"
  mount_data
  [[ "${status}" -eq 0 ]]
  [[ "$(checksums)" == "${before}" ]]
}

@test "another node's volume (myid differs) is refused with exit 3 and myid is kept" {
  with_existing_data 2
  mount_data
  [[ "${status}" -eq 0 ]]
  run "${BIN}/zk-write-config" --node-id 1 --servers 1=10.99.1.101,2=10.99.1.102,3=10.99.1.103
  assert_one_line_error 3
  [[ "$(cat "${DATA}/myid")" == 2 ]]
  [[ ! -e "${ZKASG_ROOT}/etc/zkasg/zoo.cfg" ]]
}

foreign_case() { # <expected text in the message>
  local sig_before fstab_before
  sig_before="$(blkid -p -o export "${LOOP}" || true)"
  fstab_before="$(cat "${FSTAB}")"
  mount_data
  assert_one_line_error 3 "$1"
  [[ "$(blkid -p -o export "${LOOP}" || true)" == "${sig_before}" ]]
  [[ "$(cat "${FSTAB}")" == "${fstab_before}" ]]
  run ! mountpoint -q "${DATA}"
}

@test "an xfs signature is refused with exit 3, not formatted" {
  truncate -s 320M "${FX_STATE}/images/${VOL}.img" # xfs needs 300 MB
  losetup -c "${LOOP}"
  mkfs.xfs -q "${LOOP}"
  foreign_case "TYPE=xfs"
}

@test "a swap signature is refused with exit 3, not formatted" {
  mkswap -q "${LOOP}" >/dev/null
  foreign_case "TYPE=swap"
}

@test "a partition table is refused with exit 3, not formatted" {
  printf 'label: dos\n,32M,83\n' | sfdisk -q "${LOOP}"
  foreign_case "partition table"
}

@test "another filesystem already mounted at the data dir is refused with exit 3" {
  mkdir -p "${DATA}"
  mount -t tmpfs -o size=1m tmpfs "${DATA}"
  mount_data
  umount "${DATA}"
  assert_one_line_error 3
}

@test "a device that cannot be read (a loop device whose backing went away) is refused with exit 3, never formatted" {
  local loop
  loop="$(fx_volume "${ZKASG_DEV_BY_ID_DIR}" vol-1111111111111111a 64)"
  # Detached: the node stays, blkid -p opens it, finds nothing and exits 2 as for a blank device.
  losetup -d "${loop}"
  sed -i "\|^${loop}\$|d" "${FX_STATE}/loops" # detached already: the cleanup must not touch a reused loop
  run "${BIN}/zk-mount-data" --volume-id vol-1111111111111111a
  assert_one_line_error 3 "could not"
  [[ "${output}" != *"creating ext4"* ]]
  run ! mountpoint -q "${DATA}"
}

@test "a volume that never shows up: exit 2 after the bounded wait" {
  export ZKASG_DEVICE_TIMEOUT=1
  run "${BIN}/zk-mount-data" --volume-id vol-0aaaaaaaaaaaaaaaa
  assert_one_line_error 2
}

@test "the --device fallback finds the volume when no by-id link exists (Xen name xvdX for sdX)" {
  rm -f "${ZKASG_DEV_BY_ID_DIR}"/*
  local dev="${BATS_TEST_TMPDIR}/dev"
  mkdir -p "${dev}"
  ln -s "${LOOP}" "${dev}/xvdg"
  ZKASG_DEV_DIR="${dev}" mount_data --device /dev/sdg
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  mountpoint -q "${DATA}"
}

@test "zk-write-config refuses to write to an unmounted data dir: exit 2" {
  run "${BIN}/zk-write-config" --node-id 1 --servers 1=10.99.1.101
  assert_one_line_error 2
  [[ ! -e "${DATA}/myid" ]]
}

@test "zk-stop is idempotent: stopped and unmounted twice is fine" {
  mount_data
  [[ "${status}" -eq 0 ]]
  run "${BIN}/zk-stop" --volume-id "${VOL}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  run ! mountpoint -q "${DATA}"
  run "${BIN}/zk-stop" --volume-id "${VOL}"
  [[ "${status}" -eq 0 ]]
  run "${BIN}/zk-stop"
  [[ "${status}" -eq 0 ]]
}

@test "without by-id links the volume is found by its NVMe serial in sysfs" {
  local sys="${BATS_TEST_TMPDIR}/sys" dev="${BATS_TEST_TMPDIR}/dev"
  rm -f "${ZKASG_DEV_BY_ID_DIR}"/*
  mkdir -p "${sys}/class/nvme/nvme9/nvme9n1" "${sys}/class/nvme/nvme8" "${dev}"
  printf 'vol0aaaaaaaaaaaaaaaa    \n' >"${sys}/class/nvme/nvme8/serial"
  printf 'vol%s    \n' "${VOL#vol-}" >"${sys}/class/nvme/nvme9/serial" # padded, as EBS does
  mknod "${dev}/nvme9n1" b "$((0x$(stat -c %t "${LOOP}")))" "$((0x$(stat -c %T "${LOOP}")))"
  export ZKASG_SYS_DIR="${sys}" ZKASG_DEV_DIR="${dev}"
  mount_data
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "${output}" == *"(${dev}/nvme9n1, UUID="* ]]
  mountpoint -q "${DATA}"
  umount "${DATA}"
}
