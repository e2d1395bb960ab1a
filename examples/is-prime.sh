#!/bin/sh
# Prints its argument when it is a prime number: the demo's per-item command.
n=$1
[ "$n" -lt 2 ] && exit 0
i=2
while [ $((i * i)) -le "$n" ]; do
  [ $((n % i)) -eq 0 ] && exit 0
  i=$((i + 1))
done
echo "$n"
