#!/usr/bin/env bash
# Bring up a single-node SLURM (munged + slurmctld + slurmd) on this machine.
#
# For CI and developers on a Debian 12 machine without systemd, as root. Idempotent:
# packages are installed only when missing, and if the daemons this script started last
# time are still alive and the node is idle, it does nothing. Stop with down.sh.
#
#   bash cluster/slurm/up.sh
#
# Environment knobs (all optional):
#   UQSCALE_SLURM_STATE     state dir with PID files      (default /run/uqscale-slurm)
#   UQSCALE_SLURM_MIN_CPUS  CPUs declared at least         (default 4)
#   UQSCALE_SLURM_TIMEOUT   seconds to wait for each step  (default 60)
set -euo pipefail

STATE_DIR=${UQSCALE_SLURM_STATE:-/run/uqscale-slurm}
MIN_CPUS=${UQSCALE_SLURM_MIN_CPUS:-4}
TIMEOUT=${UQSCALE_SLURM_TIMEOUT:-60}
PACKAGES=(slurmctld slurmd slurm-client munge slurm-wlm-torque)
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
node_idle() { [[ $(sinfo -h -N -o %t 2>/dev/null) == idle ]]; }

show_logs() {
    local f
    for f in "$LOG_DIR"/slurmctld.log "$LOG_DIR"/slurmd.log; do
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
if alive "$STATE_DIR/slurmctld.pid" slurmctld && alive "$STATE_DIR/slurmd.pid" slurmd &&
    ctld_up && node_idle; then
    log "already up (slurmctld PID $(<"$STATE_DIR/slurmctld.pid"), slurmd PID $(<"$STATE_DIR/slurmd.pid"))"
    exit 0
fi
if alive "$STATE_DIR/slurmctld.pid" slurmctld || alive "$STATE_DIR/slurmd.pid" slurmd; then
    log "half-running or not idle: restarting"
    bash "$(dirname "${BASH_SOURCE[0]}")/down.sh"
fi
# Daemons we did not start would hold the ports: refuse rather than fight them.
if ctld_up; then
    die "a slurmctld not started by this script answers 'scontrol ping'; stop it first"
fi

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
# Single-node SLURM for uqscale CI and development. Written by cluster/slurm/up.sh;
# edits are overwritten on the next bring-up.
ClusterName=uqscale
SlurmctldHost=${host}(127.0.0.1)
AuthType=auth/munge
CryptoType=crypto/munge
SlurmUser=slurm
SlurmdUser=root
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=${LOG_DIR}/slurmctld.log
SlurmdLogFile=${LOG_DIR}/slurmd.log
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
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

mkdir -p /var/lib/slurm/slurmctld /var/lib/slurm/slurmd "$LOG_DIR"
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

setsid slurmd -D </dev/null >>"$LOG_DIR/slurmd.out" 2>&1 &
echo $! >"$STATE_DIR/slurmd.pid"
wait_for "node idle (sinfo)" node_idle || { sinfo -N -l >&2 || true; show_logs; die "node not idle"; }

elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
log "up in ${elapsed}s: node ${host}, ${declared_cpus} CPUs (${ncpus} real), RealMemory=${real_mb} MB, partition debug"
sinfo
