# Names shared by up.sh and down.sh (sourced): the state folder and the "nodes" of the
# multi-node cluster. Each node is a network + UTS namespace NODE_PREFIX<i> with its own
# hostname, whose eth0 (address 127.77.0.<10+i>/24) is one end of a veth pair; the other
# end, VETH_PREFIX<i>, is a port of the bridge BRIDGE (127.77.0.1/24) in the root
# namespace, where slurmctld listens. Loopback-range addresses, so that no traffic
# looks as if it left the machine (route_localnet lets 127/8 cross the links).
# shellcheck shell=bash disable=SC2034
STATE_DIR=${UQSCALE_SLURM_STATE:-/run/uqscale-slurm}
BRIDGE=uqbr0
NET_PREFIX=127.77.0
BRIDGE_ADDR=${NET_PREFIX}.1
NODE_PREFIX=uqnode
VETH_PREFIX=uqv
NODES_PARTITION=nodes
node_addr() { printf '%s.%d' "$NET_PREFIX" $((10 + $1)); }
