#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bad input: one line naming the option and what it accepts, exit status 2.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT


bad --cpus torture --cpus=0
bad --cpus torture --cpus=100000
bad --cpus torture --cpus=abc
bad --cpus torture --cpus=
bad --cpus torture --cpus=2 --bystanders=1
bad --batch-fail torture --batch-fail=1.5
bad --batch-fail torture --batch-fail=-0.1
bad --batch-fail torture --batch-fail=nan
bad --duration torture --duration=-1
bad --duration torture --duration=0
bad --strategy torture --strategy=bogus
bad "none, ipi, rcu" torture --strategy=bogus
bad --hz torture --hz=0
bad --walk-delay-ns torture --walk-delay-ns=1ms
bad --seed torture --seed=-5
bad --mms torture --mms=0
bad --stall-timeout torture --stall-timeout=0
bad --frobnicate torture --frobnicate
bad --cpus torture --cpus
bad bogus bogus
bad --tlb torture --tlb=x86
bad --tlb torture --tlb=
bad --tlb torture --strategy=flush-ipi-pv --tlb=native
bad "defined for pv only" torture --strategy=flush-ipi-pv --tlb=invlpgb
bad --nohz-full torture --cpus=2 --nohz-full
bad --nohz-full torture --cpus=3 --bystanders=0 --nohz-full
bad --nohz-full torture --cpus=3 --nohz-full=3
bad --nohz-full torture --cpus=3 --nohz-full=0
bad --nohz-full torture --cpus=4 --freers=2 --nohz-full=1-3
bad --nohz-full torture --cpus=3 --nohz-full=1-x
bad --nohz-full torture --cpus=3 --nohz-full=
bad --nohz-full torture --cpus=3 --nohz-full=2-1
bad --nohz-full compare --cpus=3 --nohz-full=7
bad --walk-delay torture --walk-delay=often
bad --walk-delay torture --walk-delay=random:0.5
bad --walk-delay torture --walk-delay=random:0.7,0.7
bad --walk-delay torture --walk-delay=5s
bad --walk-delay torture --walk-delay=-3us
bad --preempt-chance torture --preempt-chance=2
bad --sb-window-ns torture --sb-window-ns=-1
bad --arch torture --arch=sparc
bad --arch torture --arch=
bad --arch fork-storm --arch=ppc
bad "--tlb: --sweep draws it" torture --sweep --tlb=pv
bad "--arch: --sweep draws it" torture --sweep --arch=weak
bad "--sb-window-ns: --sweep" torture --sweep --sb-window-ns=5000
bad "--user-chance: --sweep" torture --user-chance=1 --sweep
bad "--nohz-full: --sweep" torture --cpus=3 --sweep --nohz-full
bad "--regions: --sweep" torture --sweep --regions=1
bad --sweep-interval torture --sweep-interval=1
bad --sweep-interval torture --sweep --sweep-interval=0
bad --sweep compare --sweep
bad --tlb compare --strategies=flush-ipi-pv --tlb=native
bad list list --bogus
bad --khugepaged torture --cpus=4 --khugepaged=2
bad --khugepaged torture --cpus=3 --khugepaged=1
bad --khugepaged torture --callsite=fallback,unshare --khugepaged=1
bad --collapse-rate torture --collapse-rate=0
bad --collapse-rate torture --collapse-rate=1000001
bad --shared-regions torture --shared-regions=0
bad --shared-regions torture --shared-regions=513
bad --callsite torture --callsite=munmap
bad --callsite torture --callsite=
bad "fallback, collapse, unshare" torture --callsite=collapse,bogus
bad --unshare-sync torture --unshare-sync=sometimes
bad --batch-fail torture --callsite=collapse --batch-fail=0.5

# --rate: fallbacks per second, >0 and at most 1e6 (beyond that no fallback
# could be timed to its slot); refused at once, before anything is measured.
start=$(date +%s)
bad --rate compare --rate=0
bad --rate compare --rate=1e7
bad --rate compare --rate=2000000/s
bad --rate compare --rate=fast
bad --rate compare --rate=nan
ok $(( $(date +%s) - start <= 5 ? 0 : 1 )) "compare: a bad --rate fails before anything is measured"

# compare checks --out before measuring anything: at once, not after a minute.
start=$(date +%s)
bad --out compare --out=/proc/nonexistent/x
ok $(( $(date +%s) - start <= 5 ? 0 : 1 )) "compare: a bad --out fails before anything is measured"

for v in --version version; do
	"$PTSYNC" $v >"$tmp/out" 2>"$tmp/err"
	ok $? "ptsync $v exits 0"
	grep -Eq '^ptsync [[:alnum:]._+-]+$' "$tmp/out" && [ "$(wc -l <"$tmp/out")" -eq 1 ]
	ok $? "ptsync $v prints one line, 'ptsync VERSION': $(head -c 80 "$tmp/out")"
done

"$PTSYNC" list >"$tmp/out"
ok $? "ptsync list exits 0"
grep -q '^none .*UNSAFE' "$tmp/out"
ok $? "ptsync list marks none unsafe"
"$PTSYNC" list --tsv >"$tmp/out"
awk -F'\t' 'NF != 11 { exit 1 }' "$tmp/out"
ok $? "ptsync list --tsv: eleven tab-separated fields a line"
# The last: the archs whose flush barrier hides a strategy's bug, and
# which barrier ("-": none); a twin that is hidden must say by what.
awk -F'\t' '$NF != "-" && $NF !~ /^(x86|arm64|weak)=[^;]+(;(x86|arm64|weak)=[^;]+)*$/ { exit 1 }' "$tmp/out"
ok $? "ptsync list --tsv: the last field is '-' or ARCH=BARRIER;..."
awk -F'\t' '$1 == "pt-reclaim" && $9 == "upstream-ipi" && $10 == "upstream-ipi" { f = 1 } END { exit !f }' "$tmp/out"
ok $? "ptsync list --tsv: pt-reclaim falls back to upstream's broadcast at collapse and unshare"
"$PTSYNC" list >"$tmp/out"
for s in fallback collapse unshare; do
	[ "$(grep -c " $s " "$tmp/out")" -ge "$("$PTSYNC" list --tsv | wc -l)" ]
	ok $? "ptsync list says what every strategy does at $s"
done
# Every option of every command, from the commands' own option tables
# (the hidden --list-options: command, option, value name or - for a flag,
# a value it refuses): each given a bad value (a flag, a value it does not
# take) must fail with exit status 2 and one line naming the option.  The
# commands are the ones ptsync --help lists, so a new command is covered.
cmds=$("$PTSYNC" --help | sed -n 's/^ *\(usage:\)\{0,1\} *ptsync \([a-z-]*\) \[opt.*/\2/p')
ok $(( $(echo "$cmds" | wc -w) >= 7 ? 0 : 1 )) "ptsync --help lists the commands: $(echo $cmds)"
for cmd in $cmds; do
	"$PTSYNC" "$cmd" --list-options >"$tmp/opts" 2>"$tmp/err"
	ok $(( $? == 0 && $(wc -l <"$tmp/opts") > 0 ? 0 : 1 )) \
		"$cmd --list-options: $(wc -l <"$tmp/opts") options from its table"
	while IFS=$'\t' read -r c opt argh badval; do
		if [ "$argh" = - ]; then
			arg="--$opt=1"
		else
			arg="--$opt=$badval"
		fi
		timeout 60 "$PTSYNC" "$c" "$arg" >"$tmp/out" 2>"$tmp/err" </dev/null
		rc=$?
		lines=$(wc -l <"$tmp/err")
		grep -q -- "--$opt" "$tmp/err"
		named=$?
		ok $(( rc == 2 && lines == 1 && named == 0 ? 0 : 1 )) \
			"ptsync $c '$arg' -> exit $rc, $lines line(s): $(head -c 120 "$tmp/err")"
	done <"$tmp/opts"
	# --help is the same table: every option it lists is in --list-options.
	"$PTSYNC" "$cmd" --help >"$tmp/help"
	missing=$(grep -o -- '^  --[a-z-]*' "$tmp/help" | sed 's/^  --//' |
		while read -r o; do cut -f2 "$tmp/opts" | grep -qx -- "$o" || echo "$o"; done)
	ok $(( ${#missing} == 0 ? 0 : 1 )) "$cmd --help lists only options of its table${missing:+: not $missing}"
done

done_testing
