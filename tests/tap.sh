# SPDX-License-Identifier: MIT
# TAP helpers for the shell tests; source me.  $PTSYNC is the binary.
: "${PTSYNC:=build/ptsync}"
tap_n=0
tap_failed=0

ok() {	# ok COND-EXIT-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# json_num FILE KEY: the first numeric value of "KEY" in a JSON file.
json_num() {
	grep -o "\"$2\":[0-9.]*" "$1" | head -n 1 | cut -d: -f2
}

# bad EXPECTED-WORD ARGS...: ptsync ARGS must fail with exit status 2 and
# exactly one line on stderr that names EXPECTED-WORD.  Needs $tmp.
bad() {
	local want=$1; shift
	"$PTSYNC" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	ok $(( rc == 2 && lines == 1 ? 0 : 1 )) "ptsync $* -> exit $rc, $lines line(s)"
	grep -q -- "$want" "$tmp/err"
	ok $? "... and the line names $want: $(head -c 150 "$tmp/err")"
}
