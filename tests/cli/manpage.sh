#!/bin/sh
# The man page is the contract: it must be lint-clean, and list exactly the
# commands of the command table, every option of --help, and every event
# the wait command knows.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need_cmd mandoc mandoc

man1=$top_srcdir/man/sipterm.1
man5=$top_srcdir/man/sipterm.conf.5
tap_plan 6

lint=$(mandoc -Tlint -W warning "$man1" "$man5" 2>&1)
check "mandoc -Tlint finds nothing (warnings and up)" [ -z "$lint" ]
[ -z "$lint" ] || diag "$lint"

# commands: "name" fields of help --json vs ".It Ic name" in COMMANDS
"$SIPTERM" -e 'help --json' -e quit -l 127.0.0.1:0 --headless --log-level error \
	> "$TEST_TMP/help.json" 2>/dev/null
grep -o '"name":"[^"]*"' "$TEST_TMP/help.json" | cut -d'"' -f4 | sort -u > "$TEST_TMP/table"
sed -n '/^\.Sh COMMANDS/,/^\.Sh /p' "$man1" | sed -n 's/^\.It Ic \([a-z-]*\).*/\1/p' |
	sort -u > "$TEST_TMP/man"
check "the command table is not empty" [ -s "$TEST_TMP/table" ]
missing=$(comm -23 "$TEST_TMP/table" "$TEST_TMP/man" | tr '\n' ' ')
extra=$(comm -13 "$TEST_TMP/table" "$TEST_TMP/man" | tr '\n' ' ')
check "every command is in sipterm(1) (missing: ${missing:-none})" [ -z "$missing" ]
check "every command in sipterm(1) exists (extra: ${extra:-none})" [ -z "$extra" ]

# options: every long option of --help appears in the man page
bad=""
for o in $("$SIPTERM" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	# mdoc writes --log-level as "Fl \-log\-level"
	lit=$(printf 'Fl %s' "${o#-}" | sed 's/-/\\-/g')
	grep -qF -- "$lit" "$man1" || bad="$bad $o"
done
check "every --help option is in sipterm(1) (missing:${bad:- none})" [ -z "$bad" ]
# events: what "wait" accepts vs ".It Cm name" in EVENTS
"$SIPTERM" -e 'help --events' -e quit -l 127.0.0.1:0 --headless --log-level error \
	2>/dev/null | sort -u > "$TEST_TMP/ev"
sed -n '/^\.Sh EVENTS/,/^\.Sh /p' "$man1" | sed -n 's/^\.It Cm \([a-z-]*\).*/\1/p' |
	sort -u > "$TEST_TMP/evman"
d=$(diff "$TEST_TMP/ev" "$TEST_TMP/evman" | grep '^[<>]' | tr '\n' ' ')
check "the events wait knows are the events of sipterm(1) (${d:-same})" [ -z "$d" ]
done_testing
