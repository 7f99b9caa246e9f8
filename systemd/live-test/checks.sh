# The live checks, sourced by run.sh (which defines ns, as_wms, drop, level, journal, unit_prop, wait_for,
# fail). Each check is a function that returns 0, or calls `fail "why"` and returns 1. They run in the order
# of `checks` below and build on each other (the unit is started by the first).

# contains GREP-ARGS...: whether stdin matches. Reads all of it: `grep -q` stops at the first match, and under
# pipefail the writer's SIGPIPE would turn a match into a failure.
contains() { grep "$@" >/dev/null; }

# systemctl start returns only after READY=1 (Type=notify), and the daemon's STATUS= line shows. The daemon
# sends READY=1 after its first scan, so a file waiting in pending/ before the start has been claimed by the
# time `systemctl start` returns; with READY=1 sent too early (or Type=simple) it would still be there.
check_start_ready() {
    drop live-early.json "$(movement live-early TEE-RED-L WH1 2)" ||
        fail "the WMS user could not drop a file before the start" || return 1
    ns systemctl start shopify-sync ||
        fail "systemctl start shopify-sync failed: $(ns systemctl status --no-pager shopify-sync | tail -5)" || return 1
    if in_folder pending live-early.json; then
        fail "systemctl start returned while live-early.json was still in pending/ (READY=1 before the first scan?)"
        return 1
    fi
    local active sub text
    active=$(unit_prop ActiveState) sub=$(unit_prop SubState) text=$(unit_prop StatusText)
    [ "$active/$sub" = active/running ] || fail "after start the unit is $active/$sub, not active/running" || return 1
    [ -n "$text" ] || fail "the unit has no status text (STATUS= was not sent or not accepted)" || return 1
    ns systemctl status --no-pager shopify-sync | contains -F "Status: \"$text\"" ||
        fail "systemctl status does not show the STATUS= line \"$text\"" || return 1
    wait_for 20 in_folder done live-early.json.result || fail "live-early.json did not reach done/" || return 1
}

# A WMS account, added to the shopify-sync group as the README says, drops a movement through tmp/; it ends
# in done/ and Shopify's level moves by its delta.
check_wms_movement() {
    local before after
    before=$(level main TEE-RED-S gid://shopify/Location/1) || fail "the simulator has no TEE-RED-S level" || return 1
    drop live-mv-1.json "$(movement live-mv-1 TEE-RED-S WH1 7)" ||
        fail "the WMS user could not write tmp/ and rename into pending/" || return 1
    wait_for 20 in_folder done live-mv-1.json.result ||
        fail "live-mv-1.json is not in done/ after 20 s ($(ns ls $spool/pending $spool/processing $spool/failed | tr '\n' ' '))" || return 1
    after=$(level main TEE-RED-S gid://shopify/Location/1)
    [ "$after" -eq $((before + 7)) ] || fail "TEE-RED-S went from $before to $after, expected $((before + 7))" || return 1
    as_wms "cat $spool/done/live-mv-1.json.result" >/dev/null ||
        fail "the WMS user cannot read done/live-mv-1.json.result" || return 1
    # A line for a SKU the catalog does not know is skipped (logged per SKU); the file still ends in done/.
    drop live-mv-skip.json "$(movement live-mv-skip NOT-IN-CATALOG WH1 1)"
    wait_for 20 in_folder done live-mv-skip.json.result ||
        fail "live-mv-skip.json (an unknown SKU) is not in done/ after 20 s" || return 1
}

# A file that is not a valid request ends in failed/, and its producer can read why.
check_bad_file_failed() {
    drop live-bad-1.json '{"kind": "movement", "id": "live-bad-1", "lines": [' ||
        fail "the WMS user could not drop the bad file" || return 1
    wait_for 20 in_folder failed live-bad-1.json.error ||
        fail "live-bad-1.json has no .error report in failed/ after 20 s" || return 1
    as_wms "cat $spool/failed/live-bad-1.json.error" | contains . ||
        fail "the WMS user cannot read failed/live-bad-1.json.error" || return 1
}

# journalctl SHOPIFY_SKU=X shows when X was applied (the per-call entry carries one SHOPIFY_SKU per line).
check_journal_sku() {
    local outcomes
    outcomes=$(journal -o json SHOPIFY_SKU=TEE-RED-S | python3 -c '
import json, sys
print(" ".join(sorted({str(json.loads(l).get("SYNC_OUTCOME", "-")) for l in sys.stdin})))')
    case " $outcomes " in
    *" applied "*) ;;
    *) fail "journalctl -u shopify-sync SHOPIFY_SKU=TEE-RED-S has no applied entry (outcomes: ${outcomes:-none})" || return 1 ;;
    esac
    journal -o json WMS_MOVEMENT_ID=live-mv-1 SYNC_OUTCOME=applied | contains . ||
        fail "no applied entry matches WMS_MOVEMENT_ID=live-mv-1" || return 1
}

# journalctl -x adds the catalog's text (installed and indexed by journalctl --update-catalog).
check_journal_catalog() {
    journal -x MESSAGE_ID=148164b5098c4591a8ddd8fb1690da29 | contains "shopify-sync started and is ready" ||
        fail "journalctl -x does not show the catalog text for the ready entry" || return 1
    ns journalctl --list-catalog | grep "shopify-sync" >/dev/null ||
        fail "journalctl --list-catalog has no shopify-sync entries" || return 1
}

# Every field a catalog text names (@FIELD@) is filled by the entries with that MESSAGE_ID, so journalctl -x
# never shows an empty hole.
check_catalog_fields() {
    local missing
    missing=$(journal -o json | python3 -c '
import json, re, sys
texts, current = {}, None
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^-- ([0-9a-f]{32})$", line.strip())
    if m:
        current = m.group(1)
        texts[current] = set()
    elif current:
        texts[current].update(re.findall(r"@([A-Z0-9_]+)@", line))
missing = set()
for line in sys.stdin:
    entry = json.loads(line)
    wanted = texts.get(entry.get("MESSAGE_ID", ""))
    for field in sorted(wanted or ()):
        if field not in entry:
            missing.add(entry["MESSAGE_ID"][:8] + " lacks " + field)
print("; ".join(sorted(missing)))' "/proc/$pid1/root/usr/local/lib/systemd/catalog/shopify-sync.catalog")
    [ -z "$missing" ] || fail "catalog texts name fields their entries do not fill: $missing" || return 1
}

# systemctl reload goes through RELOADING=1 / READY=1 and takes a changed catalog: MUG-01 is sync=false in
# the example; after the change and a reload, its movement is applied.
check_reload_catalog() {
    ns sed -i 's|^MUG-01,main,gid://shopify/InventoryItem/1012,false$|MUG-01,main,gid://shopify/InventoryItem/1012,true|' \
        /etc/shopify-sync/catalog.csv
    ns grep -q '^MUG-01,main,.*,true$' /etc/shopify-sync/catalog.csv || fail "could not edit the catalog" || return 1
    local since before after notes
    since=$(ns date '+%Y-%m-%d %H:%M:%S')
    # systemd logs each notification it gets at debug level: RELOADING=1, then READY=1, must be among them.
    ns systemd-analyze log-level debug
    ns systemctl reload shopify-sync || fail "systemctl reload failed" || true
    if [ -z "$why" ]; then
        wait_for 10 journal_has --since "$since" MESSAGE_ID=f14aa15d5f44421e95d9199a2f953edc ||
            fail "no 'reloaded' entry (MESSAGE_ID=f14aa15d...) after systemctl reload" || true
    fi
    ns systemd-analyze log-level info
    [ -z "$why" ] || return 1
    notes=$(ns journalctl -q --no-pager -o cat _PID=1 --since "$since" |
        sed -n 's/^shopify-sync.service: Got notification message from PID [0-9]* (\(.*\))$/\1/p' |
        grep -E 'RELOADING=1|READY=1' | tr '\n' ' ')
    case "$notes" in
    *RELOADING=1*READY=1*) ;;
    *) fail "systemd did not get RELOADING=1 then READY=1 around the reload (it got: ${notes:-nothing})" || return 1 ;;
    esac
    journal --since "$since" -o cat UNIT=shopify-sync.service | contains "Reloaded" ||
        fail "systemd did not log Reloaded shopify-sync.service" || return 1
    [ "$(unit_prop ActiveState)" = active ] || fail "the unit is $(unit_prop ActiveState) after reload" || return 1
    before=$(level main MUG-01 gid://shopify/Location/1)
    drop live-mv-mug.json "$(movement live-mv-mug MUG-01 WH1 3)"
    wait_for 20 in_folder done live-mv-mug.json.result || fail "live-mv-mug.json did not reach done/" || return 1
    after=$(level main MUG-01 gid://shopify/Location/1)
    [ "$after" -eq $((before + 3)) ] ||
        fail "after the reload MUG-01 went from $before to $after, expected $((before + 3)) (the new catalog was not used)" || return 1
}

# The token reaches the daemon only as a credential, and appears nowhere in the journal.
check_token_credential() {
    ns test -s /run/credentials/shopify-sync.service/main.token ||
        fail "/run/credentials/shopify-sync.service/main.token is missing or empty" || return 1
    local env
    env=$(ns cat "/proc/$(unit_prop MainPID)/environ" | tr '\0' '\n' | sed -n 's/^CREDENTIALS_DIRECTORY=//p')
    [ "$env" = /run/credentials/shopify-sync.service ] ||
        fail "the daemon's CREDENTIALS_DIRECTORY is '${env}'" || return 1
    if ns journalctl --no-pager -o verbose | contains -F "$token_main"; then
        fail "the token appears in journalctl -o verbose"
        return 1
    fi
}

# systemd-analyze security against the live manager.
check_security_score() {
    local out score
    out=$(ns systemd-analyze security --no-pager shopify-sync 2>&1)
    score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for shopify-sync.service: \([0-9.]*\).*/\1/p')
    [ -n "$score" ] || fail "systemd-analyze security gave no score: $(printf '%s' "$out" | tail -3)" || return 1
    python3 -c "import sys; sys.exit(0 if float('$score') <= 1.5 else 1)" ||
        fail "exposure $score is above 1.5" || return 1
}

# No "Failed to set thread priority ... errno=1": setpriority denied by the system-call filter (EPERM; it
# was 154 lines a run). Dispatch's one request per start for nice -4 fails with errno=13 (EACCES: raising
# priority needs CAP_SYS_NICE), which is the kernel's answer, not the filter's.
check_no_denied_syscalls() {
    local n
    n=$(journal -o cat | grep -c "thread priority.*errno=1$")
    [ "$n" -eq 0 ] || fail "$n 'Failed to set thread priority ... errno=1' lines (denied by SystemCallFilter=)" || return 1
}

# The operator commands inside, with the installed config: as root they work; the WMS account is told it
# cannot read the state (exit 74), never a false "ok".
check_operator_commands() {
    ns shopify-sync check >/dev/null || fail "shopify-sync check (as root) failed" || return 1
    ns shopify-sync status | contains "main" || fail "shopify-sync status (as root) does not list store main" || return 1
    ns shopify-sync status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["stores"]["main"]["state"]' ||
        fail "shopify-sync status --json (as root) is not the contract's JSON" || return 1
    local out code
    out=$(as_wms "shopify-sync status 2>&1")
    code=$?
    [ "$code" -eq 74 ] || fail "shopify-sync status as the WMS user exits $code, expected 74; said: $out" || return 1
    printf '%s' "$out" | contains -i "state" || fail "status as the WMS user does not say it cannot read the state: $out" || return 1
}

# systemctl stop while a Shopify call is in flight: the call finishes (applied), the unit stops cleanly
# within TimeoutStopSec, and the next start applies nothing twice.
check_stop_in_flight() {
    local before after t0 took result
    before=$(level main TEE-BLU-S gid://shopify/Location/1)
    curl -fsS -X POST -d '{"latencyMs": 3000}' "$sim/__sim/faults" >/dev/null || fail "could not set the simulator's latency" || return 1
    drop live-mv-stop.json "$(movement live-mv-stop TEE-BLU-S WH1 5)"
    wait_for 10 in_folder processing live-mv-stop.json || fail "live-mv-stop.json was not claimed" || return 1
    sleep 1
    t0=$(date +%s.%N)
    ns systemctl stop shopify-sync
    took=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")
    curl -fsS -X POST -d '{"latencyMs": 0}' "$sim/__sim/faults" >/dev/null
    result=$(unit_prop Result)
    [ "$result" = success ] || fail "the unit stopped with Result=$result (exit status $(unit_prop ExecMainStatus))" || return 1
    python3 -c "import sys; sys.exit(0 if $took < 45 else 1)" || fail "stop took $took s (TimeoutStopSec=45)" || return 1
    after=$(level main TEE-BLU-S gid://shopify/Location/1)
    [ "$after" -eq $((before + 5)) ] || fail "the call in flight was not finished: TEE-BLU-S $before -> $after" || return 1
    ns systemctl start shopify-sync || fail "the unit did not start again" || return 1
    wait_for 20 in_folder done live-mv-stop.json.result || fail "live-mv-stop.json did not reach done/ after the restart" || return 1
    after=$(level main TEE-BLU-S gid://shopify/Location/1)
    [ "$after" -eq $((before + 5)) ] || fail "after the restart TEE-BLU-S is $after, expected $((before + 5)) (applied twice?)" || return 1
    say "     (stop took $took s with a call in flight)"
}

# The watchdog: a daemon stopped with SIGSTOP (a call in flight) is killed by systemd after WatchdogSec and
# restarted by Restart=on-failure; the movement is applied exactly once.
check_watchdog_restart() {
    local before after pid newpid t0 took watchdog
    ns systemctl start shopify-sync || fail "the unit is not running and does not start" || return 1
    watchdog=$(unit_prop WatchdogUSec)
    before=$(level main TEE-BLU-M gid://shopify/Location/1)
    pid=$(unit_prop MainPID)
    curl -fsS -X POST -d '{"latencyMs": 3000}' "$sim/__sim/faults" >/dev/null
    drop live-mv-wd.json "$(movement live-mv-wd TEE-BLU-M WH1 4)"
    wait_for 10 in_folder processing live-mv-wd.json || fail "live-mv-wd.json was not claimed" || return 1
    sleep 1 # its call is on the wire: the simulator applies it while the daemon is stopped
    t0=$(date +%s)
    ns kill -STOP "$pid"
    curl -fsS -X POST -d '{"latencyMs": 0}' "$sim/__sim/faults" >/dev/null
    # Killed (SIGABRT, then SIGKILL after TimeoutAbortSec) and started again, with a new PID.
    wait_for 120 sh -c "p=\$(nsenter -t $pid1 -a systemctl show -p MainPID --value shopify-sync); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid ] && [ \"\$(nsenter -t $pid1 -a systemctl show -p ActiveState --value shopify-sync)\" = active ]" ||
        fail "the stopped daemon was not restarted within 120 s (ActiveState $(unit_prop ActiveState), MainPID $(unit_prop MainPID))" || return 1
    took=$(($(date +%s) - t0))
    newpid=$(unit_prop MainPID)
    journal -o cat UNIT=shopify-sync.service | contains "Watchdog timeout" ||
        fail "systemd did not log a watchdog timeout" || return 1
    wait_for 30 in_folder done live-mv-wd.json.result || fail "live-mv-wd.json did not reach done/ after the restart" || return 1
    after=$(level main TEE-BLU-M gid://shopify/Location/1)
    [ "$after" -eq $((before + 4)) ] || fail "TEE-BLU-M went from $before to $after, expected $((before + 4)) exactly once" || return 1
    # The call's idempotency key: applied once (while the daemon was stopped), then replayed after the restart.
    local outcomes
    outcomes=$(curl -fsS "$sim/__sim/calls" | python3 -c '
import json, sys
calls = [c for c in json.load(sys.stdin) if c.get("shop") == "main" and "1005" in json.dumps(c.get("variables"))
         and c.get("idempotencyKey")]
key = calls[-1]["idempotencyKey"] if calls else None
print(" ".join(c["outcome"] for c in calls if c["idempotencyKey"] == key))')
    case "$outcomes" in
    applied) say "     (its call had not reached Shopify before SIGSTOP: applied once after the restart)" ;;
    "applied replayed" | "applied replayed replayed") say "     (its call was applied while stopped, replayed after the restart: $outcomes)" ;;
    *) fail "the calls for TEE-BLU-M's key were: ${outcomes:-none}, expected one applied (and replays)" || return 1 ;;
    esac
    say "     (WatchdogUSec=$watchdog: killed and running again as PID $newpid $took s after SIGSTOP)"
    # systemd aborts after WatchdogSec and kills after TimeoutAbortSec: it must not wait for TimeoutStopSec.
    [ "$took" -le 50 ] || fail "restarted only $took s after SIGSTOP (the abort was not prompt)" || return 1
}

# on_hand SHOP SKU LOCATION: the simulator's on_hand; on_hand_is N SHOP SKU LOCATION: whether it is N.
on_hand() {
    curl -fsS "$sim/__sim/levels" | python3 -c '
import json, sys
shop, sku, location = sys.argv[1:]
print(next(i for i in json.load(sys.stdin)[shop].values() if i.get("sku") == sku)["locations"][location]["on_hand"])' "$@"
}
on_hand_is() { [ "$(on_hand "${@:2}")" = "$1" ]; }
# journal_has MATCH...: whether the unit's journal has an entry matching all of them.
journal_has() { [ -n "$(journal -q -o cat "$@")" ]; }

# The rarer events, so the catalog check below sees their entries too: a bulk sync (per-item entries and a
# summary), a call Shopify refuses with a userError (failed lines, the file in failed/), and a store Shopify
# answers 401 (paused) until it works again (resumed), while the other store goes on.
check_more_events() {
    ns systemctl start shopify-sync || fail "the unit is not running and does not start" || return 1
    ns sh -c 'printf "sku,location,on_hand\nTEE-RED-L,WH1,17\n" >/tmp/live-snapshot.csv &&
        shopify-sync bulk-sync --csv /tmp/live-snapshot.csv --store main' >/dev/null ||
        fail "shopify-sync bulk-sync (as root) failed" || return 1
    wait_for 20 on_hand_is 17 main TEE-RED-L gid://shopify/Location/1 ||
        fail "the bulk sync did not set TEE-RED-L's on_hand to 17 (it is $(on_hand main TEE-RED-L gid://shopify/Location/1))" ||
        return 1
    curl -fsS -X POST -d '{"userErrorNext": ["INVALID_INVENTORY_ITEM"]}' "$sim/__sim/faults" >/dev/null
    drop live-mv-refused.json "$(movement live-mv-refused CAP-WHT WH1 1)"
    wait_for 20 in_folder failed live-mv-refused.json.error ||
        fail "a movement Shopify refused did not end in failed/" || return 1
    curl -fsS -X POST -d '{"unauthorized": ["au"]}' "$sim/__sim/faults" >/dev/null
    drop live-mv-paused.json "$(movement live-mv-paused BOTTLE-750 WH1 1)"
    wait_for 20 journal_has MESSAGE_ID=6427cb6eba904b3b9a739d6b37c7a31c SHOPIFY_STORE=au ||
        fail "store au was not logged as paused after a 401" || return 1
    curl -fsS -X POST -d '{"unauthorized": []}' "$sim/__sim/faults" >/dev/null
    wait_for 60 in_folder done live-mv-paused.json.result ||
        fail "store au's movement did not reach done/ within 60 s of its token working again" || return 1
    journal_has MESSAGE_ID=0dab44cf13c243ccbf92cd875717b2de SHOPIFY_STORE=au ||
        fail "store au was not logged as resumed" || return 1
}

# make install's unit: settings substituted, comments untouched, Documentation= names installed files.
check_installed_unit() {
    local unit=/usr/local/lib/systemd/system/shopify-sync.service doc
    ns grep -q '^ExecStart=/usr/local/bin/shopify-sync daemon$' "$unit" ||
        fail "the installed unit's ExecStart= is not /usr/local/bin/shopify-sync daemon" || return 1
    [ "$(grep '^#' "$top/systemd/shopify-sync.service")" = "$(ns grep '^#' "$unit")" ] ||
        fail "make install changed the unit's comments" || return 1
    if ns grep -n '@[A-Z]*@' "$unit"; then
        fail "the installed unit still holds a placeholder"
        return 1
    fi
    for doc in $(unit_prop Documentation); do
        case "$doc" in
        file://*) ns test -f "${doc#file://}" || fail "Documentation= names $doc, which is not installed" || return 1 ;;
        man:*) # man:NAME(S) -> /usr/local/share/man/manS/NAME.S
            local page=${doc#man:} section
            section=${page##*(} section=${section%)} page=${page%(*}
            ns test -f "/usr/local/share/man/man$section/$page.$section" ||
                fail "Documentation= names $doc, which is not installed" || return 1 ;;
        esac
    done
}

# Without the LoadCredential= line for an enabled store (au), the daemon refuses to start with exit 78
# naming the store and the line, and systemd does not restart it (RestartPreventExitStatus=78).
check_missing_credential() {
    local dropin=/etc/systemd/system/shopify-sync.service.d/au-token.conf result
    ns systemctl stop shopify-sync
    ns mv "$dropin" "$dropin.off" && ns systemctl daemon-reload
    ns systemctl start shopify-sync 2>/dev/null && fail "the unit started without au's credential" || true
    if [ -z "$why" ]; then
        sleep 7 # longer than RestartSec=5
        result="$(unit_prop ExecMainStatus)/$(unit_prop NRestarts)/$(unit_prop ActiveState)"
        [ "$result" = 78/0/failed ] ||
            fail "expected exit 78, no restart, failed; got status/restarts/state $result" ||
            true
    fi
    if [ -z "$why" ]; then
        journal -o cat -n 20 | contains "store au is enabled but its token credential au.token.*LoadCredential=au.token:" ||
            fail "the journal does not name store au and the LoadCredential= line" || true
    fi
    ns mv "$dropin.off" "$dropin"
    ns systemctl daemon-reload
    ns systemctl reset-failed shopify-sync
    ns systemctl start shopify-sync || fail "${why:+$why; }the unit did not start again with the credential back"
    [ -z "$why" ]
}

# At the end, after the 401s, refusals, aborts and restarts: the token is still nowhere in the journal.
check_token_never_logged() {
    if ns journalctl --no-pager -o verbose | contains -F "$token_main"; then
        fail "the token appears in journalctl -o verbose"
        return 1
    fi
}

checks=(
    "install: the unit as make install wrote it:check_installed_unit"
    "start: active only after READY=1, STATUS= shown:check_start_ready"
    "wms: a movement from the WMS group reaches done/ and Shopify:check_wms_movement"
    "wms: a bad file lands in failed/ with a readable report:check_bad_file_failed"
    "journal: SHOPIFY_SKU= shows the applied call:check_journal_sku"
    "journal: -x shows the catalog text:check_journal_catalog"
    "reload: RELOADING/READY, the changed catalog is used:check_reload_catalog"
    "credentials: the token arrives and is never logged:check_token_credential"
    "security: systemd-analyze security <= 1.5 live:check_security_score"
    "syscalls: no denied setpriority:check_no_denied_syscalls"
    "operator: status and check inside; the WMS user is told:check_operator_commands"
    "stop: a call in flight finishes, clean stop:check_stop_in_flight"
    "watchdog: SIGSTOP -> killed, restarted, applied once:check_watchdog_restart"
    "credentials: a missing one refuses the start (78), no restart loop:check_missing_credential"
    "events: bulk sync, a refused line, a paused and resumed store:check_more_events"
    "journal: entries fill the fields their catalog text names:check_catalog_fields"
    "credentials: after everything, the token is still not in the journal:check_token_never_logged"
)
