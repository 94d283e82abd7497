#!/bin/bash
# The terminal UI driven in tmux (send-keys, capture-pane).
#
# At 80x24, in colour and UTF-8: the start screen, the key hints (F10
# quit visible at 80 columns), Tab completion, an incoming call from a
# second sipterm that rings the bell, answered with F2, held and resumed
# with F4, muted and unmuted with F5, the SIP trace tab with F7 and its
# ladder with F8 (timestamps, the INVITE), hung up with F3; three calls
# that F6 goes through in the order of their ids; a resize to 120x40 and
# back; quit gives the terminal back and the line typed is in the
# readline history file.
# Then NO_COLOR=1 with LANG=C: no colour at all, ASCII line drawing; and
# SIGHUP (the terminal closed) ends it cleanly, SIGQUIT (Ctrl-\) kills it,
# both leaving the terminal cooked (icanon, echo).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need_cmd tmux tmux
need_cmd perl perl

tap_plan 41
export HOME=$TEST_TMP/home XDG_DATA_HOME=$TEST_TMP/home/data XDG_CONFIG_HOME=$TEST_TMP/home/cfg
mkdir -p "$HOME"
sock=$TEST_TMP/tmux.sock
T() { tmux -S "$sock" "$@"; }
at_exit 'tmux -S "$sock" kill-server 2>/dev/null'
pa=$(free_port)
pb=$(free_port)
while [ "$pb" = "$pa" ]; do pb=$(free_port); done

S=tui
screen() { T capture-pane -t "$S" -p; }
# wait_screen SECONDS REGEX: the screen shows REGEX
wait_screen() {
	_n=$(( $1 * 10 ))
	while [ $_n -gt 0 ]; do
		screen | grep -q -E -- "$2" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}
# wait_line SECONDS N REGEX: line N of the screen (1-based; -1 the last,
# -2 the one above) matches REGEX
_line() {
	if [ "$1" -lt 0 ]; then screen | tail -n $(( -$1 )) | head -n 1; else screen | sed -n "$1p"; fi
}
_line_is() { _line "$1" | grep -q -E -- "$2"; }
wait_line() { _t=$1; shift; wait_for "$_t" _line_is "$@"; }
show() { screen | sed 's/^/#   |/'; }
# check_screen DESC SECONDS REGEX: as check, with the screen shown on failure
check_screen() {
	if wait_screen "$2" "$3"; then ok "$1"; else not_ok "$1"; show; fi
}
# the current call, as the calls pane marks it
current() { screen | grep -o -E '^▶ [0-9]+' | cut -d' ' -f2; }
# the call ids in the calls pane with state REGEX
ids() { screen | grep -E -- "^(▶| ) [0-9]+ [^ ]+ $1" | sed -E 's/^(▶| ) ([0-9]+) .*/\2/'; }
_is_current() { [ "$(current)" = "$1" ]; }
# the SIP trace tab shows messages: "HH:MM:SS.mmm -> UDP ADDR:PORT  LABEL"
trace_msgs='^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} (->|<-) UDP 127\.0\.0\.1:[0-9]+  [A-Z0-9]'
_trace_plain() { screen | grep -q -E "$trace_msgs" && ! screen | grep -q 'SIP trace (ladder)'; }
# colour_sgr: the capture (with escapes) on stdin uses a colour: SGR 30-38,
# 40-48, 90-97 or 100-107 (39 and 49 are only "the default colour")
colour_sgr() {
	perl -ne 'while (/\e\[([0-9;:]*)m/g) { for (split /[;:]/, $1) {
		$c = 1 if /^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$/ } } END { exit !$c }'
}
# session NAME ENV: a session running sipterm with ENV through sh, which
# writes its pid (that of the sipterm it execs) to $TEST_TMP/NAME.pid;
# then "SIPTERM-EXITED status" on the screen and the terminal's "stty -a"
# in NAME.stty
session() {
	_name=$1 _env=$2
	T new-session -d -s "$_name" -x 80 -y 24 \
		"ulimit -c 0; sh -c 'echo \$\$ > $TEST_TMP/$_name.pid; exec env $_env $SIPTERM -l 127.0.0.1:0 --audio null'; echo SIPTERM-EXITED \$?; stty -a > $TEST_TMP/$_name.stty; sleep 30"
}
# cooked NAME: its terminal was left with icanon and echo
cooked() {
	[ -s "$TEST_TMP/$1.stty" ] &&
		grep -q -E '(^| )icanon( |$)' "$TEST_TMP/$1.stty" &&
		grep -q -E '(^| )echo( |$)' "$TEST_TMP/$1.stty"
}

T -f /dev/null new-session -d -s tui -x 80 -y 24 \
	"LANG=C.UTF-8 TERM=xterm-256color $SIPTERM -l 127.0.0.1:$pa --audio null; echo SIPTERM-EXITED \$?; sleep 30"
# 1-5. the start screen
check "the start screen shows the status bar" wait_screen 5 '^ sipterm'
check "the calls pane is there and empty" wait_screen 2 'no calls'
check "the Console tab and the key hints are there" \
	sh -c "tmux -S '$sock' capture-pane -t tui -p | grep -q 'Console' &&
	       tmux -S '$sock' capture-pane -t tui -p | grep -q 'F2 answer'"
check "the readline prompt is on the last line" wait_line 2 -1 '^sipterm>'
if wait_line 2 -2 '^ F2 answer  F3 hangup .*  F10 quit *$'; then
	ok "at 80 columns the key hints fit, F10 quit among them"
else
	not_ok "at 80 columns the key hints fit, F10 quit among them (got: $(_line -2))"
fi
# 6. colours are on here (so that the NO_COLOR check below means something)
_coloured() { T capture-pane -t "$S" -e -p | colour_sgr; }
check "in colour, the screen uses colours" _coloured

# 7. a command
T send-keys -t tui 'help dtmf' Enter
check "a typed command answers in the console" wait_screen 3 'usage: dtmf'

# 8. completion of a command
T send-keys -t tui 'sw' Tab
check "sw + Tab completes to switch" wait_line 2 -1 '^sipterm> switch *$'
T send-keys -t tui C-u

# 9-15. a second sipterm calls the TUI
bell0=$(T display -p -t tui '#{window_bell_flag}')
"$SIPTERM" --headless -l "127.0.0.1:$pb" --audio null --events json \
	-e "call sip:tui@127.0.0.1:$pa" -e 'wait call-answered 10' -e 'wait call-ended 60' \
	-e quit > "$TEST_TMP/b.out" 2> "$TEST_TMP/b.err" &
bpid=$!
test_pids="$test_pids $bpid"
check_screen "the incoming call shows in the calls pane" 5 '^▶ 1 ← INCOMING'
bell=$(T display -p -t tui '#{window_bell_flag}')
check "it rings the terminal's bell (tmux's bell flag: $bell0, then $bell)" \
	[ "$bell0$bell" = 01 ]
T send-keys -t tui F2
check_screen "F2 answers it" 5 '^▶ 1 ← talking'
check "the caller saw the answer" wait_for 5 grep -q call-answered "$TEST_TMP/b.out"

T send-keys -t tui F4
check_screen "F4 holds the call: on hold in the calls pane" 5 '^▶ 1 ← on hold'
# (the notice of the answer holds the hint line for 6 s)
check "and the hint says F4 resume" wait_line 8 -2 ' F4 resume .* F10 quit'
check "the caller saw the hold" \
	wait_for 5 grep -q '"event":"call-held".*"by":"remote"' "$TEST_TMP/b.out"
T send-keys -t tui F4
check_screen "F4 again resumes it: talking" 5 '^▶ 1 ← talking'
check "the caller saw the resume" \
	wait_for 5 grep -q '"event":"call-resumed".*"by":"remote"' "$TEST_TMP/b.out"

T send-keys -t tui F5
check_screen "F5 mutes the call: muted in the calls pane" 3 '^▶ 1 ← muted'
check "and the hint says F5 unmute" wait_line 2 -2 ' F5 unmute .* F10 quit'
T send-keys -t tui F5
check_screen "F5 again unmutes it: talking" 3 '^▶ 1 ← talking'

# 21-24. the SIP trace tab and its ladder
T send-keys -t tui F7
check_screen "F7 shows the SIP trace tab (messages with their time)" 3 "$trace_msgs"
T send-keys -t tui F7
check_screen "F7 again goes back to the Console" 3 '^[0-9:]{8} > unmute$'
T send-keys -t tui F8
if wait_screen 3 'SIP trace \(ladder\)' &&
	wait_screen 1 '^[0-9]{2}:[0-9]{2}\.[0-9]{3} *│.*INVITE \(SDP\)' &&
	wait_screen 1 '^[0-9]{2}:[0-9]{2}\.[0-9]{3} *│.*200 OK'; then
	ok "F8 draws the ladder: the INVITE and its 200 OK with timestamps"
else
	not_ok "F8 draws the ladder: the INVITE and its 200 OK with timestamps"
	show
fi
T send-keys -t tui F8
check "F8 again shows the messages" wait_for 3 _trace_plain
T send-keys -t tui F7

# 25-26. hang up
T send-keys -t tui F3
check_screen "F3 hangs up" 5 'call 1 ended'
wait "$bpid"
check "the caller saw the call end" grep -q '"by":"remote"' "$TEST_TMP/b.out"

# 27-30. three calls: F6 goes through them in the order of their ids,
# from the current one on, wrapping around
"$SIPTERM" --headless -l "127.0.0.1:$pb" --audio null --events json \
	-e "call sip:tui@127.0.0.1:$pa" -e "call sip:tui@127.0.0.1:$pa" \
	-e "call sip:tui@127.0.0.1:$pa" -e 'wait 60' -e quit \
	> "$TEST_TMP/c.out" 2> "$TEST_TMP/c.err" &
cpid=$!
test_pids="$test_pids $cpid"
_three() { [ "$(ids INCOMING | wc -l)" -eq 3 ]; }
if wait_for 5 _three; then
	set -- $(ids INCOMING)
	ok "three calls ring: $*"
	T send-keys -t tui "switch $2" Enter
	wait_for 3 _is_current "$2"
	seq=""
	for k in 1 2 3; do
		prev=$(current)
		T send-keys -t tui F6
		_moved() { [ "$(current)" != "$prev" ]; }
		wait_for 2 _moved
		seq="$seq $(current)"
	done
	check "F6 from call $2 makes $3, then $1, then $2 current (got:$seq)" \
		[ "$seq" = " $3 $1 $2" ]
else
	not_ok "three calls ring"
	show
	not_ok "F6 goes through the calls"
fi
T send-keys -t tui 'hangup all' Enter
check_screen "hangup all ends them" 5 'no calls'
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null

# 31-32. resize
T resize-window -t tui -x 120 -y 40 2>/dev/null || T resize-pane -t tui -x 120 -y 40
sleep 0.5
check "after a resize to 120x40 the layout fills the new size" \
	sh -c "tmux -S '$sock' capture-pane -t tui -p | tail -1 | grep -q '^sipterm>' &&
	       [ \$(tmux -S '$sock' capture-pane -t tui -p | wc -l) -ge 40 ]"
T resize-window -t tui -x 80 -y 24 2>/dev/null || T resize-pane -t tui -x 80 -y 24
sleep 0.5
check "and back to 80x24 it is redrawn" \
	sh -c "tmux -S '$sock' capture-pane -t tui -p | head -1 | grep -q '^ sipterm' &&
	       tmux -S '$sock' capture-pane -t tui -p | tail -1 | grep -q '^sipterm>'"

# 33-34. quit
T send-keys -t tui 'quit' Enter
check "quit restores the terminal (the UI is gone, exit status 0)" \
	sh -c "for i in \$(seq 50); do s=\$(tmux -S '$sock' capture-pane -t tui -p);
	       echo \"\$s\" | grep -q 'SIPTERM-EXITED 0' && ! echo \"\$s\" | grep -q 'F2 answer' && exit 0;
	       sleep 0.1; done; exit 1"
check "the readline history file holds the lines typed" \
	grep -q -x 'help dtmf' "$XDG_DATA_HOME/sipterm/history"

# 35-38. NO_COLOR=1 and LANG=C: no colour, ASCII only; then SIGHUP
S=plain
session plain "NO_COLOR=1 LANG=C TERM=xterm-256color"
check_screen "NO_COLOR=1 LANG=C: the start screen shows" 5 '^-- Calls ---'
if T capture-pane -t plain -e -p | colour_sgr; then
	not_ok "NO_COLOR: no colour escape anywhere on the screen"
	T capture-pane -t plain -e -p | grep -m 3 -n -P '\e\[[0-9;]*(3[0-8]|4[0-8])m' | cat -v |
		sed 's/^/#   /'
else
	ok "NO_COLOR: no colour escape anywhere on the screen"
fi
check "LANG=C: ASCII only (line drawing with - and |)" \
	sh -c "tmux -S '$sock' capture-pane -t plain -p | grep -q '^ sipterm | direct mode' &&
	       ! tmux -S '$sock' capture-pane -t plain -p | LC_ALL=C grep -q '[^ -~]'"
kill -HUP "$(cat "$TEST_TMP/plain.pid")"
check_screen "SIGHUP ends it cleanly (exit status 0)" 6 'SIPTERM-EXITED 0'
check "and gives the terminal back cooked (icanon, echo)" wait_for 2 cooked plain

# 39-41. SIGQUIT (Ctrl-\): the terminal is restored, then the usual death
S=quit
session quit "LANG=C.UTF-8 TERM=xterm-256color"
check_screen "another TUI starts" 5 '^ sipterm'
kill -QUIT "$(cat "$TEST_TMP/quit.pid")"
check_screen "SIGQUIT kills it (status 131)" 5 'SIPTERM-EXITED 131'
check "and the terminal is cooked again (icanon, echo)" wait_for 2 cooked quit
done_testing
