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
