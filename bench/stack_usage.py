#!/usr/bin/env python3
"""CPU seconds and memory of the processes a benchmark names, from the start to SIGTERM.

    bench/stack_usage.py REPORT NAME=PID... &   # ... the load ...; kill -TERM $!; wait $!

Every second it samples each process's memory; at SIGTERM it writes REPORT, one line each:
    NAME CPU_S RSS_END_MIB RSS_PEAK_MIB HWM_MIB
and a last line "total" summing them. CPU_S is utime + stime (/proc/PID/stat) over the run.
A NAME starting with "postgres" is the postmaster PID and all its children: their CPU plus
the postmaster's reaped children's (cutime + cstime, so backends that exit mid-run still
count); its memory is the sum of the processes' Pss (/proc/PID/smaps_rollup), which counts
shared buffers once, and HWM is "-" (no single high-water mark). For one process RSS is
VmRSS, sampled, and HWM its VmHWM: its peak since it started, which for a long-lived stack
process may predate the run.
"""
import os
import signal
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pss_kib(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def children(ppid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if int(stat_fields(entry)[1]) == ppid:
                out.append(int(entry))
        except (OSError, IndexError):
            continue
    return out


def cpu_ticks(name, pid):
    f = stat_fields(pid)
    ticks = int(f[11]) + int(f[12])
    if name.startswith("postgres"):
        ticks += int(f[13]) + int(f[14])
        for child in children(pid):
            try:
                c = stat_fields(child)
                ticks += int(c[11]) + int(c[12])
            except OSError:
                continue  # exited between the listing and the read: in cutime by now
    return ticks


def memory_kib(name, pid):
    if not name.startswith("postgres"):
        return status_kib(pid, "VmRSS")
    total = pss_kib(pid)
    for child in children(pid):
        try:
            total += pss_kib(child)
        except OSError:
            continue
    return total


def main():
    report, procs = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
    procs = [(name, int(pid)) for name, pid in procs]
    start = {name: cpu_ticks(name, pid) for name, pid in procs}
    peak = {name: memory_kib(name, pid) for name, pid in procs}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        time.sleep(1)
        for name, pid in procs:
            try:
                peak[name] = max(peak[name], memory_kib(name, pid))
            except OSError:
                pass
    rows, total = [], [0.0, 0, 0, 0]
    for name, pid in procs:
        try:
            cpu = (cpu_ticks(name, pid) - start[name]) / HZ
            end = memory_kib(name, pid)
            hwm = None if name.startswith("postgres") else status_kib(pid, "VmHWM")
        except OSError:
            rows.append(f"{name} gone - - - -")
            continue
        peak[name] = max(peak[name], end)
        total = [total[0] + cpu, total[1] + end, total[2] + peak[name], total[3] + (hwm or 0)]
        hwm_text = "-" if hwm is None else f"{hwm / 1024:.1f}"
        rows.append(f"{name} {cpu:.2f} {end / 1024:.1f} {peak[name] / 1024:.1f} {hwm_text}")
    rows.append(f"total {total[0]:.2f} {total[1] / 1024:.1f} {total[2] / 1024:.1f} -")
    with open(report, "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
