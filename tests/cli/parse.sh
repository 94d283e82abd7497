#!/bin/sh
# sipterm --parse on the torture corpus: one line per file, the right
# verdict, and an exit status that says whether all parsed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

corpus=$top_srcdir/tests/data/conformance
tap_plan 7

out=$("$SIPTERM" --parse "$corpus/rfc4475/wsinv.dat" "$corpus/rfc4475/unreason.dat")
check "valid request and response parse, exit 0" [ $? -eq 0 ]
check "request line names the method" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx '.*/wsinv.dat: ok INVITE'" _ "$out"
check "response line names the status" \
	sh -c "printf '%s\n' \"\$1\" | grep -qx '.*/unreason.dat: ok 200'" _ "$out"

out=$("$SIPTERM" --parse "$corpus/rfc4475/wsinv.dat" "$corpus/rfc4475/ncl.dat")
check "one bad file makes the exit status 1" [ $? -eq 1 ]
check "a rejected file says why" \
	sh -c "printf '%s\n' \"\$1\" | grep -q 'ncl.dat: error: Bad Content-Length header'" _ "$out"

# every file of the corpus yields exactly one verdict line
n=$(ls "$corpus"/rfc4475/*.dat | wc -l)
lines=$("$SIPTERM" --parse "$corpus"/rfc4475/*.dat | grep -c ': \(ok\|error\)')
check "one verdict per file ($lines of $n)" [ "$lines" -eq "$n" ]

"$SIPTERM" --parse "$TEST_TMP/does-not-exist" > "$TEST_TMP/out" 2>&1
check "a missing file is an error line, exit 1" \
	sh -c "[ $? -eq 1 ] && grep -q 'cannot read' '$TEST_TMP/out'"
done_testing
