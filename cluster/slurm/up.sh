#!/usr/bin/env bash
# Bring up SLURM on this machine: munged + slurmctld, one slurmd for this host (partition
# "debug", on 127.0.0.1) and UQSCALE_SLURM_NODES more compute "nodes" (partition "nodes"),
# each slurmd in its own network + UTS namespace on a bridge (see names.sh).
#
# For CI and developers on a Debian 12 machine without systemd, as root. Idempotent:
# packages are installed only when missing; if the daemons this script started last
# time are alive it only restarts the slurmd of a node that was taken down, and waits
# until every node is idle. Stop with down.sh.
#
#   bash cluster/slurm/up.sh
#
# Environment knobs (all optional):
#   UQSCALE_SLURM_STATE     state dir with PID files      (default /run/uqscale-slurm)
#   UQSCALE_SLURM_MIN_CPUS  CPUs declared at least         (default 4)
#   UQSCALE_SLURM_NODES     namespace nodes, 0 = none      (default 3)
#   UQSCALE_SLURM_TIMEOUT   seconds to wait for each step  (default 60)
set -euo pipefail

HERE=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=names.sh
. "$HERE/names.sh"
MIN_CPUS=${UQSCALE_SLURM_MIN_CPUS:-4}
NODES=${UQSCALE_SLURM_NODES:-3}
TIMEOUT=${UQSCALE_SLURM_TIMEOUT:-60}
NODE_CPUS=2 # per namespace node: two one-core worker jobs each
NODE_MEMORY_MB=4096
PACKAGES=(slurmctld slurmd slurm-client munge slurm-wlm-torque iproute2)
CONF=/etc/slurm/slurm.conf
LOG_DIR=/var/log/slurm
started=$EPOCHREALTIME

log() { printf 'slurm-up: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# True if the PID recorded in file $1 is alive and runs the program named $2
# (the name only guards against a recycled PID; we never signal by name).
alive() {
    local pid
    [[ -s $1 ]] || return 1
    pid=$(<"$1")
    [[ -r /proc/$pid/comm && $(</proc/"$pid"/comm) == "$2" ]]
}

# wait_for DESCRIPTION COMMAND...: poll COMMAND every 0.2 s until it succeeds or TIMEOUT.
wait_for() {
    local what=$1 deadline=$((SECONDS + TIMEOUT))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || { log "timed out after ${TIMEOUT}s waiting for $what"; return 1; }
        sleep 0.2
    done
}

# (Tests capture output instead of piping into `grep -q`: with pipefail, grep exiting
# early can kill the writer with SIGPIPE and turn a match into a failure.)
ctld_up() { [[ $(scontrol ping 2>/dev/null) == *'is UP'* ]]; }
# every_node_idle N: sinfo lists N nodes (a node in two partitions counts once), all idle.
every_node_idle() {
    local states
    states=$(sinfo -h -N -o '%N %t' 2>/dev/null | sort -u) || return 1
    [[ $(wc -l <<<"$states") == "$1" && -z $(awk '$2 != "idle"' <<<"$states") ]]
}

# --- namespace nodes -------------------------------------------------------------------
# net_up: the bridge in the root namespace, and route_localnet so that 127/8 addresses
# may cross it. Records the previous all.route_localnet for down.sh to restore.
net_up() {
    [[ -s $STATE_DIR/route_localnet.orig ]] ||
        sysctl -n net.ipv4.conf.all.route_localnet >"$STATE_DIR/route_localnet.orig"
    sysctl -q -w net.ipv4.conf.all.route_localnet=1 || return 1
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        ip link add "$BRIDGE" type bridge || return 1
        ip addr add "$BRIDGE_ADDR/24" dev "$BRIDGE" || return 1
    fi
    sysctl -q -w "net.ipv4.conf.$BRIDGE.route_localnet=1" && ip link set "$BRIDGE" up
}

# node_net_up I: namespace NODE_PREFIX<I> with lo up and eth0 at node_addr I, the peer
# of VETH_PREFIX<I> on the bridge. An existing namespace is configured again, in place.
node_net_up() {
    local ns=$NODE_PREFIX$1 veth=$VETH_PREFIX$1
    [[ -e /run/netns/$ns ]] || ip netns add "$ns" || return 1
    if ! ip link show "$veth" >/dev/null 2>&1; then
        ip link add "$veth" type veth peer name eth0 netns "$ns" || return 1
    fi
    ip link set "$veth" master "$BRIDGE" up || return 1
    sysctl -q -w "net.ipv4.conf.$veth.route_localnet=1" || return 1
    ip netns exec "$ns" sh -e -c "
        ip link set lo up
        ip addr replace $(node_addr "$1")/24 dev eth0
        ip link set eth0 up
        sysctl -q -w net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.eth0.route_localnet=1"
}

# start_node_slurmd I: the slurmd of node I inside its namespaces, with its own hostname.
# nsenter, not `ip netns exec`: that one also makes a mount namespace with a fresh /sys,
# without /sys/fs/cgroup, and slurmd then fails ("Unable to initialize cgroup plugin").
# nsenter, unshare and sh each exec the next, so $! is slurmd's PID.
start_node_slurmd() {
    local ns=$NODE_PREFIX$1
    mkdir -p "/var/lib/slurm/slurmd/$ns"
    setsid nsenter --net="/run/netns/$ns" -- unshare --uts \
        sh -c "hostname $ns && exec slurmd -D -N $ns" \
        </dev/null >>"$LOG_DIR/slurmd-$ns.out" 2>&1 &
    echo $! >"$STATE_DIR/slurmd-$ns.pid"
}

show_logs() {
    local f
    for f in "$LOG_DIR"/slurmctld.log "$LOG_DIR"/slurmd-*.log; do
        [[ -f $f ]] && { log "--- last lines of $f"; tail -n 20 "$f" >&2; }
    done
    return 0
}

[[ $(id -u) == 0 ]] || die "run as root (installs packages and starts daemons)"

# --- 1. packages ---------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == 'install ok installed' ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    # Block service starts during the install (no systemd here; we start daemons below).
    # Keep a policy-rc.d that is already there (Docker images ship one); else add ours.
    own_policy=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        own_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT # also on a failed install
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
    fi
    # Refresh the package lists only if they do not know one of the packages.
    for p in "${missing[@]}"; do
        if [[ $(apt-cache policy "$p" 2>/dev/null) != *'Candidate: '[0-9]* ]]; then
            apt-get update -q
            break
        fi
    done
    apt_install() {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
    }
    # A stale list gives 404s on download: refresh once and retry.
    apt_install "${missing[@]}" || { apt-get update -q && apt_install "${missing[@]}"; }
    if [[ -n $own_policy ]]; then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
fi

mkdir -p "$STATE_DIR"

# --- 2. already running? -------------------------------------------------------------
nodes_file=$STATE_DIR/nodes
if alive "$STATE_DIR/slurmctld.pid" slurmctld && alive "$STATE_DIR/slurmd.pid" slurmd &&
    ctld_up && [[ -s $nodes_file ]] && { ((NODES == 0)) || (($(<"$nodes_file") == NODES)); }; then
    running=$(<"$nodes_file")
    for ((i = 1; i <= running; i++)); do
        if ! alive "$STATE_DIR/slurmd-$NODE_PREFIX$i.pid" slurmd; then
            log "restarting the slurmd of $NODE_PREFIX$i"
            # What the node's loss left in its namespace (job steps, workers) goes first.
            ip netns pids "$NODE_PREFIX$i" 2>/dev/null | xargs -r kill -KILL
            node_net_up "$i" || die "cannot configure the network of $NODE_PREFIX$i"
            start_node_slurmd "$i"
        fi
    done
    wait_for "every node idle (sinfo)" every_node_idle $((1 + running)) ||
        { sinfo -N -l >&2 || true; show_logs; die "nodes not idle"; }
    log "already up (slurmctld PID $(<"$STATE_DIR/slurmctld.pid"), $((1 + running)) nodes)"
    exit 0
fi
if alive "$STATE_DIR/slurmctld.pid" slurmctld || alive "$STATE_DIR/slurmd.pid" slurmd; then
    log "half-running or configured differently: restarting"
    bash "$HERE/down.sh"
    mkdir -p "$STATE_DIR"
fi
# Daemons we did not start would hold the ports: refuse rather than fight them.
if ctld_up; then
    die "a slurmctld not started by this script answers 'scontrol ping'; stop it first"
fi

# The namespace nodes' network. If namespaces cannot be made here, say why and go on
# with the single node (the multi-node tests then skip, or fail under CI).
net_setup() {
    net_up || return 1
    local i
    for ((i = 1; i <= NODES; i++)); do node_net_up "$i" || return 1; done
}
if ((NODES > 0)) && ! net_errors=$(net_setup 2>&1); then
    log "WARNING: no namespace nodes: ${net_errors//$'\n'/; }; single node only"
    bash "$HERE/down.sh" >/dev/null 2>&1 || true
    mkdir -p "$STATE_DIR"
    NODES=0
fi
echo "$NODES" >"$nodes_file"
# slurmctld is reached on the bridge when there are namespace nodes (127.0.0.1 inside a
# namespace is that namespace's own loopback), else on the loopback.
ctld_addr=127.0.0.1
((NODES == 0)) || ctld_addr=$BRIDGE_ADDR

# --- 3. slurm.conf -------------------------------------------------------------------
host=$(hostname -s)
ncpus=$(nproc)
declared_cpus=$((ncpus > MIN_CPUS ? ncpus : MIN_CPUS))
# RealMemory: MemTotal minus 512 MB, but never above what slurmd detects (else the node
# is drained with "Low RealMemory").
mem_total_mb=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
detected_mb=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
real_mb=$((mem_total_mb - 512))
if [[ -n $detected_mb ]] && ((detected_mb < real_mb)); then real_mb=$detected_mb; fi

mkdir -p /etc/slurm
cat >"$CONF" <<EOF
# SLURM for uqscale CI and development. Written by cluster/slurm/up.sh;
# edits are overwritten on the next bring-up.
ClusterName=uqscale
SlurmctldHost=${host}(${ctld_addr})
AuthType=auth/munge
CryptoType=crypto/munge
SlurmUser=slurm
SlurmdUser=root
StateSaveLocation=/var/lib/slurm/slurmctld
# %n: the node's name, so that the slurmds of the namespace nodes keep apart.
SlurmdSpoolDir=/var/lib/slurm/slurmd/%n
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd-%n.pid
SlurmctldLogFile=${LOG_DIR}/slurmctld.log
SlurmdLogFile=${LOG_DIR}/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info

# No cgroups here: track processes by parent PID, no task binding, no accounting.
# (Memory is therefore not enforced; walltime is.)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
ReturnToService=2

# Fast turnaround for tests: schedule on every event and at least every 2 s, forget
# finished jobs after 10 s, SIGKILL 2 s after SIGTERM on scancel / walltime.
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2,batch_sched_delay=0
MinJobAge=10
KillWait=2
InactiveLimit=0
SlurmdTimeout=60
Waittime=0

SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, a job that asks for no memory would take the whole node.
DefMemPerCPU=1024

# This machine has ${ncpus} CPU(s); declare ${declared_cpus} so that ${declared_cpus} one-core worker jobs
# can run at once. config_overrides makes slurmd accept the declared values.
SlurmdParameters=config_overrides
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${declared_cpus} RealMemory=${real_mb} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
if ((NODES > 0)); then
    {
        printf '\n# %s compute "nodes", each slurmd in its own network + UTS namespace\n' "$NODES"
        printf '# (cluster/slurm/names.sh), reached over the bridge %s. LLN: a job goes to\n' "$BRIDGE"
        printf '# the least loaded node, so that N one-core jobs spread over N nodes.\n'
        for ((i = 1; i <= NODES; i++)); do
            printf 'NodeName=%s NodeAddr=%s CPUs=%s RealMemory=%s State=UNKNOWN\n' \
                "$NODE_PREFIX$i" "$(node_addr "$i")" "$NODE_CPUS" "$NODE_MEMORY_MB"
        done
        printf 'PartitionName=%s Nodes=%s[1-%s] LLN=YES MaxTime=INFINITE State=UP\n' \
            "$NODES_PARTITION" "$NODE_PREFIX" "$NODES"
    } >>"$CONF"
fi

mkdir -p /var/lib/slurm/slurmctld "/var/lib/slurm/slurmd/$host" "$LOG_DIR"
chown slurm:slurm /var/lib/slurm/slurmctld "$LOG_DIR"

# --- 4. munge ------------------------------------------------------------------------
if [[ ! -s /etc/munge/munge.key ]]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
for d in /run/munge /var/log/munge /var/lib/munge; do
    mkdir -p "$d"
    chown munge:munge "$d"
done
if ! alive /run/munge/munged.pid munged; then
    runuser -u munge -- /usr/sbin/munged # daemonises; writes /run/munge/munged.pid
    wait_for "munged" alive /run/munge/munged.pid munged || die "munged did not start"
    # Record it as ours so that down.sh stops it (a munged started elsewhere is left alone).
    cp /run/munge/munged.pid "$STATE_DIR/munged.pid"
fi
munge -n | unmunge >/dev/null || die "munge credential round trip failed"

# --- 5. slurmctld, then slurmd ---------------------------------------------------------
# -D keeps them in the foreground so that $! is the daemon's PID; setsid detaches them
# from this shell's process group so that Ctrl-C or a CI step ending does not kill them.
setsid slurmctld -D -c </dev/null >>"$LOG_DIR/slurmctld.out" 2>&1 &
echo $! >"$STATE_DIR/slurmctld.pid"
wait_for "slurmctld (scontrol ping)" ctld_up || { show_logs; die "slurmctld did not come up"; }

setsid slurmd -D </dev/null >>"$LOG_DIR/slurmd-$host.out" 2>&1 &
echo $! >"$STATE_DIR/slurmd.pid"
for ((i = 1; i <= NODES; i++)); do start_node_slurmd "$i"; done
wait_for "every node idle (sinfo)" every_node_idle $((1 + NODES)) ||
    { sinfo -N -l >&2 || true; show_logs; die "nodes not idle"; }

elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
log "up in ${elapsed}s: node ${host}, ${declared_cpus} CPUs (${ncpus} real), RealMemory=${real_mb} MB, partition debug"
((NODES == 0)) || log "and ${NODES} namespace nodes ${NODE_PREFIX}[1-${NODES}], ${NODE_CPUS} CPUs each, on ${BRIDGE} ${BRIDGE_ADDR}/24: partition ${NODES_PARTITION}"
sinfo
