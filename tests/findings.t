#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every finding in docs/findings.md names a `ptsync torture` command that
# reproduces it, and says what it must show: `# expect: caught` (exit 1,
# violations) or `# expect: clean` (exit 0, none: the mask or the fix).
# This test takes every such line from the document and runs it, so a
# finding that stops reproducing - a twin that no longer carries its bug,
# a harness change that hides it, a document edited out of step with the
# code - fails here.  The commands carry their seeds and durations; a
# `caught` one stops at its first violation (--stop-on-violation), so its
# duration is a cap, and the `clean` ones keep their sum to seconds.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
doc="$(dirname "$0")/../docs/findings.md"

sed -n 's/^ptsync torture \(.*[^ ]\) *# expect: \(caught\|clean\)$/\2 \1/p' "$doc" >"$tmp/cmds"
n=$(wc -l <"$tmp/cmds")
ok $(( n >= 4 ? 0 : 1 )) "docs/findings.md names $n reproducer commands"

i=0
while read -r want args; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	"$PTSYNC" torture $args --json --no-progress >"$tmp/$i.json" 2>"$tmp/$i.err" </dev/null
	rc=$?
	v=$(json_num "$tmp/$i.json" violations)
	if [ "$want" = caught ]; then
		ok $(( rc == 1 && ${v:-0} > 0 ? 0 : 1 )) "caught: $v violations, exit $rc: ptsync torture $args"
	else
		ok $(( rc == 0 && ${v:--1} == 0 ? 0 : 1 )) "clean: $v violations, exit $rc: ptsync torture $args"
	fi
	[ "$rc" -le 1 ] || sed 's/^/# /' "$tmp/$i.err" | tail -5
done <"$tmp/cmds"

done_testing
