"""Start-up cost of TLS on the embedded cluster: a LocalCluster with a per-run
certificate (``Security.temporary()``, what ``uqscale run`` starts) against the same
cluster without TLS, interleaved A, B, A, B in one process.

Each round times: making the certificate (2048-bit RSA key), starting the cluster and
its workers, connecting the launcher's client and running one task on every worker
(a TLS handshake per connection), then closing. Prints medians and the ratio.

Run: ``python benchmarks/cluster_tls_startup.py [ROUNDS] [WORKERS]``
"""

from __future__ import annotations

import statistics
import sys
import time

import uqscale
from uqscale.execute.cluster import local_cluster_options


def start_and_stop(workers: int, tls: bool) -> tuple[float, float]:
    """Seconds to a usable cluster (client connected, a task run on every worker), and
    to closing it."""
    from distributed import Client, LocalCluster

    began = time.perf_counter()
    cluster = LocalCluster(**local_cluster_options(uqscale.Execution(workers=workers), tls))
    client = Client(cluster)
    client.wait_for_workers(workers)
    assert len(client.run(sum, [1, 2])) == workers
    assert client.scheduler.address.startswith("tls://" if tls else "tcp://")
    ready = time.perf_counter()
    client.close()
    cluster.close()
    return ready - began, time.perf_counter() - ready


def main(rounds: int = 8, workers: int = 2) -> None:
    start_and_stop(workers, True)  # warm imports and the OS caches, not counted
    start_and_stop(workers, False)
    times: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for _ in range(rounds):
        for tls in (True, False):
            times[tls].append(start_and_stop(workers, tls))
    print(f"{rounds} interleaved rounds, {workers} workers")
    medians = {}
    for tls, label in ((False, "plain TCP"), (True, "TLS, temporary certificate")):
        starts = [s for s, _ in times[tls]]
        stops = [s for _, s in times[tls]]
        medians[tls] = statistics.median(starts)
        print(
            f"  {label:28s} start {medians[tls]:.3f} s (min {min(starts):.3f}, "
            f"max {max(starts):.3f})   stop {statistics.median(stops):.3f} s"
        )
    print(
        f"  TLS adds {medians[True] - medians[False]:+.3f} s to the start; "
        f"ratio TLS / plain = {medians[True] / medians[False]:.2f}"
    )
    from distributed.security import Security

    keys = []
    for _ in range(rounds):
        began = time.perf_counter()
        Security.temporary()
        keys.append(time.perf_counter() - began)
    print(f"  of which making the certificate: {statistics.median(keys):.3f} s (median)")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
