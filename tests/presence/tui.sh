#!/bin/bash
# tests/presence/tui.sh: the buddy pane of the terminal UI, driven in tmux
# at 100x30 (the pane shows from 100 columns on).
#
# A buddy added by typing "buddy add" is shown with its name; a second,
# headless sipterm (direct mode) changes its status and the pane follows:
# ● open, ◐ open with an activity (and "activity: note" below), ○ closed
# (with the note), ? unknown once the buddy has quit.  The pane's title
# shows our own status.  Tab completes the buddy's name.
#
# The chat window: a message from the buddy shows as an unread count in
# the tab ("bob (1)"); F7 opens it: the message with its HH:MM time.
# Typing there tells the buddy (is-composing "active"), and emptying the
# line or 15 s without a key tells it "idle" (RFC 3994).  A reply typed
# in the window shows [sending] while the buddy does not answer (stopped
# with SIGSTOP), then loses the marker once delivered, and the buddy gets
# it.  Quitting gives the terminal back; after a restart, "chat ADDRESS"
# opens the window with the history.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/presence/pres.sh"

fifo_need
need_cmd tmux tmux
need_cmd perl perl

tap_plan 25
sock=$TEST_TMP/tmux.sock
T() { tmux -S "$sock" "$@"; }
at_exit 'tmux -S "$sock" kill-server 2>/dev/null'
pa=$(free_port) && pb=$(free_port)
while [ "$pb" = "$pa" ]; do pb=$(free_port); done
B=sip:bob@127.0.0.1:$pb
COLS=100 BW=26

screen() { T capture-pane -t tui -p; }
# the buddy pane: the last BW columns (characters, not bytes)
pane() {
	screen | perl -CSD -ne 'BEGIN { $x = shift } chomp; print length($_) > $x ? substr($_, $x) : "", "\n"' \
		$((COLS - BW))
}
# wait_pane SECONDS REGEX...: the pane shows every REGEX (each on a line)
_pane_has() {
	_p=$(pane)
	for _r in "$@"; do printf '%s\n' "$_p" | grep -q -- "$_r" || return 1; done
}
wait_pane() {
	_s=$1; shift
	wait_for "$_s" _pane_has "$@"
}
# the main area: the columns left of the pane
main() {
	screen | perl -CSD -ne 'BEGIN { $x = shift } chomp; print substr($_, 0, $x), "\n"' \
		$((COLS - BW))
}
_main_has() {
	_m=$(main)
	for _r in "$@"; do printf '%s\n' "$_m" | grep -q -E -- "$_r" || return 1; done
}
wait_main() {
	_s=$1; shift
	wait_for "$_s" _main_has "$@"
}
show_main() { main | sed 's/^/#   |/'; }
# the last line of the screen (the prompt) matches REGEX
_prompt_is() { screen | tail -n 1 | grep -q -E -- "$1"; }
# the line of the main area that holds TEXT
main_line() { main | grep -F -- "$1" | tail -n 1; }
# the line under bob's in the pane
below_bob() { pane | grep -A1 -- '. bob$' | sed -n 2p; }
show_pane() { pane | sed -n '1,8p' | sed 's/^/#   |/'; }

# 1. the other side, and the TUI
pres_start b "$pb" 120
T -f /dev/null new-session -d -s tui -x $COLS -y 30 \
	"LANG=C.UTF-8 TERM=xterm-256color XDG_DATA_HOME=$TEST_TMP/tui.data $SIPTERM -l 127.0.0.1:$pa --audio null; echo SIPTERM-EXITED \$?; sleep 30"
check "at ${COLS}x30 the buddy pane shows, with our status and the hint" \
	wait_pane 5 '^│ Buddies (you: online)' '^│ buddy add URI NAME'

# 2. a buddy typed in
T send-keys -t tui "buddy add $B bob" Enter
if wait_pane 3 '^│ ● bob$'; then
	ok "the buddy added is shown open: ● bob"
else
	not_ok "the buddy added is shown open: ● bob"
	show_pane
fi

# step N DESC COMMAND REGEX...: bob runs COMMAND, the pane shows REGEX
step() {
	_d=$1 _c=$2; shift 2
	fifo_cmd b "$_c"
	if wait_pane 2 "$@"; then
		ok "$_d"
	else
		not_ok "$_d"
		show_pane
	fi
}
# 3-7
step "bob away with a note: ◐ bob, 'away: at lunch' below" 'status away "at lunch"' \
	'^│ ◐ bob$' '^│   away: at lunch$'
step "bob busy: ◐ bob, 'busy: in a meeting'" 'status busy in a meeting' \
	'^│ ◐ bob$' '^│   busy: in a meeting$'
step "bob offline: ○ bob, the note alone" 'status offline gone home' \
	'^│ ○ bob$' '^│   gone home$'
step "bob online again: ● bob" 'status online' '^│ ● bob$'
l=$(below_bob)
case $l in
"│"*[![:space:]]*) not_ok "and no activity or note line under him (got: $l)" ;;
*) ok "and no activity or note line under him" ;;
esac

# 8. our own status in the pane's title
T send-keys -t tui 'status busy' Enter
check "our own status shows in the pane's title: Buddies (you: busy)" \
	wait_pane 2 '^│ Buddies (you: busy)'

# 9. Tab completes the buddy's name
T send-keys -t tui 'msg b' Tab
check "msg b + Tab completes the buddy's name: msg bob" wait_for 2 _prompt_is '^sipterm> msg bob *$'
T send-keys -t tui C-u

# 10-13. a message from bob: the unread count, then F7 shows it
fifo_cmd b "msg sip:tui@127.0.0.1:$pa hello from bob"
if wait_for 5 _main_has '│ bob \(1\) │'; then
	ok "a message from bob: his tab shows 'bob (1)'"
else
	not_ok "a message from bob: his tab shows 'bob (1)'"
	show_main
fi
T send-keys -t tui F7
if wait_main 3 '^[0-9]{2}:[0-9]{2} bob +hello from bob *$'; then
	ok "F7 opens his chat window: 'HH:MM bob  hello from bob'"
else
	not_ok "F7 opens his chat window: 'HH:MM bob  hello from bob'"
	show_main
fi
check "and the count is gone from the tab" _main_has '│ bob │'
_hints_back() { screen | tail -n 2 | head -n 1 | grep -q ' F2 answer .* F10 quit'; }
check "and the notice of his message gives way to the key hints" _hints_back

# 14-17. typing in the window: is-composing active, then idle
T send-keys -t tui 'abc'
check "typing in the window tells bob: composing active" \
	fifo_wait_count 5 b '.event == "composing" and .state == "active"' 1
T send-keys -t tui C-u
check "emptying the line tells him: composing idle" \
	fifo_wait_count 5 b '.event == "composing" and .state == "idle"' 1
T send-keys -t tui 'x'
fifo_wait_count 5 b '.event == "composing" and .state == "active"' 2
t0=$(date +%s)
if fifo_wait_count 25 b '.event == "composing" and .state == "idle"' 2; then
	dt=$(( $(date +%s) - t0 ))
	check "after about 15 s without a key, idle too (${dt}s)" [ "$dt" -ge 12 -a "$dt" -le 20 ]
else
	not_ok "after about 15 s without a key, idle too"
	fifo_dump b
fi
check "the line typed is still there" _prompt_is '^sipterm> x$'
T send-keys -t tui C-u

# 18-20. a reply: [sending] while bob does not answer, then delivered
bsip=$(pgrep -P "$(fifo_pid b)" | head -n 1)
at_exit "kill -CONT $bsip 2>/dev/null"
kill -STOP "$bsip"
T send-keys -t tui 'reply from tui' Enter
if wait_main 3 '^[0-9]{2}:[0-9]{2} me +reply from tui +\[sending\]'; then
	ok "the reply shows in the window as [sending] while bob is stopped"
else
	not_ok "the reply shows in the window as [sending] while bob is stopped"
	show_main
fi
kill -CONT "$bsip"
_delivered() { main_line 'reply from tui' | grep -q -E '^[0-9]{2}:[0-9]{2} me +reply from tui *$'; }
if wait_for 8 _delivered; then
	ok "once bob answers, the marker goes: delivered"
else
	not_ok "once bob answers, the marker goes: delivered"
	show_main
fi
check "bob got the reply" fifo_wait_count 5 b \
	'.event == "message" and .direction == "in" and .text == "reply from tui"' 1

# 21. bob quits: unknown
fifo_quit b
if wait_pane 3 '^│ ? bob$'; then
	ok "bob quit: ? bob (unknown)"
else
	not_ok "bob quit: ? bob (unknown)"
	show_pane
fi

# 22. it all fits: no line wider than the terminal
fits() {
	screen | perl -CSD -ne 'BEGIN { $w = shift } chomp; exit 1 if length($_) > $w' "$COLS"
}
check "every line fits in $COLS columns" fits

# 23. quit: in a chat window, a line starting with / is a command
T send-keys -t tui '/quit' Enter
_exited() { screen | grep -q 'SIPTERM-EXITED 0' && ! screen | grep -q 'Buddies (you'; }
check "quit restores the terminal (the UI is gone, exit status 0)" wait_for 5 _exited

# 24. a restart: the chat window shows the history again
T kill-session -t tui
T -f /dev/null new-session -d -s tui -x $COLS -y 30 \
	"LANG=C.UTF-8 TERM=xterm-256color XDG_DATA_HOME=$TEST_TMP/tui.data $SIPTERM -l 127.0.0.1:$pa --audio null; echo SIPTERM-EXITED \$?; sleep 30"
wait_for 5 _prompt_is '^sipterm>'
T send-keys -t tui "chat sip:sipterm@127.0.0.1:$pb" Enter
if wait_main 5 '^[0-9]{2}:[0-9]{2} bob +hello from bob *$' \
	'^[0-9]{2}:[0-9]{2} me +reply from tui *$'; then
	ok "after a restart, 'chat' opens the window with both messages"
else
	not_ok "after a restart, 'chat' opens the window with both messages"
	show_main
fi
T send-keys -t tui '/quit' Enter
wait_for 5 _exited

# 25.
T kill-server 2>/dev/null
sleep 0.2
left=$(leftovers)
check "nothing left running${left:+ (}${left}${left:+)}" [ -z "$left" ]
done_testing
