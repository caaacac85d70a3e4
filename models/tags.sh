#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tie the spin models to the C: every ordering point on a safety path
# carries a step tag in a comment, on both sides.
#
#   models/tags.sh [ROOT]        (ROOT: the repository, default ..)
#
# A tag is [T:PATH:STEP:NAME], e.g. [T:targeted-walker:1:walk-begin-mb]:
# PATH is one CPU's path through the code (targeted-walker, ipi-sender),
# STEP its place along that path, NAME what orders there.  In C it sits in
# a comment at the ordering point (strategy/, kernel/, mm/, arch/); in
# models/*.pml at the step that models it.  It fails when a tag exists on
# one side only, when two tags claim one step, or when a model's tags of
# one path do not appear in step order (the model's order differs from
# the code's).  [T!:...] in C marks an ordering point the model has and
# the C lacks, a known drift: it matches, and is reported on every run.
# Exit status: 0 tied, 1 drift, 2 bad usage.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-$here/..}
[ $# -le 1 ] || { echo "usage: models/tags.sh [ROOT]" >&2; exit 2; }
[ -d "$root" ] || { echo "tags: no directory $root" >&2; exit 2; }

extract() {	# files... -> "path step name bang file:line" per tag
	grep -HnoE '\[T!?:[a-z0-9-]+:[0-9]+:[a-z0-9-]+\]' "$@" 2>/dev/null |
		sed -E 's/^([^:]+:[0-9]+):\[T(!?):([a-z0-9-]+):([0-9]+):([a-z0-9-]+)\]$/\3 \4 \5 \2x \1/'
}
csrc=()
for f in "$root"/strategy/*.c "$root"/kernel/*.c "$root"/kernel/*/*.c "$root"/mm/*.c "$root"/arch/*.c; do
	case $f in *_test.c) ;; *) [ -f "$f" ] && csrc+=("${f#"$root"/}") ;; esac
done
c=$(cd "$root" && extract "${csrc[@]}")
m=$(cd "$root" && extract models/*.pml)

fail=0
say() { echo "tags: $*"; }
while read -r path step name bang where; do
	[ -n "$path" ] || continue
	if ! echo "$m" | awk -v p="$path" -v s="$step" -v n="$name" '$1 == p && $2 == s && $3 == n { f = 1 } END { exit !f }'; then
		say "$where: [T:$path:$step:$name] is in the C, not in any model"; fail=1
	fi
	[ "$bang" = "!x" ] && say "known drift: $where: the model orders at $path step $step ($name); the C has no ordering there"
done <<<"$c"
while read -r path step name bang where; do
	[ -n "$path" ] || continue
	if ! echo "$c" | awk -v p="$path" -v s="$step" -v n="$name" '$1 == p && $2 == s && $3 == n { f = 1 } END { exit !f }'; then
		say "$where: [T:$path:$step:$name] is in the model, not in the C"; fail=1
	fi
done <<<"$m"
# One name per step, on each side.
for side in "$c" "$m"; do
	dup=$(echo "$side" | awk 'NF { k = $1 ":" $2; if (k in n && n[k] != $3) print k " is both " n[k] " and " $3; n[k] = $3 }')
	[ -n "$dup" ] && { say "$dup"; fail=1; }
done
# The model's order along each path is the step order.
bad=$(echo "$m" | awk 'NF { split($5, w, ":"); f = w[1]; k = f " " $1
	if ((k in last) && $2 < last[k]) print f ": path " $1 ": step " $2 " (" $3 ") comes after step " last[k]
	last[k] = $2 }')
[ -n "$bad" ] && { echo "$bad" | sed 's/^/tags: order differs: /'; fail=1; }

n=$(echo "$m" | grep -c .)
paths=$(echo "$m" | awk 'NF { print $1 }' | sort -u | tr '\n' ' ')
if [ $fail = 0 ]; then
	echo "tags: $n ordering points tied, model to C, on paths: $paths"
fi
exit $fail
