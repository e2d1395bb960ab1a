#!/bin/sh
# The primes among the numbers on stdin, one per line: a per-block command
# (kubectl teamtask work primes --per-block -- sh examples/primes-per-block.sh).
# Every 100 numbers it tells the worker how far it got, so a restart repeats at most 100.
exec awk '
function prime(n,  d) { if (n < 2) return 0; for (d = 2; d * d <= n; d++) if (n % d == 0) return 0; return 1 }
prime($1) { print $1 }
NR % 100 == 0 { print "teamtask:done " NR; fflush() }
'
