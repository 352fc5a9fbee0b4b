# shellcheck shell=bash
# Shared helpers for the zkasg instance scripts (sourced, never executed).
#
# Environment variables (every path the scripts touch comes from one of them;
# the defaults are the production values):
#   ZKASG_ROOT            prefix for every default path below (default: empty)
#   ZKASG_CONF_DIR        zoo.cfg directory            ($ZKASG_ROOT/etc/zkasg)
#   ZKASG_DATA_DIR        mount point of the EBS data volume = ZooKeeper dataDir
#                                                      ($ZKASG_ROOT/var/lib/zkasg/data)
#   ZKASG_STATE_DIR       small state (hash of the running config, logs, pid)
#                                                      ($ZKASG_ROOT/var/lib/zkasg/state)
#   ZKASG_FSTAB           fstab file                   ($ZKASG_ROOT/etc/fstab)
#   ZKASG_UNIT_DIR        where systemd units are written
#                                                      ($ZKASG_ROOT/etc/systemd/system)
#   ZKASG_INSTALL_DIR     persistent copy of bin/ and lib/ used by the units
#                                                      ($ZKASG_ROOT/usr/local/lib/zkasg)
#   ZKASG_DEV_BY_ID_DIR   udev by-id links             (/dev/disk/by-id)
#   ZKASG_SYS_DIR         sysfs, for the NVMe serial fallback (/sys)
#   ZKASG_DEV_DIR         device nodes, for the NVMe serial and --device fallbacks (/dev)
#   ZKASG_SYSTEM_JAVA_DIR Debian-style jar directory searched for zookeeper.jar
#                                                      (/usr/share/java)
#   ZKASG_REQUIRE_MOUNT   1: zk-write-config refuses (exit 2) while the data dir
#                         is not a mount point; 0 for tests without a volume (1)
#   ZKASG_NETUTILS_UNIT   marker of amazon-ec2-net-utils
#                                                      (/usr/lib/systemd/system/policy-routes@.service)
#   ZKASG_IMDS_URL        instance metadata base URL   (http://169.254.169.254)
#   ZKASG_SERVICE_MODE    systemd | pidfile: pidfile runs ZooKeeper as a plain
#                         background process (tests, network namespaces) (systemd)
#   ZKASG_UNIT_NAME       ZooKeeper unit name          (zkasg-zookeeper.service)
#   ZKASG_ZK_HOME         where a release tarball is (or gets) installed ($ZKASG_ROOT/opt/zookeeper)
#   ZKASG_ZK_CLASSPATH    explicit ZooKeeper classpath; empty = autodetect the
#                         tarball in ZKASG_ZK_HOME, then Debian's /usr/share/java jars
#   ZKASG_ZK_USER         owner of the data directory  (zookeeper)
#   ZKASG_JAVA            java binary                  (java on PATH)
#   ZKASG_JVM_OPTS        JVM options, split on whitespace
#                                                      (-Xmx512m -XX:+ExitOnOutOfMemoryError)
#   ZKASG_ROUTE_TABLE     policy route table id        (10001)
#   ZKASG_RULE_PRIORITY   ip rule priority             (10001)
#   ZKASG_NIC_TIMEOUT, ZKASG_DEVICE_TIMEOUT, ZKASG_NETUTILS_TIMEOUT, ZKASG_IMDS_TIMEOUT,
#   ZKASG_START_TIMEOUT, ZKASG_STOP_TIMEOUT   bounded waits in seconds
#                                                      (120, 120, 30, 30, 300, 60)
#   ZKASG_POLL_INTERVAL   seconds between two checks of a wait (1)
#   ZKASG_LOCK_TIMEOUT    seconds a zk-bootstrap waits for another one on the
#                         same instance to finish (900)
#
# Exit codes: 0 ok, 1 usage/validation, 2 not ready yet (a bounded wait ran
# out), 3 refused for safety, 4 a stop from a stale stop lease holder (its
# fencing counter is below one already acted on; TerminateUseCase
# EXIT_STALE_FENCE, PatternsAgreeTest). Messages go to stderr, one line,
# "zkasg: ...".

# shellcheck disable=SC2034 # the exit codes are used by the scripts that source this file
readonly EXIT_USAGE=1 EXIT_NOT_READY=2 EXIT_REFUSED=3 EXIT_STALE=4

ZKASG_ROOT="${ZKASG_ROOT:-}"
ZKASG_CONF_DIR="${ZKASG_CONF_DIR:-${ZKASG_ROOT}/etc/zkasg}"
ZKASG_DATA_DIR="${ZKASG_DATA_DIR:-${ZKASG_ROOT}/var/lib/zkasg/data}"
ZKASG_STATE_DIR="${ZKASG_STATE_DIR:-${ZKASG_ROOT}/var/lib/zkasg/state}"
ZKASG_FSTAB="${ZKASG_FSTAB:-${ZKASG_ROOT}/etc/fstab}"
ZKASG_UNIT_DIR="${ZKASG_UNIT_DIR:-${ZKASG_ROOT}/etc/systemd/system}"
ZKASG_INSTALL_DIR="${ZKASG_INSTALL_DIR:-${ZKASG_ROOT}/usr/local/lib/zkasg}"
ZKASG_DEV_BY_ID_DIR="${ZKASG_DEV_BY_ID_DIR:-/dev/disk/by-id}"
ZKASG_SYS_DIR="${ZKASG_SYS_DIR:-/sys}"
ZKASG_DEV_DIR="${ZKASG_DEV_DIR:-/dev}"
ZKASG_NETUTILS_UNIT="${ZKASG_NETUTILS_UNIT:-/usr/lib/systemd/system/policy-routes@.service}"
ZKASG_IMDS_URL="${ZKASG_IMDS_URL:-http://169.254.169.254}"
ZKASG_SERVICE_MODE="${ZKASG_SERVICE_MODE:-systemd}"
ZKASG_UNIT_NAME="${ZKASG_UNIT_NAME:-zkasg-zookeeper.service}"
ZKASG_ZK_HOME="${ZKASG_ZK_HOME:-${ZKASG_ROOT}/opt/zookeeper}"
ZKASG_ZK_CLASSPATH="${ZKASG_ZK_CLASSPATH:-}"
ZKASG_ZK_USER="${ZKASG_ZK_USER:-zookeeper}"
ZKASG_JAVA="${ZKASG_JAVA:-java}"
ZKASG_JVM_OPTS="${ZKASG_JVM_OPTS:--Xmx512m -XX:+ExitOnOutOfMemoryError}"
ZKASG_ROUTE_TABLE="${ZKASG_ROUTE_TABLE:-10001}"
ZKASG_RULE_PRIORITY="${ZKASG_RULE_PRIORITY:-10001}"
ZKASG_NIC_TIMEOUT="${ZKASG_NIC_TIMEOUT:-120}"
ZKASG_DEVICE_TIMEOUT="${ZKASG_DEVICE_TIMEOUT:-120}"
ZKASG_NETUTILS_TIMEOUT="${ZKASG_NETUTILS_TIMEOUT:-30}"
ZKASG_IMDS_TIMEOUT="${ZKASG_IMDS_TIMEOUT:-30}"
ZKASG_START_TIMEOUT="${ZKASG_START_TIMEOUT:-300}"
ZKASG_STOP_TIMEOUT="${ZKASG_STOP_TIMEOUT:-60}"
ZKASG_POLL_INTERVAL="${ZKASG_POLL_INTERVAL:-1}"

ZKASG_PROG="${ZKASG_PROG:-${0##*/}}"

# Replace anything unprintable so that a message always stays on one line.
one_line() {
  local s="$*"
  printf '%s' "${s//[^[:print:]]/?}"
}

log() {
  printf 'zkasg: %s: %s\n' "${ZKASG_PROG}" "$(one_line "$@")" >&2
}

# die <exit code> <message...>
die() {
  local code="$1"
  shift
  printf 'zkasg: %s: %s\n' "${ZKASG_PROG}" "$(one_line "$@")" >&2
  exit "${code}"
}

usage_error() {
  die "${EXIT_USAGE}" "usage: $*"
}

# wait_until <seconds> <command...>: run the command until it succeeds or the
# deadline passes. Returns 0 on success, 1 on timeout.
wait_until() {
  local seconds="$1"
  shift
  local deadline=$((SECONDS + seconds))
  while true; do
    if "$@"; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep "${ZKASG_POLL_INTERVAL}"
  done
}

# install_if_changed <tmp> <dest> [mode]: move tmp over dest only when the
# content differs (or dest is missing). Returns 0 when dest changed, 1 when
# it was already identical (tmp is removed in both cases).
install_if_changed() {
  local tmp="$1" dest="$2" mode="${3:-0644}"
  if [[ -f "${dest}" ]] && cmp -s "${tmp}" "${dest}"; then
    rm -f -- "${tmp}"
    return 1
  fi
  mkdir -p -- "$(dirname -- "${dest}")"
  chmod "${mode}" "${tmp}"
  mv -f -- "${tmp}" "${dest}"
  log "updated ${dest}"
  return 0
}

# --- validation: every value is checked against a strict pattern before use.
#
# One pattern per kind, the same regular expressions as the Java side
# (CommandParameters, Settings) and the template's allowedPattern /
# AllowedPattern: PatternsAgreeTest reads all three and fails on any
# difference. Values reach the scripts as quoted arguments and are never
# eval'd, so the URL may hold ? & @ , # (a mirror URL with a query string).
readonly ZKASG_RE_NODE_ID='(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]?)'
readonly ZKASG_RE_IPV4='(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}'
readonly ZKASG_RE_MAC='[0-9a-f]{2}(:[0-9a-f]{2}){5}'
readonly ZKASG_RE_VOLUME_ID='vol-([0-9a-f]{8}|[0-9a-f]{17})'
readonly ZKASG_RE_DEVICE='/dev/(sd|xvd)[f-p]'
readonly ZKASG_RE_PORT='([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])'
readonly ZKASG_RE_SHA512='[0-9a-f]{128}'
readonly ZKASG_RE_HTTPS_URL='https://[A-Za-z0-9._~:/?#@&+,=%-]{1,512}'
readonly ZKASG_RE_FENCE='[1-9][0-9]{0,17}'

is_uint_in() { # <value> <min> <max>
  local v="$1"
  [[ "${v}" =~ ^(0|[1-9][0-9]{0,5})$ ]] && ((v >= $2 && v <= $3))
}

is_node_id() { [[ "$1" =~ ^${ZKASG_RE_NODE_ID}$ ]]; }

is_port() { [[ "$1" =~ ^${ZKASG_RE_PORT}$ ]]; }

is_ipv4() { [[ "$1" =~ ^${ZKASG_RE_IPV4}$ ]]; }

is_cidr() {
  local v="$1" addr bits
  [[ "${v}" =~ ^([0-9.]+)/([0-9]{1,2})$ ]] || return 1
  addr="${BASH_REMATCH[1]}"
  bits="${BASH_REMATCH[2]}"
  is_ipv4 "${addr}" && is_uint_in "${bits}" 1 30
}

is_mac() { [[ "$1" =~ ^${ZKASG_RE_MAC}$ ]]; }

is_volume_id() { [[ "$1" =~ ^${ZKASG_RE_VOLUME_ID}$ ]]; }

is_device() { [[ "$1" =~ ^${ZKASG_RE_DEVICE}$ ]]; }

is_sha512() { [[ "$1" =~ ^${ZKASG_RE_SHA512}$ ]]; }

# The stop lease's fencing counter: at most 18 digits, inside bash's 64-bit
# arithmetic.
is_fence() { [[ "$1" =~ ^${ZKASG_RE_FENCE}$ ]]; }

# https only in production (the document's pattern); file:// with the same
# characters serves the tests' local tarballs.
is_url() {
  [[ "$1" =~ ^${ZKASG_RE_HTTPS_URL}$ || "$1" =~ ^file://${ZKASG_RE_HTTPS_URL#https://}$ ]]
}

# is_servers <list>: 1..255 entries "id=ipv4", comma separated, ids and
# addresses unique.
is_servers() {
  local list="$1" entry id ip
  local -A ids=() ips=()
  [[ "${list}" =~ ^[0-9.=,]+$ ]] || return 1
  [[ "${list}" != *,,* && "${list}" != ,* && "${list}" != *, ]] || return 1
  local -a entries
  IFS=',' read -r -a entries <<<"${list}"
  ((${#entries[@]} >= 1 && ${#entries[@]} <= 255)) || return 1
  for entry in "${entries[@]}"; do
    [[ "${entry}" =~ ^([0-9]+)=([0-9.]+)$ ]] || return 1
    id="${BASH_REMATCH[1]}"
    ip="${BASH_REMATCH[2]}"
    is_node_id "${id}" && is_ipv4 "${ip}" || return 1
    [[ -z "${ids[${id}]:-}" && -z "${ips[${ip}]:-}" ]] || return 1
    ids["${id}"]=1
    ips["${ip}"]=1
  done
}

# servers_ip_of <list> <id>: print the address of server <id> (list validated).
servers_ip_of() {
  local entry
  local -a entries
  IFS=',' read -r -a entries <<<"$1"
  for entry in "${entries[@]}"; do
    if [[ "${entry%%=*}" == "$2" ]]; then
      printf '%s\n' "${entry#*=}"
      return 0
    fi
  done
  return 1
}

# require <flag> <value> <validator>: exit 1 unless the value passes.
require() {
  local flag="$1" value="$2" check="$3"
  [[ -n "${value}" ]] || usage_error "${flag} is required"
  "${check}" "${value}" || usage_error "${flag} has an invalid value"
}

# optional <flag> <value> <validator>: like require, but empty is fine.
optional() {
  [[ -z "$2" ]] || require "$@"
}

# need_value <flag> <argc>: a flag must be followed by a value.
need_value() {
  (($2 >= 2)) || usage_error "$1 needs a value"
}

# --- instance metadata (IMDSv2: a session token first, then the GET).

imds_get() {
  local path="$1" token
  token="$(curl -sSf --max-time 5 -X PUT \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
    "${ZKASG_IMDS_URL}/latest/api/token")" || return 1
  curl -sSf --max-time 5 -H "X-aws-ec2-metadata-token: ${token}" \
    "${ZKASG_IMDS_URL}/latest/meta-data/${path}"
}

# --- ZooKeeper four-letter words over bash's /dev/tcp (no nc dialect issues).

# zk_4lw <port> <word>: print the answer of the local server.
zk_4lw() {
  # shellcheck disable=SC2016 # the inner script gets its values as arguments
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "%s" "$2" >&3 && cat <&3' \
    zk4lw "$1" "$2" 2>/dev/null
}

# zk_mode <port>: print leader, follower, standalone, or nothing.
zk_mode() {
  local out
  out="$(zk_4lw "$1" srvr)" || return 0
  sed -n 's/^Mode: //p' <<<"${out}"
}

# --- data volume helpers shared by zk-mount-data and zk-stop.

# find_volume_device <volume-id> [fallback-device]: print the block device.
find_volume_device() {
  local vol="$1" fallback="${2:-}" serial link ctrl ns
  serial="vol${vol#vol-}"
  for link in "${ZKASG_DEV_BY_ID_DIR}/nvme-Amazon_Elastic_Block_Store_${serial}" \
    "${ZKASG_DEV_BY_ID_DIR}/nvme-Amazon_Elastic_Block_Store_${serial}_1"; do
    if [[ -b "${link}" ]]; then
      readlink -f -- "${link}"
      return 0
    fi
  done
  for ctrl in "${ZKASG_SYS_DIR}"/class/nvme/nvme*; do
    [[ -r "${ctrl}/serial" ]] || continue
    [[ "$(tr -d '[:space:]' <"${ctrl}/serial")" == "${serial}" ]] || continue
    for ns in "${ctrl}"/nvme*n1; do
      if [[ -b "${ZKASG_DEV_DIR}/${ns##*/}" ]]; then
        printf '%s/%s\n' "${ZKASG_DEV_DIR}" "${ns##*/}"
        return 0
      fi
    done
  done
  if [[ -n "${fallback}" ]]; then
    local name="${fallback#/dev/}"
    local -a candidates=("${ZKASG_DEV_DIR}/${name}")
    # Xen instances rename /dev/sdX to /dev/xvdX.
    [[ "${name}" != sd* ]] || candidates+=("${ZKASG_DEV_DIR}/xvd${name#sd}")
    for link in "${candidates[@]}"; do
      if [[ -b "${link}" ]]; then
        readlink -f -- "${link}"
        return 0
      fi
    done
  fi
  return 1
}

# --- IPv4 arithmetic.

ip_to_int() {
  local a b c d
  IFS=. read -r a b c d <<<"$1"
  printf '%d\n' "$(((a << 24) | (b << 16) | (c << 8) | d))"
}

int_to_ip() {
  local n="$1"
  printf '%d.%d.%d.%d\n' $(((n >> 24) & 255)) $(((n >> 16) & 255)) $(((n >> 8) & 255)) $((n & 255))
}

# --- files shared by several scripts.

# zoo_cfg_path: the settings zk-write-config renders (zk-start's input).
zoo_cfg_path() { printf '%s/zoo.cfg\n' "${ZKASG_CONF_DIR}"; }

# zk_run_cfg_path: the copy ZooKeeper runs with, on the data volume, which
# ZooKeeper itself points at each committed membership (zk-write-config).
zk_run_cfg_path() { printf '%s/zoo.cfg\n' "${ZKASG_DATA_DIR}"; }

# zk_dynamic_seed_path: the membership zk-write-config writes on a blank volume.
zk_dynamic_seed_path() { printf '%s/zoo.cfg.dynamic\n' "${ZKASG_DATA_DIR}"; }

# zk_dynamic_path: print the membership file ZooKeeper uses: the one its copy
# of zoo.cfg points at (ZooKeeper's zoo.cfg.dynamic.<version>, or the seed),
# else the seed; fail when the volume holds none.
zk_dynamic_path() {
  local pointer
  pointer="$(sed -n 's/^dynamicConfigFile=//p' "$(zk_run_cfg_path)" 2>/dev/null | tail -n 1)" || true
  if [[ "${pointer}" =~ ^${ZKASG_DATA_DIR}/zoo\.cfg\.dynamic(\.[0-9a-f]{1,16})?$ && -f "${pointer}" ]]; then
    printf '%s\n' "${pointer}"
  elif [[ -f "$(zk_dynamic_seed_path)" ]]; then
    zk_dynamic_seed_path
  else
    return 1
  fi
}

# The reconfig secret (zk-write-config makes it, zk-reconfig uses it).
reconfig_secret_path() { printf '%s/reconfig.secret\n' "${ZKASG_CONF_DIR}"; }

is_reconfig_secret() { [[ "$1" =~ ^[A-Za-z0-9_-]{43}$ ]]; }

# install_self: keep a copy of bin/ and lib/ where the systemd units can run
# it after a reboot (the SSM bundle itself lives in a temporary directory).
install_self() {
  local src="$1" f rel tmp
  [[ "$(readlink -f -- "${src}")" != "$(readlink -f -- "${ZKASG_INSTALL_DIR}" 2>/dev/null)" ]] || return 0
  for f in "${src}"/bin/* "${src}"/lib/*; do
    rel="${f#"${src}"/}"
    mkdir -p -- "${ZKASG_INSTALL_DIR}/${rel%/*}"
    tmp="$(mktemp "${ZKASG_INSTALL_DIR}/${rel%/*}/.tmp.XXXXXX")"
    cat -- "${f}" >"${tmp}"
    if [[ "${rel}" == bin/* ]]; then
      install_if_changed "${tmp}" "${ZKASG_INSTALL_DIR}/${rel}" 0755 || true
    else
      install_if_changed "${tmp}" "${ZKASG_INSTALL_DIR}/${rel}" 0644 || true
    fi
  done
}

# A path that ends up in fstab or a unit file must be plain.
require_plain_path() {
  [[ "$2" =~ ^/[A-Za-z0-9._/@+-]*$ ]] || usage_error "$1 must be a plain absolute path"
}

# --- ZooKeeper installation and process helpers (zk-start, zk-stop, zk-run).

ZKASG_SYSTEM_JAVA_DIR="${ZKASG_SYSTEM_JAVA_DIR:-/usr/share/java}"

# zk_classpath: print the classpath of the installed ZooKeeper, or fail.
zk_classpath() {
  if [[ -n "${ZKASG_ZK_CLASSPATH}" ]]; then
    printf '%s\n' "${ZKASG_ZK_CLASSPATH}"
  elif compgen -G "${ZKASG_ZK_HOME}/lib/zookeeper-[0-9]*.jar" >/dev/null; then
    # A release tarball: its conf/ holds the logback.xml (console logging).
    printf '%s\n' "${ZKASG_ZK_HOME}/conf:${ZKASG_ZK_HOME}/lib/*"
  elif [[ -f "${ZKASG_SYSTEM_JAVA_DIR}/zookeeper.jar" ]]; then
    # Debian's package: the jar's manifest names its dependencies, but no
    # slf4j backend; slf4j-simple logs to stderr (the journal).
    printf '%s\n' "${ZKASG_SYSTEM_JAVA_DIR}/zookeeper.jar:${ZKASG_SYSTEM_JAVA_DIR}/slf4j-simple.jar"
  else
    return 1
  fi
}

zk_pidfile() { printf '%s/zookeeper.pid\n' "${ZKASG_STATE_DIR}"; }

# is_zk_process <pid>: our ZooKeeper JVM, or bin/zk-run just before it execs
# java (right after the spawn).
is_zk_process() {
  local cmd
  cmd="$(tr "\\0" " " <"/proc/$1/cmdline" 2>/dev/null)" || return 1
  [[ "${cmd}" == *QuorumPeerMain*" $(zk_run_cfg_path) "* || "${cmd}" == *QuorumPeerMain*" $(zoo_cfg_path) "* ||
  "${cmd}" == *"/bin/zk-run "* ]]
}

# zk_pid: print the pid of the pidfile-mode ZooKeeper when it is running.
zk_pid() {
  local pid
  [[ -r "$(zk_pidfile)" ]] || return 1
  pid="$(<"$(zk_pidfile)")"
  [[ "${pid}" =~ ^[1-9][0-9]*$ && -r "/proc/${pid}/cmdline" ]] || return 1
  is_zk_process "${pid}" || return 1
  printf '%s\n' "${pid}"
}

zk_running() {
  if [[ "${ZKASG_SERVICE_MODE}" == systemd ]]; then
    systemctl is-active --quiet "${ZKASG_UNIT_NAME}"
  else
    zk_pid >/dev/null
  fi
}

pid_gone() { ! is_zk_process "$1"; }

# zk_stop_service: stop ZooKeeper (no-op when stopped). Returns non-zero only
# when it would not stop.
zk_stop_service() {
  local pid
  if [[ "${ZKASG_SERVICE_MODE}" == systemd ]]; then
    if systemctl is-active --quiet "${ZKASG_UNIT_NAME}"; then
      systemctl stop "${ZKASG_UNIT_NAME}"
      log "stopped ${ZKASG_UNIT_NAME}"
    fi
    return 0
  fi
  if pid="$(zk_pid)"; then
    kill -TERM "${pid}" 2>/dev/null || true
    if ! wait_until "${ZKASG_STOP_TIMEOUT}" pid_gone "${pid}"; then
      log "ZooKeeper (pid ${pid}) ignored SIGTERM for ${ZKASG_STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
      wait_until 10 pid_gone "${pid}" || return 1
    fi
    log "stopped ZooKeeper (pid ${pid})"
  fi
  rm -f -- "$(zk_pidfile)"
}
