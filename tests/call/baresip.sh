#!/bin/bash
# tests/call/baresip.sh: calls between sipterm and baresip (Debian package
# baresip, 1.0.0 here), in each direction, with the audio verified.
#
# baresip runs headless from a private config dir (-f) written below: SIP on
# 127.0.0.1 only, G.711, no sound card (the microphone is the aufile module
# reading a WAV, nothing plays; the sndfile filter dumps the decoded audio to
# dump-*-dec.wav), auto-answer (account parameter answermode=auto).  It is
# driven through the ctrl_tcp module: one TCP connection carries netstring
# JSON commands ({"command":"dial","params":URI,"token":T}) and brings back
# the replies and baresip's events (CALL_ESTABLISHED, CALL_DTMF_START,
# CALL_CLOSED...), which the checks read.
#
# 1. sipterm calls baresip; both play a WAV and record; sipterm sends DTMF
#    (RFC 4733), then hangs up.
# 2. baresip calls sipterm (-A0); same audio check; baresip sends DTMF, then
#    hangs up.
# The recordings are compared with their references by tests/tools/xcorr.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"

need_cmd baresip
need_cmd sox
BS_MODS=/usr/lib/baresip/modules
for m in account g711 aufile sndfile menu ctrl_tcp; do
	[ -f "$BS_MODS/$m.so" ] || skip_all "baresip module $m.so missing in $BS_MODS"
done
[ -x "$SIPTERM" ] || { echo "Bail out! $SIPTERM not built"; exit 1; }
XCORR="$top_builddir/tests/tools/xcorr"

CORR_MIN=0.9	# normalized cross-correlation a recording must reach
SECS_MIN=2.0	# and the seconds of audio it must hold

tap_plan 25

T=$TEST_TMP
mkdir -p "$T/bs" "$T/snd"

# The audio: sipterm's microphone is 3 s of pink noise, looped by sipterm;
# baresip's is 12 s of white noise (aufile does not loop: at the end of the
# file baresip would hang up), both band-limited to the telephone band.
sox -n -r 8000 -c 1 -b 16 "$T/st.wav" synth 3 pinknoise sinc 200-3400 vol 0.5
sox -n -r 8000 -c 1 -b 16 "$T/bs.wav" synth 12 whitenoise sinc 200-3400 vol 0.4

BS_SIP=$(free_port)
BS_CTRL=$(free_port)
cat > "$T/bs/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.1:$BS_SIP
net_interface		127.0.0.1
call_local_timeout	30
call_max_calls		4
audio_source		aufile,$T/bs.wav
audio_alert		none
module_path		$BS_MODS
module			g711.so
module			aufile.so
module			sndfile.so
module			account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$BS_CTRL
snd_path		$T/snd
statmode_default	off
EOF
# no registration; auto-answer; G.711 only
echo "<sip:bob@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA" \
	> "$T/bs/accounts"

# --- helpers ---------------------------------------------------------------

listening() { ss -Hln"$1" "sport = :$2" 2>/dev/null | grep -q .; }

# bs_cmd COMMAND [PARAMS]: send a ctrl_tcp command; its reply is checked
# later by bs_reply_ok on the token (the command name plus a counter).
bs_n=0
bs_cmd() {
	bs_n=$((bs_n + 1))
	bs_tok="$1-$bs_n"
	_j="{\"command\":\"$1\",\"params\":\"${2:-}\",\"token\":\"$bs_tok\"}"
	# in a subshell that ignores SIGPIPE: a dead baresip must not kill the test
	( trap '' PIPE; printf '%d:%s,' "${#_j}" "$_j" >&3 ) 2>/dev/null
}
# bs_reply_ok TOKEN: baresip answered that command with "ok":true
bs_reply_ok() { grep -q "{\"response\":true,\"ok\":true,[^}]*\"token\":\"$1\"}" "$T/ctrl.log"; }

# bs_events FROM: baresip's events after byte FROM of the ctrl_tcp stream,
# one JSON object a line (nested objects, such as CALL_RTCP's, are cut short)
bs_events() {
	tail -c +"$(($1 + 1))" "$T/ctrl.log" | grep -o '{"event":true,"type":"[A-Z_]*"[^}]*}'
}
bs_has() { bs_events "$1" | grep -q "\"type\":\"$2\""; }
# bs_rtcp FROM: the rtcp_stats of baresip's last CALL_RTCP event (it reports
# each RTCP packet received: "rx" is what sipterm's sender report said)
bs_rtcp() {
	tail -c +"$(($1 + 1))" "$T/ctrl.log" |
		grep -o '"rtcp_stats":{"tx":{[^}]*},"rx":{[^}]*}' | tail -n 1
}
# rtcp_check DESC FROM: baresip got sipterm's RTCP, with a packet count
rtcp_check() {
	_r=$(bs_rtcp "$2")
	_n=$(printf '%s\n' "$_r" | sed -n 's/.*"rx":{"sent":\([0-9]*\).*/\1/p')
	if [ "${_n:-0}" -gt 0 ]; then
		ok "$1 ($_r)"
	else
		not_ok "$1 (${_r:-no CALL_RTCP event})"
	fi
}
ctrl_size() { stat -c %s "$T/ctrl.log"; }

# ev_line FILE EVENT [N]: sipterm's Nth (default first) JSON event of that name
ev_line() { grep "^{\"event\":\"$2\"" "$1" | sed -n "${3:-1}p"; }
# ev_field LINE KEY: a field of a JSON event line (string or number)
ev_field() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
ev_digits() { grep '^{"event":"dtmf"' "$1" | sed -n 's/.*"digit":"\([^"]*\)".*/\1/p' | tr -d '\n'; }

# audio_check DESC REF REC: one TAP line with the figures of xcorr REF REC
audio_check() {
	_d=$1 _ref=$2 _rec=$3
	if [ ! -x "$XCORR" ]; then
		not_ok "$_d: xcorr not built ($XCORR; make tests/tools/xcorr)"
		return
	fi
	if [ ! -s "$_rec" ]; then
		not_ok "$_d: no recording ($_rec)"
		return
	fi
	_out=$("$XCORR" "$_ref" "$_rec" 2>&1)
	_rc=$?
	_corr=$(printf '%s\n' "$_out" | sed -n 's/.*corr=\([-0-9.]*\).*/\1/p')
	_secs=$(printf '%s\n' "$_out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
	if [ $_rc -eq 0 ] && [ -n "$_corr" ] && [ -n "$_secs" ] &&
		awk -v c="$_corr" -v s="$_secs" -v cm="$CORR_MIN" -v sm="$SECS_MIN" \
			'BEGIN { exit !(c >= cm && s >= sm) }'; then
		ok "$_d: $_out"
	else
		not_ok "$_d: ${_out:-xcorr exit $_rc} (need corr>=$CORR_MIN seconds>=$SECS_MIN)"
	fi
}

# show FILE [LINES]: the end of a log, as TAP comments
show() { [ -f "$1" ] && tail -n "${2:-15}" "$1" | tr '\r' '\n' | sed "s|^|#   $(basename "$1"): |"; }

# the baresip recording (sndfile's decoder dump) of the call that just ended,
# once libsndfile has closed it (the RIFF size is written at close)
wav_closed() {
	[ -s "$1" ] && [ "$(od -An -tu4 -j4 -N4 "$1" | tr -d ' ')" -eq $(($(stat -c %s "$1") - 8)) ]
}
bs_recording() {
	_f=$(ls -t "$T"/snd/dump-*-dec.wav 2>/dev/null | head -n 1)
	[ -n "$_f" ] && wait_for 5 wav_closed "$_f"
	echo "$_f"
}

# --- baresip ---------------------------------------------------------------

# -t: baresip quits by itself after 40 s whatever happens to this script
spawn baresip -f "$T/bs" -t 40 < /dev/null > "$T/baresip.log" 2>&1
BS_PID=$!
if wait_for 10 listening t "$BS_CTRL" && wait_for 5 listening u "$BS_SIP" &&
	exec 3<> "/dev/tcp/127.0.0.1/$BS_CTRL"; then
	ok "baresip started (SIP 127.0.0.1:$BS_SIP, ctrl_tcp 127.0.0.1:$BS_CTRL)"
else
	not_ok "baresip started (SIP 127.0.0.1:$BS_SIP, ctrl_tcp 127.0.0.1:$BS_CTRL)"
	show "$T/baresip.log"
	echo "Bail out! no baresip"
	exit 1
fi
# (an asynchronous command's stdin is /dev/null unless redirected in it)
spawn sh -c 'exec cat <&3 > "$1"' _ "$T/ctrl.log"
CAT_PID=$!

# --- 1. sipterm calls baresip ----------------------------------------------
#
# baresip's recording of sipterm lacks the packets sipterm did not send while
# the DTMF events went out (sndfile dumps decoded packets, it does not fill
# gaps), so its audio is judged on the 2.5 s before the DTMF: the call sends
# 3 s of audio, then "123#*", then 1.5 s more, then sipterm hangs up.

ST1=$(free_port)
off=$(ctrl_size)
timeout -k 2 30 "$SIPTERM" --headless -l "127.0.0.1:$ST1" --events json \
	--play "$T/st.wav" --record "$T/st-rec1.wav" --siptrace="$T/trace1" \
	-e "call sip:bob@127.0.0.1:$BS_SIP" -e 'wait call-answered 10' \
	-e 'wait 3' -e 'dtmf 123#*' -e 'wait 1.5' -e hangup -e 'wait call-ended 5' \
	-e quit > "$T/ev1.json" 2> "$T/st1.err"
rc=$?
# baresip closes its recording when it has seen the call end
wait_for 5 bs_has "$off" CALL_CLOSED

a=$(ev_line "$T/ev1.json" call-answered)
if [ $rc -eq 0 ] && [ -n "$a" ] && [ "$(ev_field "$a" codec)" = PCMU ]; then
	ok "sipterm -> baresip: answered with PCMU, sipterm exit 0 ($a)"
else
	not_ok "sipterm -> baresip: answered with PCMU, sipterm exit 0 (exit $rc)"
	show "$T/ev1.json"; show "$T/st1.err"; show "$T/trace1" 30; show "$T/baresip.log"
fi
# (auto-answer reports no CALL_INCOMING in baresip 1.0, only the answer)
if bs_events "$off" | grep '"type":"CALL_ESTABLISHED"' | grep '"direction":"incoming"' |
	grep -q "\"peeruri\":\"sip:sipterm@127.0.0.1:$ST1\""; then
	ok "baresip: CALL_ESTABLISHED, incoming from sip:sipterm@127.0.0.1:$ST1"
else
	not_ok "baresip: CALL_ESTABLISHED, incoming from sip:sipterm@127.0.0.1:$ST1"
	bs_events "$off" | head -n 5 | sed 's/^/#   /'
fi

digits=$(bs_events "$off" | grep '"type":"CALL_DTMF_START"' |
	sed -n 's/.*"param":"\([^"]*\)".*/\1/p' | tr -d '\n')
if [ "$digits" = "123#*" ]; then
	ok "baresip received DTMF 123#* (RFC 4733, CALL_DTMF_START events)"
else
	not_ok "baresip received DTMF 123#* (RFC 4733): got '$digits'"
	grep -a 'received event\|DTMF' "$T/baresip.log" | sed 's/^/#   /' | head
fi

e=$(ev_line "$T/ev1.json" call-ended)
if [ "$(ev_field "$e" by)" = local ] && [ "$(ev_field "$e" status)" = 200 ]; then
	ok "sipterm: call-ended by local, status 200 ($e)"
else
	not_ok "sipterm: call-ended by local, status 200 (${e:-no call-ended})"
fi
if bs_has "$off" CALL_CLOSED && grep -aq "Call with sip:sipterm@127.0.0.1:$ST1 terminated" "$T/baresip.log"; then
	ok "baresip saw the call end (CALL_CLOSED: $(bs_events "$off" | grep CALL_CLOSED | sed -n 's/.*"param":"\([^"]*\)".*/\1/p'))"
else
	not_ok "baresip saw the call end"
	show "$T/baresip.log"
fi

s=$(grep '^{"event":"call-stats"' "$T/ev1.json" | tail -n 1)
r=$(ev_field "$s" received)
if [ "${r:-0}" -ge 150 ] && [ "$(ev_field "$s" lost)" = 0 ]; then
	ok "sipterm received baresip's RTP (received=$r lost=0)"
else
	not_ok "sipterm received baresip's RTP: ${s:-no call-stats}"
fi

rtcp_check "baresip received sipterm's RTCP sender reports" "$off"

rec=$(bs_recording)
if [ -n "$rec" ]; then
	mv "$rec" "$T/bs-rec1-full.wav"
	sox "$T/bs-rec1-full.wav" "$T/bs-rec1.wav" trim 0 2.5
fi
audio_check "baresip heard sipterm (2.5 s before the DTMF)" "$T/st.wav" "$T/bs-rec1.wav"
audio_check "sipterm heard baresip" "$T/bs.wav" "$T/st-rec1.wav"
rm -f "$T"/snd/*

# --- 2. baresip calls sipterm ----------------------------------------------
#
# Mirror image: 3 s of audio, baresip sends "456" (the menu's sndcode), 1.5 s
# later baresip hangs up; sipterm's recording is judged on its first 2.5 s,
# since baresip does not send audio while its DTMF events go out.

ST2=$(free_port)
spawn "$SIPTERM" --headless -l "127.0.0.1:$ST2" -A0 --events json \
	--play "$T/st.wav" --record "$T/st-rec2.wav" --siptrace="$T/trace2" \
	-e 'wait call-incoming 15' -e 'wait call-ended 20' -e quit \
	> "$T/ev2.json" 2> "$T/st2.err"
ST2_PID=$!
off=$(ctrl_size)
answered() { grep -q '^{"event":"call-answered"' "$T/ev2.json"; }
if wait_for 5 listening u "$ST2"; then
	bs_cmd dial "sip:sipterm@127.0.0.1:$ST2"
	dial_tok=$bs_tok
	wait_for 10 answered
fi
wait_for 2 bs_has "$off" CALL_ESTABLISHED
if bs_reply_ok "${dial_tok:-none}" && bs_has "$off" CALL_ESTABLISHED; then
	ok "baresip: dial accepted, CALL_ESTABLISHED"
else
	not_ok "baresip: dial accepted, CALL_ESTABLISHED"
	show "$T/ctrl.log"; show "$T/baresip.log"
fi

i=$(ev_line "$T/ev2.json" call-incoming)
if [ "$(ev_field "$i" from)" = "sip:bob@127.0.0.1" ]; then
	ok "sipterm: call-incoming from sip:bob@127.0.0.1 ($i)"
else
	not_ok "sipterm: call-incoming from sip:bob@127.0.0.1 (${i:-none})"
	show "$T/st2.err"; show "$T/trace2" 30; show "$T/baresip.log"
fi
a=$(ev_line "$T/ev2.json" call-answered)
check "sipterm: auto-answered with PCMU ($a)" [ "$(ev_field "$a" codec)" = PCMU ]

sleep 3
bs_cmd sndcode 456
sleep 1.5
bs_cmd hangup
wait_for 10 sh -c "! kill -0 $ST2_PID"
if kill -0 "$ST2_PID" 2>/dev/null; then
	not_ok "sipterm -A0 exited 0 after the call (still running)"
else
	wait "$ST2_PID"
	check "sipterm -A0 exited 0 after the call" [ $? -eq 0 ]
fi
if wait_for 3 bs_has "$off" CALL_CLOSED; then
	ok "baresip: CALL_CLOSED"
else
	not_ok "baresip: CALL_CLOSED"
	bs_events "$off" | grep -o '"type":"[A-Z_]*"' | tr '\n' ' ' | sed 's/^/#   events: /'; echo
	show "$T/baresip.log"
fi

d=$(ev_digits "$T/ev2.json")
check "sipterm received DTMF 456 from baresip (dtmf events: '$d')" [ "$d" = 456 ]
e=$(ev_line "$T/ev2.json" call-ended)
if [ "$(ev_field "$e" by)" = remote ] && [ "$(ev_field "$e" status)" = 200 ]; then
	ok "sipterm: call-ended by remote, status 200 ($e)"
else
	not_ok "sipterm: call-ended by remote, status 200 (${e:-no call-ended})"
	show "$T/ev2.json"; show "$T/trace2" 30
fi
s=$(grep '^{"event":"call-stats"' "$T/ev2.json" | tail -n 1)
r=$(ev_field "$s" received)
if [ "${r:-0}" -ge 150 ] && [ "$(ev_field "$s" lost)" = 0 ]; then
	ok "sipterm received baresip's RTP (received=$r lost=0)"
else
	not_ok "sipterm received baresip's RTP: ${s:-no call-stats}"
fi

rtcp_check "baresip received sipterm's RTCP sender reports" "$off"

rec=$(bs_recording)
[ -n "$rec" ] && mv "$rec" "$T/bs-rec2.wav"
audio_check "baresip heard sipterm" "$T/st.wav" "$T/bs-rec2.wav"
[ -s "$T/st-rec2.wav" ] && sox "$T/st-rec2.wav" "$T/st-rec2-cut.wav" trim 0 2.5
audio_check "sipterm heard baresip (2.5 s before the DTMF)" "$T/bs.wav" "$T/st-rec2-cut.wav"

# the check tells audio apart: baresip's recording is not baresip's own WAV
if [ -x "$XCORR" ] && [ -s "$T/bs-rec2.wav" ]; then
	out=$("$XCORR" "$T/bs.wav" "$T/bs-rec2.wav" 2>&1)
	c=$(printf '%s\n' "$out" | sed -n 's/.*corr=\([-0-9.]*\).*/\1/p')
	check "control: baresip's recording against its own WAV stays low ($out)" \
		awk -v c="${c:-1}" 'BEGIN { exit !(c < 0.5) }'
else
	not_ok "control: baresip's recording against its own WAV (no xcorr or recording)"
fi

# --- the end ---------------------------------------------------------------

bs_cmd quit
quit_tok=$bs_tok
wait_for 5 sh -c "! kill -0 $BS_PID"
if ! kill -0 "$BS_PID" 2>/dev/null && bs_reply_ok "$quit_tok"; then
	ok "baresip quit on the ctrl_tcp quit command"
else
	not_ok "baresip quit on the ctrl_tcp quit command"
fi
# baresip prints its warnings and errors in red
if grep -a "$(printf '\033')\[31m" "$T/baresip.log" > "$T/bs-errors"; then
	not_ok "no warning or error from baresip"
	show "$T/bs-errors"
else
	ok "no warning or error from baresip"
fi
# closing the connection ends the reader (baresip has closed its side)
exec 3>&-
wait_for 3 sh -c "! kill -0 $CAT_PID"
# every other process of this test names $T on its command line
left=$(pgrep -af "$T" | grep -v "^$$ ")
kill -0 "$CAT_PID" 2>/dev/null && left="$left ctrl_tcp reader $CAT_PID"
check "nothing left running (${left:-no process names $T})" [ -z "$left" ]
done_testing
