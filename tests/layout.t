#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/ by command, dependencies one way (issue 16): scripts/tools-deps
# finds no circle among tools/ modules, by includes or by calls between
# the built objects; and it does find one planted in a scratch tree.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
root=$(cd "$(dirname "$0")/.." && pwd)
deps=$root/scripts/tools-deps
build=$(dirname "$PTSYNC")

(cd "$root" && "$deps") >"$tmp/inc" 2>&1
ok $? "no include circle in tools/: $(tail -n 1 "$tmp/inc")"
sed 's/^/# /' "$tmp/inc" | grep -v '^# [0-9]'

(cd "$root" && "$deps" "$build") >"$tmp/all" 2>&1
ok $? "no circle in tools/ by includes and calls: $(tail -n 1 "$tmp/all")"
sed 's/^/# /' "$tmp/all" | grep -v '^# [0-9]'

# A planted circle: a report that calls back into its phase.
mkdir -p "$tmp/t/tools/cmd"
printf '#include "report.h"\nint phase(void);\nint phase(void) { return report(); }\n' \
	>"$tmp/t/tools/cmd/phase.c"
printf '#include "phase.h"\nint report(void);\nint report(void) { return 0; }\n' \
	>"$tmp/t/tools/cmd/report.c"
: >"$tmp/t/tools/cmd/phase.h"; : >"$tmp/t/tools/cmd/report.h"
(cd "$tmp/t" && "$deps") >"$tmp/planted" 2>&1
rc=$?
ok $(( rc == 1 ? 0 : 1 )) "a planted include circle fails the check (exit $rc)"
grep -q 'circle: tools/cmd/phase <-> tools/cmd/report' "$tmp/planted"
ok $? "... and names both modules"

# The same by calls only: report.c no longer includes phase.h but calls it.
mkdir -p "$tmp/t/b/tools/cmd"
printf 'int phase(void);\nint phase(void) { return 1; }\nint report(void);\nint use(void);\nint use(void) { return report(); }\n' \
	>"$tmp/t/tools/cmd/phase.c"
printf 'int phase(void);\nint report(void);\nint report(void) { return phase(); }\n' \
	>"$tmp/t/tools/cmd/report.c"
for f in phase report; do
	cc -c -o "$tmp/t/b/tools/cmd/$f.o" "$tmp/t/tools/cmd/$f.c"
done
(cd "$tmp/t" && "$deps") >/dev/null 2>&1
ok $? "without the objects the call circle is invisible"
(cd "$tmp/t" && "$deps" b) >"$tmp/calls" 2>&1
rc=$?
ok $(( rc == 1 ? 0 : 1 )) "with them it fails the check (exit $rc)"
grep -q 'calls phase' "$tmp/calls"
ok $? "... naming the call: $(grep 'calls phase' "$tmp/calls" | head -n 1)"

done_testing
