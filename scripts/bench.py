#!/usr/bin/env python3
"""shopify-sync benchmarks (make bench): each scenario of the performance issue beside its baseline, measured in
the same run against the simulator on loopback. Prints a table and writes every figure as JSON. Asserts nothing:
absolute figures vary between machines, the ratios are what to compare.

  S1 burst: 20,000 one-line movements over 2,000 (item, location) pairs, no rate limit
     baseline: a loop that writes, fsyncs and renames each file, with a directory fsync (one durable file a time)
  S2 the same burst at a standard plan's rate limit (restore 100/s, bucket 2000)
     baseline: one GraphQL call per movement against the same simulator, at the rate its calls' cost allows
  S3 steady 20 movements/s for 15 s at the standard plan: drop -> .result p50 and p99
     baseline: one movement into an idle daemon
  S4 hard sync of 100,000 items at the standard plan: points per item, wall time, a movement dropped midway
     baseline: the rate-limit floor of what it spent ((points - bucket) / restore rate); and paged reads (bulk
     operations denied) for 2,000 items, points per item
  S5 100,000 files waiting when the daemon starts: first file finished, drain rate, peak RSS
     baseline: the durable write loop of S1
  S6 the state file after many movements, and after retention removed them
     baseline: the state file before retention

usage: bench.py BIN_DIR [--json PATH] [s1 s2 ...]      BENCH_SCALE=0.1 shrinks every size (a quick look)
"""
import json, os, platform, shutil, signal, socket, sqlite3, subprocess, sys, tempfile, time, urllib.request

BIN = sys.argv[1]
ARGS = sys.argv[2:]
JSON_PATH = "bench-results.json"
if "--json" in ARGS:
    JSON_PATH = ARGS[ARGS.index("--json") + 1]
    del ARGS[ARGS.index("--json"):ARGS.index("--json") + 2]
ONLY = [a.lower() for a in ARGS] or ["s1", "s2", "s3", "s4", "s5", "s6"]
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
UNLIMITED = (1_000_000, 100_000_000)
STANDARD = (100, 2000)
# Every world stays until the end: removing tens of thousands of files makes ext4 skip the freed inodes for a
# while, which slows the next scenario's file creation (a profile showed it as recently_deleted in the kernel).
ROOT = tempfile.mkdtemp(prefix="shopify-sync-bench-")
ROWS = []
FIGURES = {}


def n(value):
    return max(1, int(value * SCALE))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def movement(mid, sku, delta=1):
    return json.dumps({"kind": "movement", "id": mid, "movement_type": "receipt",
                       "lines": [{"sku": sku, "delta": delta}]})


class World:
    """A simulator and a daemon (release binaries) over one spool, in a folder of its own."""

    def __init__(self, name, skus, rate=UNLIMITED, start=True, sim_args=(), config=""):
        self.dir = f"{ROOT}/{name}"
        os.makedirs(f"{self.dir}/spool/tmp")
        os.makedirs(f"{self.dir}/spool/pending")
        self.port = free_port()
        self.skus = skus
        self.rate = rate
        self.daemon = None
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
{config}
[stores.main]
shop = "bench.myshopify.com"
default_location = "gid://shopify/Location/1"
endpoint = "http://127.0.0.1:{self.port}/main"
''')
        self.sim_log = open(f"{self.dir}/simulator.log", "w")
        self.sim = subprocess.Popen(
            [f"{BIN}/shopify-simulator", "--port", str(self.port), "--config", f"{self.dir}/config.toml",
             "--catalog", f"{self.dir}/catalog.csv", "--initial-on-hand", "5",
             "--restore-rate", str(rate[0]), "--bucket", str(rate[1]), *sim_args],
            stdout=self.sim_log, stderr=subprocess.STDOUT)
        for _ in range(600):
            if "listening on" in open(f"{self.dir}/simulator.log").read():
                break
            time.sleep(0.1)
        if start:
            self.start()

    def start(self):
        self.daemon_log = open(f"{self.dir}/daemon.log", "a")
        self.daemon = subprocess.Popen(
            [f"{BIN}/shopify-sync", "daemon", "--config", f"{self.dir}/config.toml"]
            + (["--allow-root"] if os.geteuid() == 0 else []),
            stderr=self.daemon_log, stdout=self.daemon_log)
        self.started = time.monotonic()

    def wait_ready(self):
        while not os.path.isdir(f"{self.dir}/spool/done"):
            time.sleep(0.02)
        time.sleep(0.3)

    def stop(self):
        self.daemon.send_signal(signal.SIGTERM)
        self.daemon.wait(timeout=120)
        self.daemon = None

    def drop(self, name, body):
        tmp = f"{self.dir}/spool/tmp/.{name}"
        with open(tmp, "w") as f:
            f.write(body)
        os.rename(tmp, f"{self.dir}/spool/pending/{name}")

    def finished(self, name):
        return os.path.exists(f"{self.dir}/spool/done/{name}") or os.path.exists(f"{self.dir}/spool/failed/{name}")

    def waiting(self):
        return sum(1 for _ in os.scandir(f"{self.dir}/spool/pending")) + \
            sum(1 for _ in os.scandir(f"{self.dir}/spool/processing"))

    def peak_rss_kib(self):
        try:
            with open(f"/proc/{self.daemon.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            return 0
        return 0

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=60) as answer:
            return json.load(answer)

    def calls(self):
        return self.get("/__sim/calls")

    def on_hand(self, sku):
        item = f"gid://shopify/InventoryItem/{100000 + self.skus.index(sku)}"
        levels = self.get("/__sim/levels")["main"][item]
        return levels["locations"]["gid://shopify/Location/1"]["on_hand"]

    def state_bytes(self):
        """The state database's size, its WAL checkpointed into it first (the daemon is stopped)."""
        db = sqlite3.connect(f"{self.dir}/state/state.sqlite")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        return sum(os.path.getsize(f"{self.dir}/state/{f}") for f in os.listdir(f"{self.dir}/state")
                   if f.startswith("state.sqlite"))

    def close(self):
        if self.daemon:
            self.stop()
        self.sim.send_signal(signal.SIGTERM)
        self.sim.wait(timeout=30)


def row(scenario, figure, value, baseline, ratio, target, **extra):
    ROWS.append((scenario, figure, value, baseline, ratio, target))
    FIGURES[scenario] = {"figure": figure, "value": value, "baseline": baseline, "ratio": ratio,
                         "target": target, **extra}


# MARK: - baselines

def durable_loop(count):
    """Files/s of a loop that writes, fsyncs and renames each file, then fsyncs the folder."""
    folder = tempfile.mkdtemp(prefix="loop-", dir=ROOT)
    os.makedirs(f"{folder}/tmp")
    os.makedirs(f"{folder}/pending")
    body = movement("loop", "SKU").encode()
    pending = os.open(f"{folder}/pending", os.O_RDONLY | os.O_DIRECTORY)
    start = time.monotonic()
    for i in range(count):
        tmp = f"{folder}/tmp/.f{i}.json"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        os.write(fd, body)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, f"{folder}/pending/f{i}.json")
        os.fsync(pending)
    took = time.monotonic() - start
    os.close(pending)
    return count / took


def loop_rate():
    """The durable loop, measured just before the scenario it is the baseline of (the disk's speed drifts)."""
    return durable_loop(n(20_000))


ADJUST = """mutation AdjustInventory($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) { userErrors { code message } }
}"""


def one_call_per_movement(world, sample):
    """Movements/s of a client that sends one inventoryAdjustQuantities per movement, waiting for the bucket as
    throttleStatus says. Measured over `sample` calls; a whole burst of N movements then takes the longer of the
    measured pace and the rate limit's floor for N calls of the measured cost."""
    url = f"http://127.0.0.1:{world.port}/main/admin/api/2026-04/graphql.json"
    costs = []
    start = time.monotonic()
    for i in range(sample):
        body = json.dumps({"query": ADJUST, "variables": {"key": f"baseline-{i}", "input": {
            "name": "available", "reason": "received", "referenceDocumentUri": f"gid://bench/Movement/{i}",
            "changes": [{"inventoryItemId": f"gid://shopify/InventoryItem/{100000 + i % len(world.skus)}",
                         "locationId": "gid://shopify/Location/1", "delta": 1, "changeFromQuantity": None}]}}})
        while True:
            request = urllib.request.Request(url, data=body.encode(), headers={
                "Content-Type": "application/json", "X-Shopify-Access-Token": "bench"})
            with urllib.request.urlopen(request, timeout=60) as answer:
                reply = json.load(answer)
            cost = reply.get("extensions", {}).get("cost", {})
            status = cost.get("throttleStatus", {})
            if any(e.get("extensions", {}).get("code") == "THROTTLED" for e in reply.get("errors", [])):
                need = cost.get("requestedQueryCost", 10) - status.get("currentlyAvailable", 0)
                time.sleep(max(0.01, need / max(1, status.get("restoreRate", 100))))
                continue
            costs.append(cost.get("actualQueryCost") or cost.get("requestedQueryCost", 10))
            break
    paced = sample / (time.monotonic() - start)
    return paced, sum(costs) / len(costs)


# MARK: - scenarios

def burst(name, rate, movements, pairs):
    world = World(name, [f"B-{i}" for i in range(pairs)], rate=rate)
    try:
        world.wait_ready()
        # The WMS's side is not what is measured: the files are written first, and the burst is their renames
        # into pending/.
        for i in range(movements):
            with open(f"{world.dir}/spool/tmp/.b{i}.json", "w") as f:
                f.write(movement(f"b-{i}", f"B-{i % pairs}"))
        start = time.monotonic()
        for i in range(movements):
            os.rename(f"{world.dir}/spool/tmp/.b{i}.json", f"{world.dir}/spool/pending/b{i}.json")
        dropped = time.monotonic() - start
        peak = 0
        while world.waiting():
            peak = max(peak, world.peak_rss_kib())
            time.sleep(0.05)
        took = time.monotonic() - start
        calls = world.calls()
        throttled = sum(1 for c in calls if (c.get("detail") or "").find("THROTTLED") >= 0)
        done = sum(1 for e in os.scandir(f"{world.dir}/spool/done") if e.name.endswith(".result"))
        return {"movements": movements, "pairs": pairs, "seconds": took, "dropped_in_s": dropped,
                "movements_per_s": movements / took, "done": done, "calls": len(calls), "throttled": throttled,
                "peak_rss_mib": peak / 1024}, world
    except BaseException:
        world.close()
        raise


def s1():
    movements, pairs = n(20_000), n(2_000)
    loop = loop_rate()
    figures, world = burst("s1", UNLIMITED, movements, pairs)
    world.close()
    rate = figures["movements_per_s"]
    row("S1", f"burst {movements} movements / {pairs} pairs, no limit", f"{rate:,.0f} movements/s",
        f"{loop:,.0f} files/s durable loop", rate / loop, ">= 5x", loop_files_per_s=loop, **figures)


def s2():
    movements, pairs = n(20_000), n(2_000)
    figures, world = burst("s2", STANDARD, movements, pairs)
    world.close()
    base_world = World("s2-baseline", [f"B-{i}" for i in range(pairs)], rate=STANDARD, start=False)
    try:
        paced, cost = one_call_per_movement(base_world, n(60))
    finally:
        base_world.close()
    restore, bucket = STANDARD
    floor = max(0.0, movements * cost - bucket) / restore
    baseline_seconds = max(movements / paced, floor)
    baseline = movements / baseline_seconds
    rate = figures["movements_per_s"]
    row("S2", f"the same burst at restore {restore}/s, bucket {bucket}",
        f"{rate:,.0f} movements/s, {figures['throttled']} THROTTLED",
        f"{baseline:,.1f} movements/s one call each", rate / baseline, ">= 100x; 0 THROTTLED",
        baseline_movements_per_s=baseline, baseline_cost_per_call=cost, **figures)


def latency(world, tag, sku):
    name = f"lat-{tag}.json"
    start = time.monotonic()
    world.drop(name, movement(f"lat-{tag}", sku))
    while not world.finished(name):
        time.sleep(0.001)
    return time.monotonic() - start


def s3(rate=20, seconds=15):
    world = World("s3", [f"S-{i:03d}" for i in range(200)], rate=STANDARD)
    try:
        world.wait_ready()
        idle = sorted(latency(world, f"idle-{i}", world.skus[-1]) for i in range(9))[4]
        dropped, latencies = {}, []

        def collect():
            for name, at in list(dropped.items()):
                if world.finished(name):
                    latencies.append(time.monotonic() - at)
                    del dropped[name]

        start = time.monotonic()
        for i in range(int(rate * seconds * max(SCALE, 0.2))):
            while time.monotonic() < start + i / rate:
                collect()
                time.sleep(0.001)
            name = f"steady-{i}.json"
            world.drop(name, movement(f"steady-{i}", world.skus[i % 199]))
            dropped[name] = time.monotonic()
        deadline = time.monotonic() + 60
        while dropped and time.monotonic() < deadline:
            collect()
            time.sleep(0.001)
        latencies.sort()
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        calls = world.calls()
        points = sum(c.get("points", 0) for c in calls)
    finally:
        world.close()
    row("S3", f"steady {rate}/s at restore 100/s, drop -> .result",
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms", f"idle {idle * 1000:.0f} ms", p99 / idle,
        "p99 <= 50 ms", p50_ms=p50 * 1000, p99_ms=p99 * 1000, max_ms=latencies[-1] * 1000, idle_ms=idle * 1000,
        measured=len(latencies), calls=len(calls), points=points)


def hard_sync_world(name, items, sim_args=()):
    skus = [f"H-{i:06d}" for i in range(items)]
    world = World(name, skus, rate=STANDARD, sim_args=sim_args)
    world.wait_ready()
    return world


def hard_sync_body(world, hid):
    return json.dumps({"kind": "bulk_sync", "id": hid, "store": "main", "scope": "all", "force": False,
                       "items": [{"sku": sku, "on_hand": 7} for sku in world.skus]})


def s4():
    items = n(100_000)
    world = hard_sync_world("s4", items)
    try:
        before = len(world.calls())
        body = hard_sync_body(world, "hard-1")
        start = time.monotonic()
        world.drop("hard-1.json", body)
        # Midway: once the sets are being written, one movement for an item of the snapshot.
        while not any(c.get("rootField") == "inventorySetQuantities" for c in world.calls()[before:]):
            time.sleep(0.2)
        time.sleep(2)
        live_sku = world.skus[items // 2]
        live = latency(world, "midway", live_sku)
        while not world.finished("hard-1.json"):
            time.sleep(0.1)
        wall = time.monotonic() - start
        calls = world.calls()[before:]
        points = sum(c.get("points", 0) for c in calls)
        kinds = {}
        for c in calls:
            kinds[c.get("rootField")] = kinds.get(c.get("rootField"), 0) + 1
        kept = world.on_hand(live_sku) == 8
        result = json.load(open(f"{world.dir}/spool/done/hard-1.json.result"))
    finally:
        world.close()
    restore, bucket = STANDARD
    floor = max(0.0, points - bucket) / restore
    paged_items = n(2_000)
    paged = hard_sync_world("s4-paged", paged_items, sim_args=["--bulk-denied", "main"])
    try:
        before = len(paged.calls())
        paged.drop("hard-2.json", hard_sync_body(paged, "hard-2"))
        while not paged.finished("hard-2.json"):
            time.sleep(0.1)
        paged_points = sum(c.get("points", 0) for c in paged.calls()[before:])
    finally:
        paged.close()
    row("S4", f"hard sync {items} items at restore 100/s",
        f"{points / items:.3f} points/item, wall {wall:.1f} s, movement {live:.2f} s",
        f"floor {floor:.1f} s; paged reads {paged_points / paged_items:.2f} points/item",
        wall / floor if floor else float("nan"), "<= 0.1 points/item; wall <= 1.15x floor; movement <= 3 s, kept",
        items=items, points=points, points_per_item=points / items, wall_s=wall, floor_s=floor,
        movement_latency_s=live, movement_kept=kept, calls=kinds, counts=result.get("counts"),
        paged_items=paged_items, paged_points_per_item=paged_points / paged_items)


def s5():
    files, pairs = n(100_000), n(2_000)
    loop = loop_rate()
    world = World("s5", [f"P-{i}" for i in range(pairs)], start=False)
    try:
        for i in range(files):
            world.drop(f"p{i}.json", movement(f"p-{i}", f"P-{i % pairs}"))
        world.start()
        first = None
        peak = 0
        while True:
            peak = max(peak, world.peak_rss_kib())
            if first is None and os.path.isdir(f"{world.dir}/spool/done") and \
                    any(e.name.endswith(".result") for e in os.scandir(f"{world.dir}/spool/done")):
                first = time.monotonic() - world.started
            if first is not None and world.waiting() == 0:
                break
            time.sleep(0.05 if first is None else 0.25)
        took = time.monotonic() - world.started
        peak = max(peak, world.peak_rss_kib())
    finally:
        world.close()
    rate = files / took
    row("S5", f"{files} files waiting at start",
        f"first {first:.2f} s, {rate:,.0f} files/s, peak RSS {peak / 1024:.1f} MiB",
        f"{loop:,.0f} files/s durable loop", rate / loop, "RSS <= 64 MiB; first <= 2 s; >= 5x",
        files=files, first_finished_s=first, files_per_s=rate, seconds=took, peak_rss_mib=peak / 1024,
        loop_files_per_s=loop)


def s6():
    per_round, pairs = n(50_000), n(1_000)
    world = World("s6", [f"R-{i}" for i in range(pairs)], start=False)
    sizes = []
    try:
        for round_ in range(2):
            for i in range(per_round):
                world.drop(f"r{round_}-{i}.json", movement(f"r{round_}-{i}", f"R-{i % pairs}"))
            if round_ == 1:
                # A year later: every finished request is past ledger_retention_days (default 30), so the
                # retention at start removes them; the file keeps its pages and reuses them.
                db = sqlite3.connect(f"{world.dir}/state/state.sqlite")
                db.execute("UPDATE requests SET finished_at = finished_at - 365 * 86400, "
                           "received_at = received_at - 365 * 86400 WHERE status = 'done'")
                db.commit()
                db.close()
            world.start()
            world.wait_ready()
            while world.waiting():
                time.sleep(0.25)
            time.sleep(1)
            world.stop()
            sizes.append(world.state_bytes())
    finally:
        world.close()
    per_million = sizes[0] / per_round * 1_000_000
    row("S6", f"state file after {per_round} movements, then {per_round} more after retention",
        f"{per_million / 2**20:,.0f} MiB per million; after retention and as many again {sizes[1] / 2**20:.1f} MiB",
        f"{sizes[0] / 2**20:.1f} MiB before retention", sizes[1] / sizes[0], "size per million; flat after retention",
        movements_per_round=per_round, bytes_round_1=sizes[0], bytes_round_2=sizes[1],
        mib_per_million=per_million / 2**20)


def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    fs = ""
    try:
        best = ""
        for line in open("/proc/mounts"):
            parts = line.split()
            if ROOT.startswith(parts[1]) and len(parts[1]) > len(best):
                best, fs = parts[1], parts[2]
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model, "kernel": platform.release(), "filesystem": fs,
            "scale": SCALE, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


if __name__ == "__main__":
    info = machine()
    print(f"machine: {info['cores']} cores, {info['cpu']}, Linux {info['kernel']}, {info['filesystem']} "
          f"(benchmark folder {ROOT}); scale {SCALE}", flush=True)
    try:
        for name, scenario in [("s1", s1), ("s2", s2), ("s3", s3), ("s4", s4), ("s5", s5), ("s6", s6)]:
            if name in ONLY:
                started = time.monotonic()
                scenario()
                print(f"  {name.upper()} measured in {time.monotonic() - started:.0f} s", flush=True)
    finally:
        shutil.rmtree(ROOT, ignore_errors=True)
    widths = [3, 44, 58, 44, 7, 10]
    header = ("", "scenario", "figure", "baseline (same run)", "ratio", "target")
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for scenario, figure, value, baseline, ratio, target in ROWS:
        cells = (scenario, figure, value, baseline, f"{ratio:.2f}x", target)
        print(" | ".join(str(c).ljust(w) for c, w in zip(cells, widths)))
    with open(JSON_PATH, "w") as f:
        json.dump({"machine": info, "scenarios": FIGURES}, f, indent=2, sort_keys=True)
    print(f"\nfigures written to {JSON_PATH}")
