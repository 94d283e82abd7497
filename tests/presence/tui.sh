#!/bin/bash
# tests/presence/tui.sh: the buddy pane of the terminal UI, driven in tmux
# at 100x30 (the pane shows from 100 columns on).
#
# A buddy added by typing "buddy add" is shown with its name; a second,
# headless sipterm (direct mode) changes its status and the pane follows:
# ● open, ◐ open with an activity (and "activity: note" below), ○ closed
# (with the note), ? unknown once the buddy has quit.  The pane's title
# shows our own status.  Quitting gives the terminal back.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/presence/pres.sh"

pres_need
need_cmd tmux tmux
need_cmd perl perl

tap_plan 12
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
# the line under bob's in the pane
below_bob() { pane | grep -A1 -- '. bob$' | sed -n 2p; }
show_pane() { pane | sed -n '1,8p' | sed 's/^/#   |/'; }

# 1. the other side, and the TUI
pres_start b "$pb" 40
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
	pres_cmd b "$_c"
	if wait_pane 2 "$@"; then
		ok "$_d"
	else
		not_ok "$_d"
		show_pane
	fi
}
# 3-8
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

# 9. bob quits: unknown
pres_quit b
if wait_pane 3 '^│ ? bob$'; then
	ok "bob quit: ? bob (unknown)"
else
	not_ok "bob quit: ? bob (unknown)"
	show_pane
fi

# 10. it all fits: no line wider than the terminal
fits() {
	screen | perl -CSD -ne 'BEGIN { $w = shift } chomp; exit 1 if length($_) > $w' "$COLS"
}
check "every line fits in $COLS columns" fits

# 11. quit
T send-keys -t tui 'quit' Enter
_exited() { screen | grep -q 'SIPTERM-EXITED 0' && ! screen | grep -q 'Buddies (you'; }
check "quit restores the terminal (the UI is gone, exit status 0)" wait_for 5 _exited

# 12.
T kill-server 2>/dev/null
sleep 0.2
left=$(leftovers)
check "nothing left running${left:+ (}${left}${left:+)}" [ -z "$left" ]
done_testing
