#!/usr/bin/env bash
# Prints what the real node can change on this host, normalized so that two prints compare
# equal when the host is as it was: the sysctls the kubelet and the pod network touch, iptables
# rules, network links and namespaces, mounts and cgroups of the node, the kubelet's and CNI's
# host folders. up.sh saves it before it changes anything; down.sh leaves the host so that a
# new print equals that one (test/e2e/cluster.test.ts compares them).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo "# sysctls"
for s in "${KCP_NODE_SYSCTLS[@]}"; do echo "$s=$(sysctl -n "$s" 2>/dev/null)"; done

# An empty table whose built-in chains accept everything is what an absent one means: iptables
# over nftables can flush a table a node created, but not drop it.
rules() {
  "$1" 2>/dev/null | grep -v '^#' | sed -E 's/ \[[0-9]+:[0-9]+\]$//' | awk '
    /^\*/ { table = $0; body = ""; meaningful = 0; next }
    /^COMMIT/ { if (meaningful) print table "\n" body "COMMIT"; next }
    /^:/ { body = body $0 "\n"; if ($2 != "ACCEPT" || $1 !~ /^:(INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING)$/) meaningful = 1; next }
    { body = body $0 "\n"; meaningful = 1 }'
}
echo "# iptables"
rules iptables-save
echo "# ip6tables"
rules ip6tables-save

echo "# links"
ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
echo "# netns"
ip netns list 2>/dev/null | awk '{ print $1 }' | sort
echo "# mounts under the node's folders"
kcp_mounts_under "$KCP_STATE" "$KCP_NODE_RUN" | sort
echo "# cgroups"
for h in $(kcp_cgroup_mounts); do [ -d "$h/$KCP_NODE_CGROUP" ] && echo "$h/$KCP_NODE_CGROUP"; done
echo "# host folders"
for d in "${KCP_NODE_HOST_DIRS[@]}"; do [ -e "$d" ] && echo "$d $(find "$d" | wc -l)"; done
exit 0
