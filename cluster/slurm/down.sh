#!/usr/bin/env bash
# Stop the SLURM started by up.sh: cancel its jobs, stop the slurmds, slurmctld and (if
# up.sh started it) munged, each by the PID up.sh recorded, never by process name; then
# kill what is left inside the namespace nodes, delete them and the bridge by name, and
# put route_localnet back. Safe to run twice, or when nothing is running.
#
#   bash cluster/slurm/down.sh
set -euo pipefail

# shellcheck source=names.sh
. "$(dirname "${BASH_SOURCE[0]}")/names.sh"

log() { printf 'slurm-down: %s\n' "$*" >&2; }

# stop PIDFILE NAME: SIGTERM the recorded PID if it still runs NAME (the name guards
# against a recycled PID), wait up to 10 s, then SIGKILL. Removes PIDFILE.
stop() {
    local file=$1 name=$2 pid i
    [[ -s $file ]] || return 0
    pid=$(<"$file")
    if [[ -r /proc/$pid/comm && $(</proc/"$pid"/comm) == "$name" ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            [[ -e /proc/$pid ]] || break
            sleep 0.2
        done
        if [[ -e /proc/$pid ]]; then
            log "$name (PID $pid) ignored SIGTERM for 10 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        log "stopped $name (PID $pid)"
    fi
    rm -f "$file"
}

# Cancel every job first, so that no dask worker outlives its slurmd. This is a private
# cluster: all its jobs are ours.
if [[ -s $STATE_DIR/slurmctld.pid ]] && command -v squeue >/dev/null &&
    [[ $(scontrol ping 2>/dev/null) == *'is UP'* ]]; then
    jobs=$(squeue -h -o %i 2>/dev/null || true)
    if [[ -n $jobs ]]; then
        log "cancelling jobs: ${jobs//$'\n'/ }"
        # shellcheck disable=SC2086
        scancel $jobs 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
            sleep 0.2
        done
    fi
fi

for file in "$STATE_DIR"/slurmd-"$NODE_PREFIX"*.pid; do
    [[ -e $file ]] && stop "$file" slurmd
done
stop "$STATE_DIR/slurmd.pid" slurmd
stop "$STATE_DIR/slurmctld.pid" slurmctld
stop "$STATE_DIR/munged.pid" munged
# slurmctld leaves its PID file behind; a stale one makes `apt-get remove slurmctld` fail.
rm -f /run/slurmctld.pid /run/slurmd.pid /run/slurmd-*.pid

# The namespace nodes, by name: first every process still inside one (a worker whose
# slurmd was killed), then the namespace, which takes its veth pair along; the bridge.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ $ns =~ ^${NODE_PREFIX}[0-9]+$ ]] || continue
    ip netns pids "$ns" | xargs -r kill -KILL
    ip netns del "$ns"
    log "deleted namespace $ns"
done
if ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link del "$BRIDGE"
    log "deleted bridge $BRIDGE"
fi
if [[ -s $STATE_DIR/route_localnet.orig ]]; then
    sysctl -q -w net.ipv4.conf.all.route_localnet="$(<"$STATE_DIR/route_localnet.orig")"
    rm -f "$STATE_DIR/route_localnet.orig"
fi
rm -f "$STATE_DIR/nodes"
log "down"
