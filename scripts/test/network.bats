#!/usr/bin/env bats
# zk-policy-routing against real network namespaces: a subnet on a bridge in a
# gateway namespace (which also serves IMDS), an "instance" namespace with a
# primary NIC and the ENI's NIC (named ens6 here: names vary, the MAC counts).

load test_helper

readonly ENI_IP=10.99.1.101 ENI_MAC=02:aa:00:00:00:01 PRIMARY_IP=10.99.1.11

setup() {
  common_setup
  fx_subnet
  fx_instance n1 "${PRIMARY_IP}" ens6 "${ENI_MAC}"
}

teardown() {
  common_teardown
}

routing_state() {
  in_ns n1 ip -4 rule show
  in_ns n1 ip -4 route show table all
  in_ns n1 ip -4 addr show
}

policy_routing() {
  run in_ns n1 "${BIN}/zk-policy-routing" --eni-ip "${ENI_IP}" --eni-mac "$@"
}

@test "traffic from the ENI address leaves via the ENI; the primary NIC's routing is unchanged" {
  local main_before
  main_before="$(in_ns n1 ip route show table main)"
  policy_routing "${ENI_MAC^^}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }

  run in_ns n1 ip route get 10.99.2.5 from "${ENI_IP}"
  [[ "${output}" == *"via 10.99.1.1 dev ens6 table 10001"* ]]
  run in_ns n1 ip route get 10.99.1.50 from "${ENI_IP}"
  [[ "${output}" == *"dev ens6 table 10001"* ]]
  run in_ns n1 ip route get 10.99.2.5
  [[ "${output}" == *"via 10.99.1.1 dev eth0 src ${PRIMARY_IP}"* ]]
  [[ "$(in_ns n1 ip route show table main)" == "${main_before}" ]]
  [[ "$(in_ns n1 ip -4 rule show)" == *"10001:	from ${ENI_IP} lookup 10001"* ]]
  # Real traffic sourced from the ENI address reaches the gateway's IMDS stub.
  run in_ns n1 curl -sSf --max-time 5 --interface "${ENI_IP}" -X PUT \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 5' http://169.254.169.254/latest/api/token
  [[ "${output}" == zkasg-test-token ]]
  # Persisted for reboots: a oneshot unit and its values.
  grep -qx "ZKASG_ENI_IP=${ENI_IP}" "${ZKASG_ROOT}/etc/zkasg/policy-routing.env"
  grep -q "^ExecStart=.*/bin/zk-policy-routing --eni-ip \${ZKASG_ENI_IP}" \
    "${ZKASG_ROOT}/etc/systemd/system/zkasg-policy-routing.service"
  [[ -x "${ZKASG_ROOT}/usr/local/lib/zkasg/bin/zk-policy-routing" ]]
}

@test "a second run changes nothing" {
  local before
  policy_routing "${ENI_MAC}"
  [[ "${status}" -eq 0 ]]
  before="$(
    routing_state
    find "${ZKASG_ROOT}" -type f -printf '%p %T@\n' | sort
  )"
  policy_routing "${ENI_MAC}"
  [[ "${status}" -eq 0 ]]
  [[ "$(
    routing_state
    find "${ZKASG_ROOT}" -type f -printf '%p %T@\n' | sort
  )" == "${before}" ]]
}

@test "an address already on the ENI (from DHCP) is used as it is" {
  in_ns n1 ip link set ens6 up
  in_ns n1 ip addr add "${ENI_IP}/24" dev ens6
  rm -rf "${FX_STATE}/imds/latest/meta-data/network" # IMDS is not needed then
  policy_routing "${ENI_MAC}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  run in_ns n1 ip route get 10.99.2.5 from "${ENI_IP}"
  [[ "${output}" == *"dev ens6 table 10001"* ]]
}

# As amazon-ec2-net-utils leaves it on AL2023: address, own table, own rule.
al2023_like() {
  in_ns n1 ip link set ens6 up
  in_ns n1 ip addr add "${ENI_IP}/24" dev ens6
  in_ns n1 ip route add default via 10.99.1.1 dev ens6 table 10101
  in_ns n1 ip route add 10.99.1.0/24 dev ens6 src "${ENI_IP}" table 10101
  in_ns n1 ip rule add from "${ENI_IP}" lookup 10101 pref 10101
}

@test "an AL2023-like rule is kept: nothing added, no duplicate, second run identical" {
  local before
  al2023_like
  touch "${NODE_DIR}/policy-routes@.service"
  export ZKASG_NETUTILS_UNIT="${NODE_DIR}/policy-routes@.service"
  before="$(routing_state)"
  policy_routing "${ENI_MAC}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "${output}" == *"net-utils already routes"* ]]
  [[ "$(routing_state)" == "${before}" ]]
  [[ "$(in_ns n1 ip -4 rule show | grep -c "from ${ENI_IP}")" -eq 1 ]]
  policy_routing "${ENI_MAC}"
  [[ "${status}" -eq 0 ]]
  [[ "$(routing_state)" == "${before}" ]]
}

@test "without the net-utils marker a foreign rule that does the job is kept too" {
  local before
  al2023_like
  before="$(routing_state)"
  policy_routing "${ENI_MAC}"
  [[ "${status}" -eq 0 ]] || {
    echo "${output}"
    return 1
  }
  [[ "$(routing_state)" == "${before}" ]]
}

@test "a foreign rule whose table does not use the ENI is not fought: exit 2" {
  in_ns n1 ip rule add from "${ENI_IP}" lookup 10101 pref 10101
  policy_routing "${ENI_MAC}"
  assert_one_line_error 2
  [[ "$(in_ns n1 ip -4 rule show | grep -c "from ${ENI_IP}")" -eq 1 ]]
}

@test "no NIC with the ENI's MAC within the bounded wait: exit 2" {
  export ZKASG_NIC_TIMEOUT=1
  policy_routing 02:aa:00:00:00:99
  assert_one_line_error 2
  [[ "${output}" == *"no interface with MAC 02:aa:00:00:00:99"* ]]
}

@test "IMDS unreachable when the address must be added: exit 2, nothing changed" {
  export ZKASG_IMDS_URL=http://127.0.0.1:9 ZKASG_IMDS_TIMEOUT=1
  policy_routing "${ENI_MAC}"
  assert_one_line_error 2
  [[ "$(in_ns n1 ip -4 rule show)" != *"${ENI_IP}"* ]]
}
