#!/usr/bin/env bash
# make demo: runs the daemon on a copy of spool-example/ against the simulator, waits until the spool is
# drained, prints each file's outcome and the simulator's levels before and after, then a drift report, a
# bulk sync from spool-example/snapshot.csv and the drift report again; stops both at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -Xswiftc -warnings-as-errors >/dev/null
bin=$(swift build --show-bin-path)
run=demo-run
rm -rf "$run" && mkdir -p "$run"
cp spool-example/config.toml spool-example/catalog.csv spool-example/snapshot.csv spool-example/*.token "$run"/
chmod 600 "$run"/*.token  # git keeps no modes; the daemon refuses a token others may read
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s|127.0.0.1:8787|127.0.0.1:$port|" "$run/config.toml"
config="$run/config.toml"
# The daemon refuses root unless told: a demo run as root (a container) says so.
allow_root=$([ "$(id -u)" = 0 ] && echo --allow-root || true)

cleanup() {
  [ -n "${daemon:-}" ] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  [ -n "${simulator:-}" ] && kill -TERM "$simulator" 2>/dev/null && wait "$simulator" 2>/dev/null || true
}
trap cleanup EXIT

"$bin/shopify-simulator" --port "$port" --config "$config" --catalog "$run/catalog.csv" --initial-on-hand 10 \
  >"$run/simulator.log" 2>&1 &
simulator=$!
for _ in $(seq 100); do grep -q "listening on" "$run/simulator.log" && break; sleep 0.1; done
grep -q "listening on" "$run/simulator.log" || { cat "$run/simulator.log"; exit 1; }
curl -fsS "http://127.0.0.1:$port/__sim/levels" >"$run/levels-before.json"

"$bin/shopify-sync" daemon $allow_root --config "$config" 2>"$run/daemon.log" &
daemon=$!

wait_drained() {
  for _ in $(seq 600); do
    if "$bin/shopify-sync" status --json --config "$config" 2>/dev/null |
      python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s["pending"]==0 and s["processing"]==0 else 1)'; then
      return 0
    fi
    sleep 0.1
  done
  echo "the spool did not drain within 60 s"; return 1
}

# The WMS drops its files: written in tmp/, then renamed into pending/.
sleep 0.5
for f in spool-example/requests/*.json; do
  cp "$f" "$run/spool/tmp/.$(basename "$f")" && mv "$run/spool/tmp/.$(basename "$f")" "$run/spool/pending/$(basename "$f")"
done
wait_drained

echo "== outcome of each request file"
python3 - "$run/spool" <<'PY'
import json, os, sys
root = sys.argv[1]
for folder, suffix in (("done", ".result"), ("failed", ".error")):
    for name in sorted(os.listdir(os.path.join(root, folder))):
        if not name.endswith(suffix):
            continue
        report = json.load(open(os.path.join(root, folder, name)))
        counts = report.get("counts") or {}
        detail = report.get("message") or ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(f"{folder:6} {name[:-len(suffix)]:34} {report['outcome']:9} {report.get('reason') or '':16} {detail}")
        for line in report.get("lines") or []:
            if line["outcome"] != "applied":
                why = line.get("reason") or line.get("error_code") or ""
                print(f"         line {line['line']} {line['sku']:14} {line.get('store') or '-':5} {line['outcome']} {why}")
PY
curl -fsS "http://127.0.0.1:$port/__sim/levels" >"$run/levels-after.json"

echo
echo "== simulator levels (on_hand) before -> after"
python3 - "$run/levels-before.json" "$run/levels-after.json" <<'PY'
import json, sys
def flat(path):
    data = json.load(open(path))
    out = {}
    for shop, items in data.items():
        for item, entry in items.items():
            for loc, q in (entry.get("locations") or {}).items():
                out[(shop, entry.get("sku") or item, loc.rsplit("/", 1)[-1])] = q.get("on_hand")
    return out
before, after = flat(sys.argv[1]), flat(sys.argv[2])
for key in sorted(set(before) | set(after)):
    if before.get(key) != after.get(key):
        shop, sku, loc = key
        print(f"  {shop:5} {sku:14} location {loc:3} {before.get(key)} -> {after.get(key)}")
PY

echo
echo "== drift report before the bulk sync (exit 1 means drift)"
"$bin/shopify-sync" drift --config "$config" --csv "$run/snapshot.csv" --store main || echo "(exit $?)"
echo
echo "== bulk sync from the snapshot"
# The snapshot describes the stock after every movement above (its figures include them), so it is taken now:
# bulk-sync reads its as_of from the file's time, and a copy made at the start would date it before those
# movements, which the snapshot rule would then add on top.
touch "$run/snapshot.csv"
"$bin/shopify-sync" bulk-sync --config "$config" --csv "$run/snapshot.csv" --store main
wait_drained
for f in "$run"/spool/done/bulk-*.result; do
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["file"], r["outcome"], r.get("counts"))' "$f"
done
echo
echo "== drift report after the bulk sync"
"$bin/shopify-sync" drift --config "$config" --csv "$run/snapshot.csv" --store main && echo "no drift"
echo
"$bin/shopify-sync" status --config "$config"
echo
echo "daemon log: $run/daemon.log; spool: $run/spool"
