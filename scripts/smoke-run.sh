#!/usr/bin/env bash
# Starts `make run` as a new user would, checks that the portal answers and that the demo owner
# can log in, then stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."

address=127.0.0.1:${SMOKE_PORT:-8000}
base=http://$address
log=$(mktemp)
jar=$(mktemp)
trap 'status=$?; stop; rm -f "$jar"; exit $status' EXIT

stop() {
  if [ -n "${group:-}" ] && kill -0 "-$group" 2>/dev/null; then
    kill -TERM "-$group" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "-$group" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "-$group" 2>/dev/null || true
  fi
}

fail() {
  echo "smoke test: $*" >&2
  echo "--- make run output ---" >&2
  tail -n 60 "$log" >&2
  exit 1
}

echo "smoke test: starting make run at $base"
WEB_ADDRESS=$address setsid make run >"$log" 2>&1 &
group=$!

for _ in $(seq 1 300); do
  if health=$(curl -fsS "$base/healthz" 2>/dev/null); then break; fi
  kill -0 "$group" 2>/dev/null || fail "make run exited early"
  sleep 1
done
[ -n "${health:-}" ] || fail "/healthz did not answer within 300 s"
echo "smoke test: /healthz says $health"
grep -q '"database": "ok"' <<<"$health" || fail "the database is not reachable"
grep -q '"broker": "ok"' <<<"$health" || fail "the broker is not reachable"

curl -fsS -c "$jar" -b "$jar" "$base/accounts/login/" -o /dev/null
token=$(awk '$6 == "csrftoken" {print $7}' "$jar")
[ -n "$token" ] || fail "the login page set no CSRF cookie"
dashboard=$(curl -fsS -L -c "$jar" -b "$jar" -H "Referer: $base/accounts/login/" \
  --data-urlencode "csrfmiddlewaretoken=$token" \
  --data-urlencode "username=renard@bergstromcars.example" \
  --data-urlencode "password=portal-demo-2026" \
  "$base/accounts/login/")
grep -q "Good to see you, Renard" <<<"$dashboard" || fail "the demo owner did not reach the dashboard"
grep -q "Bergstrom Cars" <<<"$dashboard" || fail "the dashboard does not show Bergstrom Cars"
grep -q "Rhonda Hayes" <<<"$dashboard" || fail "the dashboard does not show the assistant"
echo "smoke test: the demo owner logged in and saw the dashboard"

page() { curl -fsS -c "$jar" -b "$jar" "$base$1"; }
travel=$(page /travel/)
for trip in "Chicago Auto Show" "NADA Show" "Regional dealer council"; do
  grep -q "$trip" <<<"$travel" || fail "the travel page does not show the trip \"$trip\""
done
grep -q "Awaiting approval" <<<"$travel" || fail "no trip awaits the owner's approval"
checkins=$(page /checkins/)
grep -q "New process: evaluations" <<<"$checkins" || fail "the check-ins page shows no draft"
grep -q "Sent" <<<"$checkins" || fail "the check-ins page shows no check-in sent"
tasks=$(page /tasks/)
grep -q "test drives with the Neenah sales team" <<<"$tasks" || fail "no task is due today"
grep -q "Overdue" <<<"$tasks" || fail "no task is overdue"
echo "smoke test: the demo owner sees trips, check-ins and tasks due today and overdue"

stop
sleep 1
if pgrep -g "$group" >/dev/null 2>&1; then fail "processes of make run are still running"; fi
echo "smoke test: passed; every process it started has stopped"
