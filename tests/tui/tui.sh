#!/bin/bash
# The terminal UI driven in tmux (send-keys, capture-pane): the start
# screen at 80x24, an incoming call from a second sipterm shown and
# answered with the F2 hotkey, hangup with F3, a resize to 120x40 and
# back, and a quit that gives the terminal back.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
need_cmd tmux tmux

tap_plan 14
export HOME=$TEST_TMP/home XDG_DATA_HOME=$TEST_TMP/home/data XDG_CONFIG_HOME=$TEST_TMP/home/cfg
mkdir -p "$HOME"
sock=$TEST_TMP/tmux.sock
T() { tmux -S "$sock" "$@"; }
at_exit 'tmux -S "$sock" kill-server 2>/dev/null'
pa=$(free_port)
pb=$(free_port)

screen() { T capture-pane -t tui -p; }
# wait_screen SECONDS REGEX: the screen shows REGEX
wait_screen() {
	_n=$(( $1 * 10 ))
	while [ $_n -gt 0 ]; do
		screen | grep -q -- "$2" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

T -f /dev/null new-session -d -s tui -x 80 -y 24 \
	"LANG=C.UTF-8 TERM=xterm-256color $SIPTERM -l 127.0.0.1:$pa --audio null; echo SIPTERM-EXITED \$?; sleep 30"
check "the start screen shows the status bar" wait_screen 5 '^ sipterm'
check "the calls pane is there and empty" wait_screen 2 'no calls'
check "the Console tab and the key hints are there" \
	sh -c "tmux -S '$sock' capture-pane -t tui -p | grep -q 'Console' &&
	       tmux -S '$sock' capture-pane -t tui -p | grep -q 'F2 answer'"
check "the readline prompt is on the last line" \
	sh -c "tmux -S '$sock' capture-pane -t tui -p | tail -1 | grep -q '^sipterm>'"
# characters, not bytes: the box drawing is UTF-8
fits() {
	screen | while IFS= read -r l; do [ "${#l}" -le 80 ] || exit 1; done
}
check "it fits in 80 columns" env LC_ALL=C.UTF-8 bash -c "$(declare -f screen T fits); sock='$sock'; fits"

T send-keys -t tui 'help dtmf' Enter
check "a typed command answers in the console" wait_screen 3 'usage: dtmf'

# a second sipterm calls the TUI
"$SIPTERM" --headless -l "127.0.0.1:$pb" --audio null --events json \
	-e "call sip:tui@127.0.0.1:$pa" -e 'wait call-answered 10' -e 'wait call-ended 20' \
	-e quit > "$TEST_TMP/b.out" 2> "$TEST_TMP/b.err" &
bpid=$!
test_pids="$test_pids $bpid"
check "the incoming call shows in the calls pane" wait_screen 5 'INCOMING'
T send-keys -t tui F2
check "F2 answers it" wait_screen 5 'talking'
check "the caller saw the answer" wait_for 5 grep -q call-answered "$TEST_TMP/b.out"
T send-keys -t tui F3
check "F3 hangs up" wait_screen 5 'call 1 ended'
wait "$bpid"
check "the caller saw the call end" grep -q '"by":"remote"' "$TEST_TMP/b.out"

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

T send-keys -t tui 'quit' Enter
check "quit restores the terminal (the UI is gone, exit status 0)" \
	sh -c "for i in \$(seq 50); do s=\$(tmux -S '$sock' capture-pane -t tui -p);
	       echo \"\$s\" | grep -q 'SIPTERM-EXITED 0' && ! echo \"\$s\" | grep -q 'F2 answer' && exit 0;
	       sleep 0.1; done; exit 1"
done_testing
