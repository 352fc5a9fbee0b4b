# shellcheck shell=bash
# Kernel-object fixtures shared by the bats suites and bench-rejoin: network
# namespaces on a bridge (a subnet 10.99.1.0/24 whose gateway namespace also
# answers as IMDS on 169.254.169.254), loop-device "EBS volumes", and
# ZooKeeper helpers. Every object is named with a per-run prefix and recorded
# so that fx_cleanup removes it even after a failure.

FX_SCRIPTS="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)"
export FX_BIN="${FX_SCRIPTS}/bin"
FX_SUBNET_PREFIX="10.99.1"
FX_GATEWAY="${FX_SUBNET_PREFIX}.1"
FX_ZK_CP="${FX_ZK_CP:-/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar}"

# fx_init <state dir> <name prefix>: where to record what gets created.
fx_init() {
  FX_STATE="$1"
  FX_PREFIX="$2"
  mkdir -p "${FX_STATE}"
  : >>"${FX_STATE}/netns"
  : >>"${FX_STATE}/loops"
  : >>"${FX_STATE}/pids"
}

fx_ns() { printf '%s%s\n' "${FX_PREFIX}" "$1"; }

# in_ns <ns> <command...>: run in the namespace's network only (nsenter keeps
# the host's mount namespace, so mounts made there stay visible; ip netns
# exec would give each command a private mount namespace).
in_ns() {
  local ns="$1"
  shift
  nsenter --net="/run/netns/$(fx_ns "${ns}")" -- "$@"
}

fx_add_ns() {
  local ns
  ns="$(fx_ns "$1")"
  ip netns add "${ns}"
  printf '%s\n' "${ns}" >>"${FX_STATE}/netns"
  in_ns "$1" ip link set lo up
}

# fx_subnet: the gateway namespace "gw" with bridge br0 = 10.99.1.1/24 and an
# IMDS stub on 169.254.169.254:80 serving FX_STATE/imds.
fx_subnet() {
  fx_add_ns gw
  in_ns gw ip link add br0 type bridge
  in_ns gw ip addr add "${FX_GATEWAY}/24" dev br0
  in_ns gw ip addr add 169.254.169.254/32 dev br0
  in_ns gw ip link set br0 up
  mkdir -p "${FX_STATE}/imds/latest/meta-data"
  in_ns gw socat "TCP-LISTEN:80,bind=169.254.169.254,reuseaddr,fork" \
    "EXEC:${FX_SCRIPTS}/test/imds-stub ${FX_STATE}/imds" </dev/null >/dev/null 2>&1 3>&- &
  printf '%s\n' "$!" >>"${FX_STATE}/pids"
  disown "$!" # no "Killed" notice from the shell at cleanup
  fx_retry 10 in_ns gw bash -c 'exec 3<>/dev/tcp/169.254.169.254/80' 2>/dev/null
}

# fx_veth <ns> <name in ns> <mac or ""> : a veth from ns into br0 of gw.
fx_veth() {
  local ns="$1" name="$2" mac="$3" peer
  peer="v$(printf '%s' "${ns}${name}" | md5sum | cut -c1-10)"
  ip link add "${peer}" type veth peer name "${peer}x"
  ip link set "${peer}" netns "$(fx_ns gw)"
  ip link set "${peer}x" netns "$(fx_ns "${ns}")"
  in_ns "${ns}" ip link set "${peer}x" name "${name}"
  [[ -z "${mac}" ]] || in_ns "${ns}" ip link set dev "${name}" address "${mac}"
  in_ns gw ip link set "${peer}" master br0
  in_ns gw ip link set "${peer}" up
}

# fx_instance <ns> <primary ip> <eni nic name> <eni mac>: an "instance" with a
# primary NIC eth0 (address, default route via the gateway) and a secondary
# NIC carrying the ENI's MAC, down and without address, as after attach.
fx_instance() {
  local ns="$1" primary="$2" nic="$3" mac="$4"
  fx_add_ns "${ns}"
  fx_veth "${ns}" eth0 ""
  in_ns "${ns}" ip addr add "${primary}/24" dev eth0
  in_ns "${ns}" ip link set eth0 up
  in_ns "${ns}" ip route add default via "${FX_GATEWAY}" dev eth0
  fx_veth "${ns}" "${nic}" "${mac}"
  mkdir -p "${FX_STATE}/imds/latest/meta-data/network/interfaces/macs/${mac}"
  printf '%s.0/24' "${FX_SUBNET_PREFIX}" \
    >"${FX_STATE}/imds/latest/meta-data/network/interfaces/macs/${mac}/subnet-ipv4-cidr-block"
}

# fx_volume <dir> <volume id> <MiB>: a sparse image on a loop device, linked
# in <dir> the way udev names an EBS NVMe volume. Prints the loop device.
fx_volume() {
  local dir="$1" vol="$2" mib="$3" img loop
  mkdir -p "${dir}" "${FX_STATE}/images"
  img="${FX_STATE}/images/${vol}.img"
  truncate -s "${mib}M" "${img}"
  loop="$(losetup -f --show "${img}")"
  printf '%s\n' "${loop}" >>"${FX_STATE}/loops"
  ln -sfn "${loop}" "${dir}/nvme-Amazon_Elastic_Block_Store_vol${vol#vol-}"
  printf '%s\n' "${loop}"
}

# fx_cleanup: kill recorded processes and everything running in our
# namespaces, unmount what sits on our loops, detach them, delete the netns.
fx_cleanup() {
  local pid ns loop target
  [[ -n "${FX_STATE:-}" && -d "${FX_STATE}" ]] || return 0
  while read -r pid; do
    [[ -z "${pid}" ]] || kill -KILL "${pid}" 2>/dev/null || true
  done <"${FX_STATE}/pids"
  while read -r ns; do
    [[ -n "${ns}" ]] || continue
    for pid in $(ip netns pids "${ns}" 2>/dev/null); do
      kill -KILL "${pid}" 2>/dev/null || true
    done
  done <"${FX_STATE}/netns"
  sleep 0.2
  while read -r loop; do
    [[ -n "${loop}" ]] || continue
    while read -r target; do
      [[ -z "${target}" ]] || umount -l "${target}" 2>/dev/null || true
    done < <(findmnt -rn -o TARGET --source "${loop}" 2>/dev/null || true)
    losetup -d "${loop}" 2>/dev/null || true
  done <"${FX_STATE}/loops"
  while read -r ns; do
    [[ -z "${ns}" ]] || ip netns del "${ns}" 2>/dev/null || true
  done <"${FX_STATE}/netns"
  : >"${FX_STATE}/pids"
  : >"${FX_STATE}/loops"
  : >"${FX_STATE}/netns"
}

# fx_node_env <state dir of the node>: the ZKASG_* environment for one node.
fx_node_env() {
  local d="$1"
  printf '%s\n' "ZKASG_ROOT=${d}/root" "ZKASG_DEV_BY_ID_DIR=${d}/by-id" \
    "ZKASG_SERVICE_MODE=pidfile" "ZKASG_NETUTILS_UNIT=${d}/no-net-utils" \
    "ZKASG_POLL_INTERVAL=${FX_POLL_INTERVAL:-0.2}" "ZKASG_JVM_OPTS=${FX_JVM_OPTS:--Xmx160m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto}" \
    "ZKASG_START_TIMEOUT=${FX_START_TIMEOUT:-90}" "ZKASG_DEVICE_TIMEOUT=10" "ZKASG_NIC_TIMEOUT=10" "ZKASG_IMDS_TIMEOUT=10"
}

# fx_node <state dir> <i> <command...>: run in node i's namespace with the
# environment of its state dir <state dir>/n<i> (the multi-node suites).
fx_node() {
  local dir="$1" i="$2"
  shift 2
  local -a envs
  mapfile -t envs < <(fx_node_env "${dir}/n${i}")
  env "${envs[@]}" nsenter --net="/run/netns/$(fx_ns "n${i}")" -- "$@"
}

# zk4 <ns> <word>: a four-letter word against 127.0.0.1:2181 inside ns.
zk4() {
  # shellcheck disable=SC2016 # the inner script gets its values as arguments
  in_ns "$1" timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2181 && printf "%s" "$1" >&3 && cat <&3' zk4 "$2" 2>/dev/null || true
}

zk_mntr() { # <ns> <key>
  zk4 "$1" mntr | awk -v k="$2" '$1 == k { print $2 }'
}

zk_srvr_mode() {
  zk4 "$1" srvr | sed -n 's/^Mode: //p'
}

# zk_write <ns> <parent> <count> <first index>: create <count> znodes of 1 KiB
# under <parent> through zkCli, in one JVM.
zk_write() {
  local ns="$1" parent="$2" count="$3" first="$4" data i
  data="$(head -c 1024 /dev/zero | tr '\0' 'z')"
  {
    printf 'create %s x\n' "${parent}"
    for ((i = first; i < first + count; i++)); do
      printf 'create %s/n%06d %s\n' "${parent}" "${i}" "${data}"
    done
    printf 'quit\n'
  } | in_ns "${ns}" java -Xmx128m -XX:TieredStopAtLevel=1 -cp "${FX_ZK_CP}" \
    org.apache.zookeeper.ZooKeeperMain -server 127.0.0.1:2181 >"${FX_STATE}/zkcli.log" 2>&1
}

# ns_rx_bytes <ns>: bytes received by the namespace's interfaces except lo
# (/proc/net/dev shows the reader's network namespace).
ns_rx_bytes() {
  in_ns "$1" cat /proc/net/dev | awk -F '[: ]+' 'NR > 2 && $2 != "lo" { s += $3 } END { printf "%.0f\n", s }'
}

# fx_retry <seconds> <command...>: bounded retry every 0.2 s.
fx_retry() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# fx_traversable <dir>: let the zookeeper user reach <dir> (mktemp -d makes
# the test directories 0700; the scripts run ZooKeeper as that user).
fx_traversable() {
  local d="$1"
  while [[ "${d}" != / && -n "${d}" ]]; do
    chmod o+x "${d}"
    d="$(dirname "${d}")"
  done
}

# zk_set <ns> <parent> <count> <first index>: overwrite <count> existing
# znodes of zk_write with new 1 KiB values (same data set size).
zk_set() {
  local ns="$1" parent="$2" count="$3" first="$4" data i
  data="$(head -c 1024 /dev/zero | tr '\0' 's')"
  {
    for ((i = first; i < first + count; i++)); do
      printf 'set %s/n%06d %s\n' "${parent}" "${i}" "${data}"
    done
    printf 'quit\n'
  } | in_ns "${ns}" java -Xmx128m -XX:TieredStopAtLevel=1 -cp "${FX_ZK_CP}" \
    org.apache.zookeeper.ZooKeeperMain -server 127.0.0.1:2181 >"${FX_STATE}/zkcli.log" 2>&1
}
