#!/usr/bin/env bash
# Runs every program in bench/ one after the other, on SQLite and on a
# throw-away PostgreSQL 15 cluster (.ci/pg-start: fsync off, as in CI), and
# ends with every AIM line in the order of docs/PERFORMANCE.md's table.
# The machine should be otherwise idle: the programs measure speed.
#
#   bash bench/all.sh                       # about 10 minutes on 2 idle cores; logs in bench-out/
#   SCALE_SIZES=1000,100000 bash bench/all.sh  # a shorter scale step (the aim is 1,000,000)
#   SCALE_PG_SIZES=1000,100000 bash bench/all.sh  # shorter on PostgreSQL only
#   OUT=/tmp/b bash bench/all.sh
#
# Each step's full output is kept in $OUT/<step>.log; a failing step is
# reported and the rest still run.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench-out}
mkdir -p "$OUT"
pg=$(bash .ci/pg-start) || { echo "all.sh: PostgreSQL did not start" >&2; exit 1; }
PGDIR=$(sed -n 's/^PGDIR=//p' <<<"$pg")
PG=$(sed -n 's/^URL=//p' <<<"$pg")
trap 'bash .ci/pg-stop "$PGDIR"' EXIT

step() { # name, command...
	local name=$1; shift
	echo "== $name: $*" | tee -a "$OUT/commands.txt"
	local t0=$SECONDS
	"$@" >"$OUT/$name.log" 2>&1
	local rc=$?
	echo "   rc=$rc, $((SECONDS - t0)) s"
	grep '^AIM' "$OUT/$name.log" | sed "s/^/   /"
}

echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (dirty)'), $(date -u '+%F %T') UTC, load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs, $(go version | cut -d' ' -f3)" | tee "$OUT/commands.txt"
go build -o /dev/null ./bench/... ./cmd/plenary || exit 1

step booking-sqlite    go run ./bench/booking -db sqlite -reps 3
step booking-pg        go run ./bench/booking -db "$PG" -reps 3
step booking-pg-two    go run ./bench/booking -db "$PG" -reps 1 -instances 2
step coursepage-sqlite go run ./bench/coursepage -rounds 3 -duration 5s -page-cache 0
step coursepage-pg     go run ./bench/coursepage -rounds 3 -duration 5s -page-cache 0 -db "$PG"
step coursepage-cached go run ./bench/coursepage -rounds 3 -duration 5s
step desk-sqlite       go run ./bench/desk
step desk-pg           go run ./bench/desk -db "$PG"
step mail              go run ./bench/mail -db "sqlite,$PG"
step announce          go run ./bench/announce -pg "$PG"
step scale-sqlite      go run ./bench/scale -db sqlite -sizes "${SCALE_SIZES:-1000,100000,1000000}" -reps 20 -plot docs/images
step scale-pg          go run ./bench/scale -db "$PG" -sizes "${SCALE_PG_SIZES:-${SCALE_SIZES:-1000,100000,1000000}}" -reps 20 -plot docs/images
step idle              go run ./bench/idle

echo "== AIM lines"
for f in booking-sqlite booking-pg booking-pg-two coursepage-sqlite coursepage-pg coursepage-cached desk-sqlite desk-pg mail announce scale-sqlite scale-pg idle; do
	[ -f "$OUT/$f.log" ] && grep '^AIM' "$OUT/$f.log" | sed "s/^/$f: /"
done
