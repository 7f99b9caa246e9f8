#!/usr/bin/env python3
"""shopify-sync benchmarks: prints figures, asserts nothing.

1. drain: N one-line movement files dropped at once into a running daemon; time to drain, files/s, peak RSS.
2. live work first: a movement's latency (drop -> .result) while the daemon is idle (the baseline), and while
   a hard sync of M items runs against the same simulator; the ratio of the two.
3. steady (S3 of the performance issue): movements dropped at a steady 20/s for 15 s against a standard plan's
   rate limit (restore 100/s, bucket 2000); drop -> .result p50 and p99, beside the idle latency.
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time

BIN = sys.argv[1]
DRAIN_FILES = int(os.environ.get("BENCH_DRAIN_FILES", "10000"))
HARD_SYNC_ITEMS = int(os.environ.get("BENCH_HARD_SYNC_ITEMS", "100000"))
RESTORE_RATE = os.environ.get("BENCH_RESTORE_RATE", "1000")
BUCKET = os.environ.get("BENCH_BUCKET", "20000")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class World:
    def __init__(self, skus, restore_rate=RESTORE_RATE, bucket=BUCKET):
        self.dir = tempfile.mkdtemp(prefix="bench-")
        self.port = free_port()
        self.skus = skus
        with open(f"{self.dir}/catalog.csv", "w") as f:
            f.write("sku,store,inventory_item_id,sync\n")
            for i, sku in enumerate(skus):
                f.write(f"{sku},main,{100000 + i},true\n")
        with open(f"{self.dir}/main.token", "w") as f:
            f.write("bench\n")
        os.chmod(f"{self.dir}/main.token", 0o600)
        with open(f"{self.dir}/config.toml", "w") as f:
            f.write(f'''spool_dir = "spool"
state_dir = "state"
catalog = "catalog.csv"
[stores.main]
shop = "bench.myshopify.com"
default_location = "gid://shopify/Location/1"
endpoint = "http://127.0.0.1:{self.port}/main"
''')
        self.sim_log = open(f"{self.dir}/simulator.log", "w")
        self.sim = subprocess.Popen(
            [f"{BIN}/shopify-simulator", "--port", str(self.port), "--config", f"{self.dir}/config.toml",
             "--catalog", f"{self.dir}/catalog.csv", "--initial-on-hand", "5",
             "--restore-rate", str(restore_rate), "--bucket", str(bucket)],
            stdout=self.sim_log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if "listening on" in open(f"{self.dir}/simulator.log").read():
                break
            time.sleep(0.1)
        self.daemon_log = open(f"{self.dir}/daemon.log", "w")
        self.daemon = subprocess.Popen([f"{BIN}/shopify-sync", "daemon", "--config", f"{self.dir}/config.toml"]
                                       + (["--allow-root"] if os.geteuid() == 0 else []),
                                       stderr=self.daemon_log, stdout=self.daemon_log)
        while not os.path.isdir(f"{self.dir}/spool/done"):
            time.sleep(0.05)
        time.sleep(0.3)

    def drop(self, name, body):
        tmp = f"{self.dir}/spool/tmp/.{name}"
        with open(tmp, "w") as f:
            f.write(body)
        os.rename(tmp, f"{self.dir}/spool/pending/{name}")

    def finished(self, name):
        return os.path.exists(f"{self.dir}/spool/done/{name}") or os.path.exists(f"{self.dir}/spool/failed/{name}")

    def peak_rss_kib(self):
        with open(f"/proc/{self.daemon.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return None

    def close(self):
        self.daemon.send_signal(signal.SIGTERM)
        self.daemon.wait(timeout=60)
        self.sim.send_signal(signal.SIGTERM)
        self.sim.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def movement(mid, sku, delta=1):
    return json.dumps({"kind": "movement", "id": mid, "movement_type": "receipt",
                       "lines": [{"sku": sku, "delta": delta}]})


def bench_drain():
    world = World([f"D-{i}" for i in range(100)])
    try:
        start = time.monotonic()
        for i in range(DRAIN_FILES):
            world.drop(f"d{i}.json", movement(f"d-{i}", f"D-{i % 100}"))
        dropped = time.monotonic() - start
        peak = 0
        while True:
            left = len(os.listdir(f"{world.dir}/spool/pending")) + len(os.listdir(f"{world.dir}/spool/processing"))
            peak = max(peak, world.peak_rss_kib() or 0)
            if left == 0:
                break
            time.sleep(0.2)
        took = time.monotonic() - start
        print(f"drain: {DRAIN_FILES} files dropped in {dropped:.1f} s, drained in {took:.1f} s "
              f"({DRAIN_FILES / took:.0f} files/s); daemon peak RSS {peak / 1024:.1f} MiB")
    finally:
        world.close()


def movement_latency(world, tag):
    name = f"live-{tag}.json"
    start = time.monotonic()
    world.drop(name, movement(f"live-{tag}", world.skus[-1], 1))
    while not world.finished(name):
        time.sleep(0.01)
    return time.monotonic() - start


def bench_live_work_first():
    skus = [f"H-{i:06d}" for i in range(HARD_SYNC_ITEMS)]
    world = World(skus)
    try:
        idle = sorted(movement_latency(world, f"idle-{i}") for i in range(5))[2]
        items = [{"sku": sku, "location": None, "on_hand": 7} for sku in skus]
        for item in items:
            del item["location"]
        bulk = json.dumps({"kind": "bulk_sync", "id": "hard-1", "store": "main", "scope": "all", "force": False,
                           "items": items})
        start = time.monotonic()
        world.drop("hard-1.json", bulk)
        time.sleep(3)
        busy = []
        for i in range(5):
            if world.finished("hard-1.json"):
                break
            busy.append(movement_latency(world, f"busy-{i}"))
            time.sleep(1)
        while not world.finished("hard-1.json"):
            time.sleep(0.5)
        hard = time.monotonic() - start
        result = json.load(open(f"{world.dir}/spool/done/hard-1.json.result"))
        median = sorted(busy)[len(busy) // 2] if busy else float("nan")
        print(f"live work first: movement latency idle {idle:.3f} s (baseline), during a {HARD_SYNC_ITEMS}-item hard sync "
              f"{median:.3f} s median of {len(busy)} (max {max(busy) if busy else float('nan'):.3f} s): "
              f"ratio {median / idle:.1f}x")
        print(f"hard sync: {HARD_SYNC_ITEMS} items in {hard:.1f} s ({HARD_SYNC_ITEMS / hard:.0f} items/s), "
              f"counts {result.get('counts')}, simulator restore {RESTORE_RATE}/s bucket {BUCKET}")
    finally:
        world.close()


def bench_steady(rate=20, seconds=15):
    world = World([f"S-{i:03d}" for i in range(200)], restore_rate=100, bucket=2000)
    try:
        idle = sorted(movement_latency(world, f"idle-{i}") for i in range(5))[2]
        dropped = {}
        latencies = []
        start = time.monotonic()
        for i in range(rate * seconds):
            due = start + i / rate
            while time.monotonic() < due:
                for name, at in list(dropped.items()):
                    if world.finished(name):
                        latencies.append(time.monotonic() - at)
                        del dropped[name]
                time.sleep(0.002)
            name = f"steady-{i}.json"
            world.drop(name, movement(f"steady-{i}", world.skus[i % len(world.skus)]))
            dropped[name] = time.monotonic()
        deadline = time.monotonic() + 60
        while dropped and time.monotonic() < deadline:
            for name, at in list(dropped.items()):
                if world.finished(name):
                    latencies.append(time.monotonic() - at)
                    del dropped[name]
            time.sleep(0.002)
        latencies.sort()
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"steady: {rate} movements/s for {seconds} s at restore 100/s, bucket 2000: drop -> .result "
              f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms "
              f"({len(latencies)} measured, {len(dropped)} unfinished); idle {idle * 1000:.0f} ms (baseline)")
    finally:
        world.close()


if __name__ == "__main__":
    which = sys.argv[2:] or ["drain", "live", "steady"]
    if "drain" in which:
        bench_drain()
    if "live" in which:
        bench_live_work_first()
    if "steady" in which:
        bench_steady()
