#!/bin/bash
# vmconsole-admin over hand-made and gateway-written logs, no VM needed:
#
#   a. one mean rate: report and show give the same mean for one session
#      (bytes over the exact length, not whole seconds, not the gateway's
#      own "rate_mean")
#
# Usage: test-admin-logs.sh ADMIN GATEWAY   (TAP; no root needed)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ADMIN=$(realpath "$1") GW=$(realpath "$2")
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 is not installed"; exit 77; }
VMC_T_DIR=$(mktemp -d /tmp/vmc-logs-XXXXXX)
trap cleanup_common EXIT
D=$VMC_T_DIR
mkdir -p "$D/run" && chmod 0700 "$D/run"

conf() { # conf LOG: a config naming LOG, printed path
    printf '[gateway]\nlog = %s\nrun-dir = %s/run\n' "$1" "$D" > "$D/gateway.conf"
    echo "$D/gateway.conf"
}
# jget FILE EXPR: EXPR of the JSON in FILE as d
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# ---- a. one mean rate ----
cat > "$D/rate.jsonl" <<'LOG'
{"v":1,"event":"start","time":"2026-11-29T10:00:00.000Z","session":"aaaa1111","identity":"alice","vm":"debianx"}
{"v":1,"event":"end","time":"2026-11-29T10:00:02.500Z","session":"aaaa1111","identity":"alice","vm":"debianx","start":"2026-11-29T10:00:00.000Z","duration_s":2,"reason":"viewer-exit","bytes_total":25000,"rate_mean":9999,"rate_peak":20000,"rate_peak_time":"2026-11-29T10:00:01.000Z"}
LOG
C=$(conf "$D/rate.jsonl")
"$ADMIN" --config "$C" report --json > "$D/rate-report.json" &&
    "$ADMIN" --config "$C" show aaaa1111 --json > "$D/rate-show.json"
ok $? "report --json and show --json read one session"
check "report's mean is bytes over the exact length: 25000 B / 2.5 s" \
    test "$(jget "$D/rate-report.json" 'd["total"]["rate_mean"]')" = 10000.0
check "show's is the same (not 12500 from whole seconds, not the record's 9999)" \
    test "$(jget "$D/rate-show.json" 'd["rate_mean"]')" = 10000.0
"$ADMIN" --config "$C" report > "$D/rate-report.txt" && "$ADMIN" --config "$C" show aaaa1111 > "$D/rate-show.txt"
check "the tables agree too (9.8 KiB/s in both)" \
    eval 'grep -q "^(total) .* 9.8 KiB/s " "$D/rate-report.txt" && grep -q "^rate *mean 9.8 KiB/s," "$D/rate-show.txt"'

finish
