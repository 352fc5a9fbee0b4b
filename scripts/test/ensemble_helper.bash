# shellcheck shell=bash
# Loaded after test_helper by the suites that run a real ensemble (ensemble.bats,
# reconfig.bats): node i is network namespace n<i> with the ENI's NIC 10.99.1.10<i>
# on one shared subnet and its own loop-device volume, set up once per file.

# The servers of the first three members (zk-bootstrap --servers).
readonly SERVERS=1=10.99.1.101,2=10.99.1.102,3=10.99.1.103

# ensemble_setup_file <prefix> <i...>: the subnet and nodes <i...>. The prefix
# names the suite's namespaces (names are global: each suite its own).
ensemble_setup_file() {
  [[ "${EUID}" -eq 0 ]] || skip "needs root"
  local prefix="$1" i
  shift
  fx_init "${BATS_FILE_TMPDIR}/fx" "${prefix}$(printf '%s' "${BATS_FILE_TMPDIR}" | md5sum | cut -c1-6)"
  export FX_STATE FX_PREFIX
  fx_traversable "${BATS_FILE_TMPDIR}"
  fx_subnet
  for i in "$@"; do
    fx_instance "n${i}" "10.99.1.1${i}" eth1 "02:aa:00:00:00:0${i}"
    fx_volume "${BATS_FILE_TMPDIR}/n${i}/by-id" "$(vol_id "${i}")" 256 >/dev/null
  done
}

# ensemble_teardown_file <i...>: stops nodes <i...>, removes everything.
ensemble_teardown_file() {
  local i
  for i in "$@"; do
    node "${i}" "${BIN}/zk-stop" >/dev/null 2>&1 || true
  done
  fx_cleanup
}

vol_id() { printf 'vol-%017x\n' "$1"; }

# node <i> <command...>: run in node i's namespace with its environment.
node() { fx_node "${BATS_FILE_TMPDIR}" "$@"; }

bootstrap() { # <i> [servers (default SERVERS) [more flags]]
  local i="$1" servers="${2:-${SERVERS}}"
  shift
  (($# == 0)) || shift
  node "${i}" "${BIN}/zk-bootstrap" --node-id "${i}" --eni-ip "10.99.1.10${i}" \
    --eni-mac "02:aa:00:00:00:0${i}" --volume-id "$(vol_id "${i}")" --servers "${servers}" "$@"
}

# bootstrap_parallel <i...>: bootstraps nodes <i...> at the same time with
# SERVERS; prints the log of each that failed, fails if any did.
bootstrap_parallel() {
  local i rc=0
  local -a pids
  for i in "$@"; do
    bootstrap "${i}" >"${BATS_FILE_TMPDIR}/bootstrap-${i}.log" 2>&1 3>&- &
    pids[i]=$!
  done
  for i in "$@"; do
    wait "${pids[i]}" || {
      rc=$?
      cat "${BATS_FILE_TMPDIR}/bootstrap-${i}.log"
    }
  done
  return "${rc}"
}

# modes <i...>: the nodes' srvr modes, sorted, on one line.
modes() {
  local i
  for i in "$@"; do zk_srvr_mode "n${i}"; done | sort | tr '\n' ' '
}

znodes_equal() { # <i> <j>
  [[ -n "$(zk_mntr "n$1" zk_znode_count)" &&
  "$(zk_mntr "n$1" zk_znode_count)" == "$(zk_mntr "n$2" zk_znode_count)" ]]
}
