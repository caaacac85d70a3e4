#!/usr/bin/perl
# SPDX-License-Identifier: MIT
#
# litmus2pml.pl: translate a C litmus test (the subset of herd7's C syntax
# that the kernel's tools/memory-model tests use) into a Promela model of
# ptsync's weak memory model, for spin to search exhaustively.
#
#   models/litmus2pml.pl FILE.litmus >FILE.pml
#
# Why: herd7 is not packaged for Debian 12, so the expected result that a
# litmus file states (Never / Sometimes) is checked here by spin, and the
# same file can be run by anyone with herd7 against LKMM.
#
# The weak memory model (see docs/incoming/wmm.md for its limits):
#  - one memory, written by a store the moment it executes: multi-copy
#    atomic, like ARMv8 (LKMM is weaker here; IRIW+rmb shows it);
#  - each thread executes its instructions in any order that keeps the
#    preserved program order (ppo) below, so stores may become visible
#    out of order and loads may be satisfied out of order:
#      smp_mb(), synchronize_rcu*(): everything before -> everything after
#      smp_rmb(): loads -> loads;  smp_wmb(): stores -> stores
#      smp_load_acquire(), rcu_dereference() is not acquire: acquire -> all later
#      smp_store_release(), rcu_assign_pointer(): all earlier -> release
#      xchg(), cmpxchg() (fully ordered RMW): all earlier -> it -> all later
#      xchg_acquire / xchg_release / xchg_relaxed: as named
#      same location (coherence); address and data dependencies;
#      control dependency: the load of the condition -> stores in the branch
#    The only thing that orders a store before a later load is smp_mb()
#    (or a fully ordered RMW, which contains one).
#  - an if() is guessed at the start of the thread (a branch may be
#    speculated); the guess is checked when its condition's load executes,
#    and an execution whose guess was wrong is discarded (pan -E);
#  - rcu_read_lock()..rcu_read_unlock() is a read-side critical section; a
#    grace period is one instant at which no critical section has executed
#    some but not all of its accesses, with smp_mb() on both sides.
#
# Exit status 2 on input it cannot parse, naming the line and construct.
use strict;
use warnings;

my $file = shift // usage();
@ARGV and usage();
sub usage { print STDERR "usage: litmus2pml.pl FILE.litmus\n"; exit 2; }
open(my $fh, '<', $file) or do { print STDERR "litmus2pml: $file: $!\n"; exit 2 };
my @lines = <$fh>;
close $fh;

sub bad {	# line number, construct
	my ($n, $what) = @_;
	print STDERR "$file:$n: cannot translate: $what\n";
	exit 2;
}

my ($name, %loc, @locs, %init, @threads, $exists, $exists_line);
my %ptr_target;		# locations some pointer may point to
my $expect = '';

sub addloc { my $l = shift; push @locs, $l unless $loc{$l}++; }

# --- lexing: strip comments (keep the Result line) ---
my $i = 0;
my $state = 'head';
my $cur;		# current thread
my @ifstack;		# open if-blocks: [guess index, cond]
my $incomment = 0;
for my $raw (@lines) {
	$i++;
	my $l = $raw;
	chomp $l;
	if ($incomment) {
		$expect ||= $1 if $l =~ /Result:\s*(Never|Sometimes)/;
		if ($l =~ s/^.*?\*\)//) { $incomment = 0; } else { next; }
	}
	while ($state =~ /^(head|init0)$/ && $l =~ /\(\*/) {
		if ($l =~ s/\(\*.*?\*\)//) { next; }
		$expect ||= $1 if $l =~ /Result:\s*(Never|Sometimes)/;
		$l =~ s/\(\*.*//; $incomment = 1;
	}
	$l =~ s{//.*}{};
	$l =~ s{/\*.*?\*/}{}g;
	$l =~ s/^\s+|\s+$//g;
	next if $l eq '';
	if ($state eq 'head') {
		if ($l =~ /^C\s+(\S+)$/) { $name = $1; $state = 'init0'; next; }
		bad($i, "expected 'C <name>' first, got '$l'");
	}
	if ($state eq 'init0') {
		if ($l =~ /^\{\s*\}$/) { $state = 'body'; next; }
		if ($l =~ /^\{(.*)$/) { $state = 'init'; $l = $1; next if $l eq ''; }
		else { bad($i, "expected the initial-state block '{ ... }', got '$l'"); }
	}
	if ($state eq 'init') {
		my $end = ($l =~ s/\}\s*$//);
		for my $d (split /;/, $l) {
			$d =~ s/^\s+|\s+$//g;
			next if $d eq '';
			if ($d =~ /^(?:(?:int|long|unsigned)\s*\**\s*)?(\w+)\s*(?:=\s*&?\s*(\w+))?$/) {
				addloc($1);
				if (defined $2) {
					$init{$1} = $2;
					if ($2 !~ /^-?\d+$/) { addloc($2); $ptr_target{$2} = 1; }
				}
			} else { bad($i, "initial-state entry '$d'"); }
		}
		$state = 'body' if $end;
		next;
	}
	# body: threads, then exists
	if (!$cur) {
		if ($l =~ /^P(\d+)\s*\(([^)]*)\)\s*(\{)?$/) {
			my ($n, $params, $brace) = ($1, $2, $3);
			bad($i, "thread P$n out of order") if $n != @threads;
			for my $p (split /,/, $params) {
				$p =~ s/^\s+|\s+$//g;
				next if $p eq '' || $p eq 'void';
				$p =~ /^(?:int|long|unsigned|spinlock_t|atomic_t)\s*\**\s*(\w+)$/
					or bad($i, "parameter '$p'");
				addloc($1);
			}
			$cur = { n => $n, ins => [], regs => {}, ifs => [], opened => $brace ? 1 : 0, line => $i };
			push @threads, $cur;
			next;
		}
		if ($l =~ /^exists\s*(.*)$/) { $exists = $1; $exists_line = $i; next; }
		if (defined $exists && $l !~ /^(locations|filter)/) { $exists .= " $l"; next; }
		bad($i, "'$l' (expected P<n>(...) or exists)");
	}
	if (!$cur->{opened}) {
		$l eq '{' or bad($i, "expected '{' to open P$cur->{n}");
		$cur->{opened} = 1; next;
	}
	my $single = $cur->{single};
	$cur->{single} = 0;
	stmt($cur, $l, $i);
	pop @ifstack if $single;
}
bad($i, "unterminated thread P$cur->{n}") if $cur;
bad($i, "no exists clause") unless defined $exists;
bad(1, "no 'Result: Never|Sometimes' in a comment") unless $expect;

# --- statements ---
sub val {	# value expression -> [promela, dep-register or undef]
	my ($t, $v, $n) = @_;
	$v =~ s/^\s+|\s+$//g;
	$v =~ s/^&\s*//;
	return ["$v", undef] if $v =~ /^-?\d+$/;
	return ["P$t->{n}_$v", $v] if $t->{regs}{$v};
	if ($v =~ /^\w+$/) { addloc($v); $ptr_target{$v} = 1; return ["LOC_$v", undef]; }
	bad($n, "value '$v'");
}

sub addr {	# address expression -> [promela index, dep-register or undef, static loc]
	my ($t, $a, $n, $deref) = @_;
	$a =~ s/^\s+|\s+$//g;
	$a =~ s/^\(\s*(.*?)\s*\)$/$1/;
	my $star = ($a =~ s/^\*\s*//);
	$a =~ s/^&\s*//;
	bad($n, "address '$a'") unless $a =~ /^\w+$/;
	if ($t->{regs}{$a}) {
		bad($n, "register $a used as an address without '*'") unless $star;
		return ["(P$t->{n}_$a - 100)", $a, undef];
	}
	bad($n, "unknown location '$a'") unless $loc{$a};
	return ["L_$a", undef, $a];
}

sub add {
	my ($t, %h) = @_;
	$h{guess} = @ifstack ? [ map { [@$_] } @ifstack ] : [];
	push @{ $t->{ins} }, \%h;
	if ($h{def}) { $t->{regs}{ $h{def} } = 1; $t->{defidx}{ $h{def} } = $#{ $t->{ins} }; }
}

sub stmt {
	my ($t, $s, $n) = @_;
	my $text = $s;
	if ($s eq '}') {
		if (@ifstack) { pop @ifstack; return; }
		$cur = undef; return;
	}
	if ($s =~ /^\}\s*else\s*\{$/) {
		bad($n, "'else' without 'if'") unless @ifstack;
		$ifstack[-1][1] = !$ifstack[-1][1];
		return;
	}
	if ($s =~ /^if\s*\(([^()]*)\)\s*(\{|.*;|)$/) {
		my ($c, $rest) = ($1, $2);
		my ($reg, $op, $k);
		if ($c =~ /^\s*(!?)\s*(\w+)\s*$/) { ($reg, $op, $k) = ($2, $1 ? '==' : '!=', 0); }
		elsif ($c =~ /^\s*(\w+)\s*(==|!=)\s*(\w+)\s*$/) { ($reg, $op, $k) = ($1, $2, $3); }
		else { bad($n, "condition '$c' (only rN, !rN, rN == V, rN != V)"); }
		bad($n, "condition on '$reg', which no earlier load of P$t->{n} sets") unless $t->{regs}{$reg};
		my $kv = val($t, $k, $n)->[0];
		push @{ $t->{ifs} }, { reg => $reg, expr => "(P$t->{n}_$reg $op $kv)", line => $n,
				      def => $t->{defidx}{$reg} };
		push @ifstack, [ $#{ $t->{ifs} }, 1 ];
		if ($rest eq "") { $t->{single} = 1; }
		elsif ($rest ne "{") { stmt($t, $rest, $n); pop @ifstack; }
		return;
	}
	$s =~ s/;$// or bad($n, "statement '$s' does not end with ';'");
	$s =~ s/^\s+|\s+$//g;
	if ($s =~ /^(?:int|long|unsigned)\s*\**\s*(\w+)(?:\s*=\s*(-?\d+))?$/) {	# register declaration
		$t->{regs}{$1} = 1;
		$t->{reginit}{$1} = $2 // 0;
		return;
	}
	if ($s =~ /^(smp_mb|smp_rmb|smp_wmb|synchronize_rcu|synchronize_rcu_expedited|rcu_read_lock|rcu_read_unlock)\s*\(\s*\)$/) {
		my %k = (smp_mb => 'mb', smp_rmb => 'rmb', smp_wmb => 'wmb', synchronize_rcu => 'gp',
			 synchronize_rcu_expedited => 'gp', rcu_read_lock => 'rl', rcu_read_unlock => 'ru');
		bad($n, "$1() inside an if") if @ifstack && $k{$1} =~ /^(gp|rl|ru)$/;
		add($t, kind => $k{$1}, text => $text, line => $n);
		return;
	}
	if ($s =~ /^(WRITE_ONCE|smp_store_release|rcu_assign_pointer)\s*\((.*),([^,]*)\)$/) {
		my ($f, $a, $v) = ($1, $2, $3);
		my $A = addr($t, $a, $n);
		my $V = val($t, $v, $n);
		add($t, kind => 'w', addr => $A->[0], adep => $A->[1], sloc => $A->[2], val => $V->[0],
		    ddep => $V->[1], rel => $f ne 'WRITE_ONCE', text => $text, line => $n);
		return;
	}
	if ($s =~ /^(\w+)\s*=\s*(READ_ONCE|smp_load_acquire|rcu_dereference)\s*\((.*)\)$/) {
		my ($r, $f, $a) = ($1, $2, $3);
		bad($n, "register '$r' is not declared") unless $t->{regs}{$r};
		my $A = addr($t, $a, $n);
		add($t, kind => 'r', def => $r, addr => $A->[0], adep => $A->[1], sloc => $A->[2],
		    acq => $f eq 'smp_load_acquire', text => $text, line => $n);
		return;
	}
	if ($s =~ /^(?:(\w+)\s*=\s*)?(xchg|xchg_relaxed|xchg_acquire|xchg_release|cmpxchg)\s*\((.*)\)$/) {
		my ($r, $f, $args) = ($1, $2, $3);
		my @a = split /,/, $args;
		bad($n, "$f() takes " . ($f eq 'cmpxchg' ? 3 : 2) . " arguments")
			unless @a == ($f eq 'cmpxchg' ? 3 : 2);
		bad($n, "register '$r' is not declared") if defined $r && !$t->{regs}{$r};
		my $A = addr($t, $a[0], $n);
		my $V = val($t, $a[-1], $n);
		my $O = $f eq 'cmpxchg' ? val($t, $a[1], $n)->[0] : undef;
		add($t, kind => 'rmw', def => $r, addr => $A->[0], adep => $A->[1], sloc => $A->[2],
		    val => $V->[0], ddep => $V->[1], old => $O,
		    acq => ($f =~ /^(xchg|cmpxchg|xchg_acquire)$/ ? 1 : 0),
		    rel => ($f =~ /^(xchg|cmpxchg|xchg_release)$/ ? 1 : 0),
		    full => ($f =~ /^(xchg|cmpxchg)$/ ? 1 : 0), text => $text, line => $n);
		return;
	}
	bad($n, "statement '$s' (supported: WRITE_ONCE, READ_ONCE, smp_load_acquire, "
	    . "smp_store_release, rcu_assign_pointer, rcu_dereference, xchg*, cmpxchg, smp_mb, "
	    . "smp_rmb, smp_wmb, rcu_read_lock/unlock, synchronize_rcu[_expedited], if)");
}

# --- preserved program order: direct edges only (fences are nodes) ---
sub isload  { my $k = shift->{kind}; $k eq 'r' || $k eq 'rmw' }
sub isstore { my $k = shift->{kind}; $k eq 'w' || $k eq 'rmw' }
sub isacc   { isload($_[0]) || isstore($_[0]) }
sub mayalias {
	my ($a, $b) = @_;
	return 0 unless isacc($a) && isacc($b);
	return $a->{sloc} eq $b->{sloc} if defined $a->{sloc} && defined $b->{sloc};
	my $s = defined $a->{sloc} ? $a->{sloc} : $b->{sloc};
	return 1 unless defined $s;
	return $ptr_target{$s} ? 1 : 0;
}
for my $t (@threads) {
	my @I = @{ $t->{ins} };
	for my $j (0 .. $#I) {
		my $b = $I[$j];
		my %p;
		for my $k (0 .. $j - 1) {
			my $a = $I[$k];
			my $o = 0;
			$o ||= $a->{kind} =~ /^(mb|gp)$/ || $b->{kind} =~ /^(mb|gp)$/;
			$o ||= ($a->{kind} eq 'rmb' && isload($b)) || ($b->{kind} eq 'rmb' && isload($a));
			$o ||= ($a->{kind} eq 'wmb' && isstore($b)) || ($b->{kind} eq 'wmb' && isstore($a));
			$o ||= $a->{acq} || $b->{rel};
			$o ||= mayalias($a, $b);
			$o ||= $a->{def} && (($b->{adep} // '') eq $a->{def} || ($b->{ddep} // '') eq $a->{def})
				&& $t->{defidx}{ $a->{def} } == $k;
			# control dependency: the condition's load before stores in the branch
			if (!$o && $a->{def} && isstore($b)) {
				for my $g (@{ $b->{guess} }) {
					my $if = $t->{ifs}[ $g->[0] ];
					$o = 1 if defined $if->{def} && $if->{def} == $k;
				}
			}
			$p{$k} = 1 if $o && $a->{kind} !~ /^(rl|ru)$/ && $b->{kind} !~ /^(rl|ru)$/;
		}
		$b->{pred} = [ sort { $::a <=> $::b } keys %p ];
	}
	# critical sections: accesses between rcu_read_lock and rcu_read_unlock
	my ($open, @cs);
	for my $j (0 .. $#I) {
		if ($I[$j]{kind} eq 'rl') { $open = []; }
		elsif ($I[$j]{kind} eq 'ru') { push @cs, $open if $open && @$open; $open = undef; }
		elsif ($open && isacc($I[$j])) { push @$open, $j; }
	}
	bad($t->{line}, "rcu_read_lock() without rcu_read_unlock() in P$t->{n}") if $open;
	$t->{cs} = \@cs;
}

# --- exists clause ---
my $ex = $exists;
$ex =~ s/^\s*\((.*)\)\s*$/$1/;
my $pe = '';
my $rest = $ex;
while ($rest =~ /\S/) {
	$rest =~ s/^\s+//;
	if ($rest =~ s/^\/\\//) { $pe .= ' && '; }
	elsif ($rest =~ s/^\\\///) { $pe .= ' || '; }
	elsif ($rest =~ s/^~//) { $pe .= '!'; }
	elsif ($rest =~ s/^([()])//) { $pe .= $1; }
	elsif ($rest =~ s/^(\d+):(\w+)\s*=\s*(\w+)//) {
		my ($tn, $r, $v) = ($1, $2, $3);
		bad($exists_line, "exists names P$tn, which does not exist") if $tn > $#threads;
		bad($exists_line, "exists names $tn:$r, not a register of P$tn") unless $threads[$tn]{regs}{$r};
		$pe .= "(P${tn}_$r == " . xval($v) . ")";
	}
	elsif ($rest =~ s/^(\w+)\s*=\s*(\w+)//) {
		bad($exists_line, "exists names '$1', not a location") unless $loc{$1};
		$pe .= "(mem[L_$1] == " . xval($2) . ")";
	}
	else { bad($exists_line, "exists clause near '" . substr($rest, 0, 20) . "'"); }
}
sub xval { my $v = shift; return $v if $v =~ /^-?\d+$/;
	   bad($exists_line, "exists value '$v' is not a location") unless $loc{$v}; "LOC_$v" }

# --- emit ---
my $nloc = @locs + 1;
print "/* Generated by models/litmus2pml.pl from $file ($name).  Expected: $expect. */\n";
print "#define EXPECT_" . uc($expect) . "\n";
print "mtype = { _dummy };\n";
print "byte mem[$nloc];\n";
my $li = 1;
for my $l (@locs) { print "#define L_$l $li\n#define LOC_$l " . (100 + $li) . "\n"; $li++; }
for my $t (@threads) {
	my $n = $t->{n};
	for my $r (sort keys %{ $t->{regs} }) { print "byte P${n}_$r;\n"; }
	for my $j (0 .. $#{ $t->{ins} }) { print "bool d${n}_$j, x${n}_$j;\n"; }
}
print "byte fin, fin_tmp;\n\n";

sub esc { my $s = shift; $s =~ s/["\\%]/ /g; $s }
sub csdone {	# Promela: every critical section of every thread but $me is untouched or done
	my $me = shift;
	my @c;
	for my $t (@threads) {
		next if $t->{n} == $me;
		for my $cs (@{ $t->{cs} }) {
			my $any = join(' || ', map { "x$t->{n}_$_" } @$cs);
			my $all = join(' && ', map { "d$t->{n}_$_" } @$cs);
			push @c, "(!($any) || ($all))";
		}
	}
	return @c ? join(' && ', @c) : '1';
}

for my $t (@threads) {
	my $n = $t->{n};
	my @I = @{ $t->{ins} };
	print "proctype P$n()\n{\n";
	for my $g (0 .. $#{ $t->{ifs} }) { print "\tbool g$g;\n"; }
	for my $g (0 .. $#{ $t->{ifs} }) { print "\tif :: g$g = 1 :: g$g = 0 fi;\n"; }
	# instructions on a branch not guessed are done from the start
	print "\td_step {\n";
	for my $r (sort keys %{ $t->{reginit} // {} }) { print "\t\tP${n}_$r = $t->{reginit}{$r};\n"; }
	for my $j (0 .. $#I) {
		my @gs = @{ $I[$j]{guess} };
		next unless @gs;
		my $taken = join(' && ', map { "g$_->[0] == $_->[1]" } @gs);
		print "\t\tif :: !($taken) -> d${n}_$j = 1 :: else fi;\n";
	}
	# an if whose condition's register no load of this thread sets: check now
	for my $g (0 .. $#{ $t->{ifs} }) {
		my $if = $t->{ifs}[$g];
		print "\t\tskip\n" unless defined $if->{def};
	}
	print "\t\tskip\n\t};\n";
	for my $g (0 .. $#{ $t->{ifs} }) {
		my $if = $t->{ifs}[$g];
		print "\t(g$g == $if->{expr});\n" unless defined $if->{def};
	}
	print "\tdo\n";
	for my $j (0 .. $#I) {
		my $x = $I[$j];
		my $k = $x->{kind};
		next if $k =~ /^(rl|ru)$/;
		my $guard = join(' && ', "!d${n}_$j", map { "d${n}_$_" } @{ $x->{pred} });
		$guard .= ' && ' . csdone($n) if $k eq 'gp';
		my $act = '';
		if ($k eq 'r') { $act = "P${n}_$x->{def} = mem[$x->{addr}]; "; }
		elsif ($k eq 'w') { $act = "mem[$x->{addr}] = $x->{val}; "; }
		elsif ($k eq 'rmw') {
			my $r = defined $x->{def} ? "P${n}_$x->{def}" : 'fin_tmp';
			$act = "$r = mem[$x->{addr}]; ";
			if (defined $x->{old}) { $act .= "if :: $r == $x->{old} -> mem[$x->{addr}] = $x->{val} :: else fi; "; }
			else { $act .= "mem[$x->{addr}] = $x->{val}; "; }
		}
		my $pf = "printf(\"P$n: " . esc($x->{text}) . "\"";
		if ($x->{def}) { $pf = "printf(\"P$n: " . esc($x->{text}) . "  [$x->{def}=%d]\", P${n}_$x->{def}"; }
		$pf .= ")";
		print "\t:: d_step { $guard -> ${act}d${n}_$j = 1; x${n}_$j = 1; $pf; printf(\"\\n\") }";
		# a guessed branch whose condition this load sets: check the guess
		for my $g (0 .. $#{ $t->{ifs} }) {
			my $if = $t->{ifs}[$g];
			print "; (g$g == $if->{expr})" if defined $if->{def} && $if->{def} == $j;
		}
		print "\n";
	}
	my $all = join(' && ', map { "d${n}_$_" } grep { $I[$_]{kind} !~ /^(rl|ru)$/ } 0 .. $#I) || '1';
	print "\t:: $all -> break\n\tod;\n\tfin++\n}\n\n";
}
print "init {\n\tatomic {\n";
for my $l (@locs) {
	next unless defined $init{$l};
	my $v = $init{$l} =~ /^-?\d+$/ ? $init{$l} : "LOC_$init{$l}";
	print "\t\tmem[L_$l] = $v;\n";
}
for my $t (@threads) { print "\t\trun P$t->{n}();\n"; }
print "\t}\n\tfin == " . scalar(@threads) . ";\n";
print "\tprintf(\"exists: " . esc($ex) . "\\n\");\n";
print "ALL_DONE:\n\tassert(!($pe))\n}\n";
