#!/usr/bin/env bash
# CPU per spill-tier miss by thread: runs bench/spill-bench-sidecar.sh (same arguments) while sampling, every 0.25 s,
# the CPU ticks of every thread of the benchmark's JVM (its clients), of its two sidecars' JVMs (event loops, Lettuce,
# RocksDB threads), of its valkey-server processes and of the kernel's threads (disk writes, network) from /proc, with
# the machine's stolen, idle and interrupt time. For each kind of Zipfian window it prints the CPU
# microseconds per operation by thread group, and per miss: (tiered us/op - all-in-memory us/op) / restores per op;
# then, per operation and thread group, how long threads waited on a run queue for a free core (/proc schedstat).
# Run it under the benchmark lock: flock /tmp/valkey-sidecar-bench.lock bench/spill-cpu.sh [bench arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/sidecar-stack.sh
. "$root/bench/sidecar-stack.sh"
machine_mark
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work/samples" <<'EOF' &
import glob, os, sys, time
out = open(sys.argv[1], 'w')
def ticks(stat):
    f = stat[stat.rindex(')') + 2:].split()
    return int(f[11]) + int(f[12])
def run_delay(proc):  # nanoseconds the task waited on a run queue (runnable, no CPU free)
    return int(open(proc + '/schedstat').read().split()[1])
def bench_jvm():
    for p in glob.glob('/proc/[0-9]*/cmdline'):
        try:
            c = open(p, 'rb').read().split(b'\0')
        except OSError:
            continue
        if c[0].endswith(b'java') and any(b'SpillSidecarBench' in x for x in c):
            return p.split('/')[2]
pid = None
while pid is None:
    pid = bench_jvm()
    time.sleep(0.2)
def threads(proc, prefix):  # every thread of a JVM, its name marked with the JVM's role
    rows = []
    for task in glob.glob('/proc/%s/task/*' % proc):
        try:
            rows.append('%s:%s%s:%d:%d' % (task.rsplit('/', 1)[1], prefix,
                                           open(task + '/comm').read().strip().replace(' ', '_'),
                                           ticks(open(task + '/stat').read()), run_delay(task)))
        except OSError:
            pass
    return rows
while os.path.exists('/proc/' + pid):
    rows = threads(pid, 'bench/')
    for p in glob.glob('/proc/[0-9]*/stat'):
        try:
            s = open(p).read()
            child = p.split('/')[2]
            if s[s.rindex(')') + 2:].split()[1] == '2':  # a kernel thread: disk and network work done for us
                rows.append('k%s:kernel/%s:%d:%d' % (child, s[s.index('(') + 1:s.rindex(')')].replace(' ', '_'),
                                                     ticks(s), run_delay(p[:-5])))
                continue
            if s[s.rindex(')') + 2:].split()[1] != pid:
                continue
            if '(valkey-server)' in s:
                rows.append('v%s:valkey-server:%d:%d' % (child, ticks(s), run_delay(p[:-5])))
            elif b'valkey-sidecar.jar' in open('/proc/%s/cmdline' % child, 'rb').read():
                rows += threads(child, 'sidecar/')
        except OSError:
            pass
    cpu = open('/proc/stat').readline().split()[1:]  # steal, idle, interrupt and all ticks of the machine
    rows.append('host-steal:host:%s:0 host-idle:host:%s:0 host-irq:host:%d:0 host-all:host:%d:0'
                % (cpu[7], cpu[3], int(cpu[5]) + int(cpu[6]), sum(int(x) for x in cpu)))
    out.write('%d %s\n' % (time.time() * 1000, ' '.join(rows)))
    out.flush()
    time.sleep(0.25)
EOF
monitor=$!
# The sampler waits for the benchmark's JVM: if the benchmark fails before starting it, stop the sampler too.
trap 'kill "$monitor" 2>/dev/null; rm -rf "$work"' EXIT
"$root/bench/spill-bench-sidecar.sh" "$@" | tee "$work/bench"
wait "$monitor"
python3 - "$work/samples" "$work/bench" <<'EOF'
import collections, os, re, sys
us_per_tick = 1e6 / os.sysconf('SC_CLK_TCK')
samples = []
for line in open(sys.argv[1]):
    parts = line.split()
    rows = [r.rsplit(':', 3) for r in parts[1:]]
    samples.append((float(parts[0]), {r[0]: (r[1], int(r[2]), int(r[3])) for r in rows}))
bench = open(sys.argv[2]).read()
windows = re.findall(r'window (\w+) (\d+) (\d+) (\d+) ops', bench)
per_op = float(re.search(r'restores per tiered op: ([\d.]+)', bench).group(1))
SIDECAR = [('spill-store-wri', 'store writer'), ('spill-store-wal', 'WAL sync'), ('epollEventLoop', 'event loops'),
           ('lettuce', 'Lettuce I/O (the tier\'s connections)'), ('C1_', 'JIT'), ('C2_', 'JIT'),
           ('spill-io', 'spill-io'), ('keyspace-liste', 'keyspace listener')]
BENCH = [('lettuce', 'Lettuce I/O'), ('C1_', 'JIT'), ('C2_', 'JIT')]
def group(comm):
    role, _, name = comm.partition('/')
    if role == 'sidecar':
        return 'sidecar: ' + next((g for prefix, g in SIDECAR if name.startswith(prefix)),
                                  'other (GC, controller, sweeper, ...)')
    if role == 'kernel':
        return 'kernel threads (I/O, network, ...)'
    if role == 'bench':
        return 'benchmark: ' + next((g for prefix, g in BENCH if name.startswith(prefix)), 'clients, GC, other')
    return 'Valkey'
cpu = {'memory': collections.Counter(), 'tiered': collections.Counter()}
host = {'memory': collections.Counter(), 'tiered': collections.Counter()}
delay = {'memory': collections.Counter(), 'tiered': collections.Counter()}
ops = collections.Counter()
for kind, start, end, n in windows:
    start, end = int(start), int(end)
    a = max((x for x in samples if x[0] <= start), key=lambda x: x[0])
    b = min((x for x in samples if x[0] >= end), key=lambda x: x[0])
    scale = (end - start) / (b[0] - a[0])
    for tid, (comm, t, d) in b[1].items():
        before = a[1].get(tid, (comm, 0, 0))
        if comm == 'host':
            continue
        cpu[kind][group(comm)] += (t - before[1]) * us_per_tick * scale
        delay[kind][group(comm)] += (d - before[2]) / 1e3 * scale
    ops[kind] += int(n)
    for name in ('steal', 'idle', 'irq', 'all'):
        host[kind][name] += b[1]['host-' + name][1] - a[1]['host-' + name][1]
print('CPU us per operation (all-in-memory, tiered) and per miss, %.3f restores per tiered op:' % per_op)
total = [0.0, 0.0]
for g in sorted(set(cpu['memory']) | set(cpu['tiered']), key=lambda g: -cpu['tiered'][g]):
    m, t = cpu['memory'][g] / ops['memory'], cpu['tiered'][g] / ops['tiered']
    total = [total[0] + m, total[1] + t]
    print('  %-48s %7.1f %7.1f %8.1f' % (g, m, t, (t - m) / per_op))
print('  %-48s %7.1f %7.1f %8.1f' % ('all', total[0], total[1], (total[1] - total[0]) / per_op))
print('Host CPU in the windows (all-in-memory, tiered): stolen by the hypervisor %.0f%% / %.0f%%, idle %.0f%% / %.0f%%,'
      ' interrupts %.0f%% / %.0f%%' % tuple(100.0 * host[k][n] / max(1, host[k]['all'])
                                          for n in ('steal', 'idle', 'irq') for k in ('memory', 'tiered')))
print('Waiting for a free core (run-queue delay), us per operation (all-in-memory, tiered):')
for g in sorted(set(delay['memory']) | set(delay['tiered']), key=lambda g: -delay['tiered'][g]):
    print('  %-48s %7.1f %7.1f' % (g, delay['memory'][g] / ops['memory'], delay['tiered'][g] / ops['tiered']))
EOF
machine_report
