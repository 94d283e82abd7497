#!/bin/bash
# Screenshots of the TUI for the README, from real runs: sipterms on
# loopback, the TUI in tmux, tmux's capture (with colours) turned into
# HTML by aha and into PNG by headless Chromium: tui-start, tui-incoming,
# tui-call, tui-ladder, and tui-chat (the buddy pane and a chat window).
# Not part of make check:
#   tests/tui/screenshots.sh [SIPTERM] [OUTDIR]      (default ./sipterm, doc/)
# Needs: tmux, aha, chromium, fonts-dejavu-core (apt-get install ...).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
SIPTERM=${1:-$top/sipterm}
out=${2:-$top/doc}
for c in tmux aha chromium; do
	command -v "$c" >/dev/null || { echo "screenshots: $c is missing" >&2; exit 1; }
done
tmp=$(mktemp -d)
sock=$tmp/tmux.sock
cleanup() { tmux -S "$sock" kill-server 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$out" "$tmp/home"
export HOME=$tmp/home XDG_DATA_HOME=$tmp/home/data XDG_CONFIG_HOME=$tmp/home/cfg
T() { tmux -S "$sock" "$@"; }
cols=110 rows=30
pa=25170 pb=25172 pc=25174

# tone files for the two ends
sox -n -r 8000 -c 1 -b 16 "$tmp/a.wav" synth 4 sine 400-1200 2>/dev/null || true

shot() { # NAME
	T capture-pane -t tui -e -p > "$tmp/$1.ans"
	{
		echo '<!doctype html><meta charset="utf-8"><style>'
		echo 'body{margin:0;background:#1e1e1e}pre{margin:8px;font:15px/1.25 "DejaVu Sans Mono",monospace;color:#d0d0d0}'
		echo '</style><pre>'
		aha --no-header --black < "$tmp/$1.ans"
		echo '</pre>'
	} > "$tmp/$1.html"
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$tmp/chrome" --hide-scrollbars \
		--window-size=$((cols * 9 + 16)),$((rows * 19 + 16)) \
		--screenshot="$out/$1.png" "file://$tmp/$1.html" 2>/dev/null
	echo "wrote $out/$1.png"
}

T -f /dev/null new-session -d -s tui -x $cols -y $rows \
	"LANG=C.UTF-8 TERM=xterm-256color $SIPTERM -l 127.0.0.1:$pa --audio null"
sleep 1
T send-keys -t tui 'help call' Enter
sleep 0.5
shot tui-start

"$SIPTERM" --headless -l 127.0.0.1:$pb --play "$tmp/a.wav" \
	-e "call sip:alice@127.0.0.1:$pa" -e 'wait call-answered 10' -e 'dtmf 42#' \
	-e 'wait 6' -e hangup -e quit >/dev/null 2>&1 &
caller=$!
sleep 1.5
shot tui-incoming
T send-keys -t tui F2
sleep 3
shot tui-call
T send-keys -t tui F8
sleep 0.5
shot tui-ladder
wait "$caller"
T send-keys -t tui F8 F7
sleep 0.5

# buddies and a chat: bob (a headless sipterm fed through a FIFO) is a
# buddy, carol is away, and bob writes
mkfifo "$tmp/bob.in" "$tmp/carol.in"
XDG_DATA_HOME=$tmp/bob "$SIPTERM" --headless -l 127.0.0.1:$pb --audio null \
	< "$tmp/bob.in" >/dev/null 2>&1 &
XDG_DATA_HOME=$tmp/carol "$SIPTERM" --headless -l 127.0.0.1:$pc --audio null \
	< "$tmp/carol.in" >/dev/null 2>&1 &
exec 3> "$tmp/bob.in" 4> "$tmp/carol.in"
sleep 0.5
echo 'status away "back at 3"' >&4
T send-keys -t tui "buddy add sip:bob@127.0.0.1:$pb bob" Enter
T send-keys -t tui "buddy add sip:carol@127.0.0.1:$pc carol" Enter
sleep 1
echo "msg sip:alice@127.0.0.1:$pa Hi Alice, are you free for a call at 3?" >&3
sleep 1
T send-keys -t tui F7
sleep 0.3
T send-keys -t tui 'Sure: call me on this number, I will be at my desk.' Enter
sleep 0.5
echo "msg sip:alice@127.0.0.1:$pa Great, talk then." >&3
sleep 0.5
T send-keys -t tui 'See you'
sleep 0.5
shot tui-chat
T send-keys -t tui C-u '/quit' Enter
echo quit >&3
echo quit >&4
exec 3>&- 4>&-
sleep 1
