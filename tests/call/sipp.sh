#!/bin/bash
# tests/call/sipp.sh: sipterm's calls against SIPp, both ways, on 127.0.0.1.
#
# SIPp calls the headless answering service (sipterm --headless -A0 --play
# greeting.wav --record DIR): a call with RTP both ways, CANCEL while it
# rings, hold and resume by re-INVITE, a batch of calls with 20 % of the
# SIP messages lost, a delayed offer, an offer sipterm cannot take (488),
# an intercom call (Call-Info answer-after, honoured per account), a call
# cut by --max-call-secs,
# and DTMF by INFO.  Then sipterm calls SIPp UASes: answered and hung up
# with a BYE, busy (486), redirected (302), cancelled while ringing, and
# early media (183 with SDP) before the answer.
#
# Media: SIPp 3.6.1 streams a raw G.711 file made with sox (rtp_stream);
# play_pcap_audio works too, but the only stock pcap (g711a.pcap) carries
# silence, while a tone can be found in sipterm's recording.  SIPp cannot
# report the RTP it received, so that direction goes through -rtp_echo:
# sipterm's own 1000 Hz greeting must come back to it.
#
# The scenarios are in tests/call/sipp/.  Every sipterm gets its own HOME
# and XDG directories in TEST_TMP and listens on 127.0.0.1 port 0 (the
# port it got is read from its log); every SIPp gets -p and -cp (and -mp
# when it does media) from free_port: SIPp's defaults (5060, 8888, 6000)
# would collide with parallel tests.  SIPTERM_KEEP_TMP=1 keeps the traces
# (NAME.ev events, NAME.err log, NAME.trace SIP trace of sipterm; NAME.msg,
# NAME.err.sipp, NAME.out of SIPp).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/call/sipp-lib.sh"

need_cmd sipp sip-tester
need_cmd sox sox
need_cmd ss iproute2
need_cmd timeout coreutils

SCEN=$top_srcdir/tests/call/sipp
ST_RECORD=1   # every sipterm records what it hears

tap_plan 38

if [ ! -x "$SIPTERM" ]; then
	echo "Bail out! $SIPTERM not built"
	exit 1
fi

# The audio: SIPp streams raw G.711 u-law (rtp_stream reads the payload
# as is), sipterm plays a WAV.  Different tones tell the directions apart.
if ! sox -n -r 8000 -c 1 -e u-law -t raw "$TEST_TMP/tone.pcmu" synth 2 sine 440 vol 0.5 ||
	! sox -n -r 8000 -c 1 -e u-law -t raw "$TEST_TMP/early.pcmu" synth 1 sine 440 vol 0.5 ||
	! sox -n -r 8000 -c 1 -b 16 "$TEST_TMP/greeting.wav" synth 2 sine 1000 vol 0.5; then
	echo "Bail out! sox cannot make the test audio"
	exit 1
fi

# ------------------------------------------------------------------
# sipterm (the rest: tests/call/sipp-lib.sh)

# ev_field NAME EVENT FIELD: the number FIELD of the last EVENT
ev_field() {
	grep -F "\"event\":\"$2\"" "$TEST_TMP/$1.ev" 2>/dev/null | tail -n 1 |
		sed -n "s/.*\"$3\":\\([-0-9.]*\\).*/\\1/p"
}

# tone_rms WAV LO-HI: RMS amplitude (0..1) of WAV in that band (Hz)
tone_rms() {
	sox "$1" -n sinc "$2" stat 2>&1 | awk '/^RMS +amplitude/ { print $3 }'
}

# has_tone WAV LO-HI: the band carries the tone (RMS above 0.1 for a sine
# at 0.5 of full scale, whose RMS is 0.35), and is ten times louder than
# the other test tone's band (OTHER LO-HI)
has_tone() {
	[ -s "$1" ] || return 1
	_in=$(tone_rms "$1" "$2")
	_out=$(tone_rms "$1" "$3")
	diag "$(basename "$1"): RMS $_in in $2 Hz, $_out in $3 Hz"
	awk -v i="${_in:-0}" -v o="${_out:-1}" 'BEGIN { exit !(i > 0.1 && i > 10 * o) }'
}

# ==================================================================
# SIPp calls sipterm
# ==================================================================

# --- 1-3: a call with RTP both ways (SIPp's rtp_stream), BYE from SIPp
if st_start basic 60 -A0 --play "$TEST_TMP/greeting.wav"; then
	sipp_run basic uac-stream "127.0.0.1:$ST_PORT" -mp "$(free_port)" -d 2200
	r=$?
	sleep 0.3
	st_stop basic
else
	r=1
fi
result "SIPp call with rtp_stream: INVITE, 200 (PCMU, sendrecv), ACK, BYE, 200" $r \
	sipp_diag basic st_diag basic
rx=$(ev_field basic call-stats received)
wav=$(ls "$TEST_TMP"/basic.rec/*.wav 2>/dev/null | head -n 1)
diag "sipterm received ${rx:-no} RTP packets from SIPp's stream (100 sent)"
r=1
[ "${rx:-0}" -ge 80 ] && has_tone "$wav" 400-480 950-1050 && r=0
result "sipterm received SIPp's RTP and recorded its 440 Hz tone" $r st_diag basic
r=1
ev basic '"event":"call-answered","call":1,.*"codec":"PCMU"' &&
	ev basic '"event":"call-ended","call":1,"status":200,"reason":"[^"]*","by":"remote"' &&
	[ "$ST_RC" = 0 ] && r=0
result "sipterm: call-answered (PCMU), call-ended 200 by remote, exit 0 on SIGTERM" $r \
	st_diag basic

# --- 4-5: sipterm's RTP reaches SIPp: SIPp's RTP echo sends it back
if st_start echo 60 -A0 --play "$TEST_TMP/greeting.wav"; then
	sipp_run echo uac-call "127.0.0.1:$ST_PORT" -mp "$(free_port)" -rtp_echo -d 2200
	r=$?
	sleep 0.3
	st_stop echo
else
	r=1
fi
result "SIPp call with RTP echo: INVITE, 200, ACK, BYE, 200" $r sipp_diag echo st_diag echo
rx=$(ev_field echo call-stats received)
tx=$(ev_field echo call-stats sent)
wav=$(ls "$TEST_TMP"/echo.rec/*.wav 2>/dev/null | head -n 1)
diag "sipterm sent ${tx:-no} RTP packets, got ${rx:-no} back from SIPp's echo"
r=1
[ "${rx:-0}" -ge 80 ] && has_tone "$wav" 950-1050 400-480 && r=0
result "SIPp received sipterm's RTP: its 1000 Hz greeting came back through the echo" $r \
	st_diag echo

# --- 6-7: CANCEL while it rings
if st_start cancel 60 -A3; then
	sipp_run cancel uac-cancel "127.0.0.1:$ST_PORT" -mp "$(free_port)"
	r=$?
	st_stop cancel
else
	r=1
fi
result "CANCEL while ringing: 180, CANCEL, 200, 487, ACK" $r sipp_diag cancel st_diag cancel
r=1
ev cancel '"event":"call-incoming","call":1' &&
	ev cancel '"event":"call-ended","call":1,"status":487,"reason":"[^"]*","by":"remote"' &&
	! ev cancel '"event":"call-answered"' && r=0
result "sipterm: call-incoming, then call-ended 487 by remote, never answered" $r \
	st_diag cancel

# --- Call-Info answer-after (an intercom call): honoured only for an
# account with answer_after = yes, and then after the delay asked for
printf '[account answer]\nuri = sip:answer@127.0.0.1\nregister = no\nanswer_after = yes\n' \
	>"$TEST_TMP/aa-yes.conf"
printf '[account answer]\nuri = sip:answer@127.0.0.1\nregister = no\n' >"$TEST_TMP/aa-no.conf"
if st_start aa 60 -f "$TEST_TMP/aa-yes.conf"; then
	sipp_run aa uac-answer-after "127.0.0.1:$ST_PORT" -mp "$(free_port)" -d 300
	r=$?
	st_stop aa
else
	r=1
fi
# milliseconds from the 180 sipterm sent to its 200
gap=$(awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]+ UDP send/ { split($1, t, /[:.]/)
		ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]; getline l
		if (l ~ /^SIP\/2.0 180/) r = ms; else if (l ~ /^SIP\/2.0 200/ && r != "" && a == "") a = ms }
	END { if (a != "") print a - r }' "$TEST_TMP/aa.trace")
[ $r = 0 ] && [ -n "$gap" ] && [ "$gap" -ge 900 ] && [ "$gap" -le 1600 ] || r=1
result "Call-Info answer-after=1 with answer_after = yes: 180, then 200 after ${gap:-?} ms, no -A needed" \
	$r sipp_diag aa st_diag aa
if st_start aano 60 -f "$TEST_TMP/aa-no.conf"; then
	sipp_call_bg aano uac-answer-after "127.0.0.1:$ST_PORT" 25
	sleep 2.5
	r=1
	ev aano '"event":"call-incoming","call":1' && ! ev aano '"event":"call-answered"' && r=0
	st_stop aano
	sipp_wait aano && r=1 # SIPp must not have got its 200
else
	r=1
fi
result "Call-Info answer-after without answer_after = yes: it rings and is not answered" $r \
	sipp_diag aano st_diag aano

# --- --max-call-secs 2: the answering service hangs up after 2 s
if st_start maxs 60 -A0 --max-call-secs 2; then
	st_call maxc "call sip:x@127.0.0.1:$ST_PORT" 'wait call-answered 5' 'wait call-ended 6' quit
	rc_maxc=$ST_RC
	st_stop maxs
else
	rc_maxc=1
fi
d=$(ev_field maxc call-ended duration)
r=1
[ "$rc_maxc" = 0 ] && ev maxc '"event":"call-ended","call":1,"status":200,"reason":"BYE","by":"remote"' &&
	ev maxs '"event":"call-ended","call":1,"status":200,"reason":"maximum call duration","by":"local"' &&
	[ -n "$d" ] && [ "${d%.*}" -ge 1 ] && [ "${d%.*}" -le 3 ] && r=0
result "--max-call-secs 2: the service hangs up (reason 'maximum call duration'), the call lasted ${d:-?} s" \
	$r st_diag maxs st_diag maxc

# --- 8-9: hold and resume by re-INVITE from SIPp
if st_start hold 60 -A0 --play "$TEST_TMP/greeting.wav"; then
	sipp_run hold uac-hold "127.0.0.1:$ST_PORT" -mp "$(free_port)" -rtp_echo
	r=$?
	st_stop hold
else
	r=1
fi
result "re-INVITE sendonly answered recvonly, re-INVITE sendrecv answered sendrecv" $r \
	sipp_diag hold st_diag hold
r=1
ev_order hold '"event":"call-held","call":1,"by":"remote"' \
	'"event":"call-resumed","call":1,"by":"remote"' &&
	ev hold '"event":"call-ended","call":1,"status":200' && r=0
result "sipterm: call-held by remote, then call-resumed by remote" $r st_diag hold

# --- 10-11: 20 % of SIP messages lost: retransmissions recover every call
lost_calls=5
if st_start lost 60 -A0; then
	sipp_run lost uac-call "127.0.0.1:$ST_PORT" -mp "$(free_port)" -rtp_echo -d 300 \
		-lost 20 -m $lost_calls -l $lost_calls -r 10
	r=$?
	sleep 0.3
	st_stop lost
else
	r=1
fi
result "-lost 20: all $lost_calls calls complete (SIP retransmissions recover)" $r \
	sipp_diag lost st_diag lost
n=$(grep -c '"event":"call-ended",.*"status":200,"reason":"[^"]*","by":"remote"' \
	"$TEST_TMP/lost.ev" 2>/dev/null)
drops=$(grep -c 'message.* lost' "$TEST_TMP/lost.msg" 2>/dev/null)
diag "SIPp dropped ${drops:-0} SIP messages; sipterm saw ${n:-0} calls end with a BYE"
r=1
[ "${n:-0}" = $lost_calls ] && r=0
result "sipterm: $lost_calls calls answered and ended by the BYE despite the losses" $r \
	st_diag lost

# --- 12-13: delayed offer: sipterm offers in the 200, SIPp answers in the ACK
if st_start delayed 60 -A0 --play "$TEST_TMP/greeting.wav"; then
	sipp_run delayed uac-delayed-offer "127.0.0.1:$ST_PORT" -mp "$(free_port)" -rtp_echo \
		-d 1200
	r=$?
	sleep 0.3
	st_stop delayed
else
	r=1
fi
result "INVITE without SDP: offer in the 200, answer in the ACK, BYE" $r \
	sipp_diag delayed st_diag delayed
rx=$(ev_field delayed call-stats received)
diag "sipterm got ${rx:-no} RTP packets back from the address of the ACK's answer"
r=1
ev delayed '"event":"call-answered","call":1' && [ "${rx:-0}" -ge 30 ] && r=0
result "sipterm: call-answered and RTP to (and back from) the answer in the ACK" $r \
	st_diag delayed

# --- 14-15: an offer with no codec sipterm has: 488
if st_start badcodec 60 -A0; then
	sipp_run badcodec uac-bad-codec "127.0.0.1:$ST_PORT" -mp "$(free_port)"
	r=$?
	st_stop badcodec
else
	r=1
fi
result "INVITE offering only G.729: 488, ACK" $r sipp_diag badcodec st_diag badcodec
r=1
! ev badcodec '"event":"call-answered"' &&
	! grep -q '^SIP/2.0 200' "$TEST_TMP/badcodec.trace" 2>/dev/null && r=0
result "sipterm: no answer and no 200 for the G.729-only call" $r st_diag badcodec

# --- 16-17: DTMF by INFO
if st_start info 60 -A0; then
	sipp_run info uac-info-dtmf "127.0.0.1:$ST_PORT" -mp "$(free_port)" -rtp_echo
	r=$?
	st_stop info
else
	r=1
fi
result "INFO application/dtmf-relay during the call: 200" $r sipp_diag info st_diag info
r=1
ev info '"event":"dtmf","call":1,"digit":"5","method":"info","duration_ms":160' && r=0
result "sipterm: dtmf event digit 5, method info, 160 ms" $r st_diag info

# ==================================================================
# sipterm calls SIPp
# ==================================================================

# --- 18-20: answered, then sipterm hangs up with a BYE
p=$(free_port)
if sipp_bg answer uas-answer "$p" -mp "$(free_port)" -rtp_echo; then
	st_call answer "call sip:sipp@127.0.0.1:$p" "wait call-answered 10" "wait 1" hangup \
		"wait call-ended 5" quit
	sipp_wait answer
	r=$?
else
	r=1
fi
result "SIPp UAS answers 200, gets the ACK, then sipterm's BYE" $r \
	sipp_diag answer st_diag answer
r=1
[ "$ST_RC" = 0 ] && ev answer '"event":"call-answered","call":1,.*"codec":"PCMU"' &&
	ev answer '"event":"call-ended","call":1,"status":200,"reason":"[^"]*","by":"local"' && r=0
result "sipterm: call-answered, call-ended 200 by local, exit 0" $r st_diag answer
rx=$(ev_field answer call-stats received)
diag "sipterm got ${rx:-no} RTP packets back through SIPp's echo"
r=1
[ "${rx:-0}" -ge 20 ] && r=0
result "sipterm as caller sends RTP to the answer's address (SIPp echoes it)" $r \
	st_diag answer

# --- 21-23: busy
p=$(free_port)
if sipp_bg busy uas-busy "$p"; then
	st_call busy "call sip:sipp@127.0.0.1:$p" "wait call-answered 10"
	sipp_wait busy
	r=$?
else
	r=1
fi
result "SIPp UAS answers 486 and gets the ACK" $r sipp_diag busy st_diag busy
r=1
[ "$ST_RC" = 5 ] &&
	ev busy '"event":"call-ended","call":1,"status":486,"reason":"[^"]*","by":"remote"' && r=0
diag "sipterm exited with status $ST_RC"
result "sipterm: call-ended 486, and wait call-answered exits with status 5" $r \
	st_diag busy
b_inv=$(trace_branch busy INVITE)
b_ack=$(trace_branch busy ACK)
r=1
[ -n "$b_inv" ] && [ "$b_ack" = "$b_inv" ] && [ "$(trace_hdr busy ACK 1 CSeq)" = "1 ACK" ] && r=0
result "sipterm's ACK for the 486 has the INVITE's branch and CSeq 1 ACK (RFC 3261 17.1.1.3)" \
	$r st_diag busy

# --- 24-26: redirect
p1=$(free_port)
p2=$(free_port)
while [ "$p2" = "$p1" ]; do p2=$(free_port); done
if sipp_bg moved uas-answer "$p2" -mp "$(free_port)" &&
	sipp_bg redirect uas-redirect "$p1" -key moved_port "$p2"; then
	st_call redirect "call sip:sipp@127.0.0.1:$p1" "wait call-answered 10" hangup \
		"wait call-ended 5" quit
	sipp_wait redirect
	r1=$?
	sipp_wait moved
	r2=$?
else
	r1=1 r2=1
fi
result "SIPp UAS answers 302 Moved Temporarily and gets the ACK" $r1 \
	sipp_diag redirect st_diag redirect
result "the redirected INVITE reaches the second SIPp, which answers and gets the BYE" $r2 \
	sipp_diag moved st_diag redirect
r=1
[ "$ST_RC" = 0 ] && ev redirect '"event":"call-answered","call":1' &&
	ev redirect '"event":"call-ended","call":1,"status":200,"reason":"[^"]*","by":"local"' &&
	grep -q "^INVITE sip:moved@127.0.0.1:$p2 SIP/2.0" "$TEST_TMP/redirect.trace" &&
	[ "$(trace_branch redirect ACK)" = "$(trace_branch redirect INVITE 1)" ] &&
	[ "$(trace_branch redirect INVITE 2)" != "$(trace_branch redirect INVITE 1)" ] && r=0
result "sipterm: follows the 302 to the Contact, call-answered there, exit 0" $r \
	st_diag redirect

# --- 27-29: ringing, never answered: sipterm hangs up with a CANCEL
p=$(free_port)
if sipp_bg noanswer uas-ring-noanswer "$p"; then
	st_call noanswer "call sip:sipp@127.0.0.1:$p" "wait call-ringing 10" "wait 0.3" hangup \
		"wait call-ended 10" quit
	sipp_wait noanswer
	r=$?
else
	r=1
fi
result "SIPp UAS rings; sipterm's hangup sends CANCEL; 200, 487, ACK" $r \
	sipp_diag noanswer st_diag noanswer
r=1
[ "$ST_RC" = 0 ] && ev noanswer '"event":"call-ringing","call":1,"status":180' &&
	ev noanswer '"event":"call-ended","call":1,"status":487,"reason":"[^"]*","by":"local"' &&
	! ev noanswer '"event":"call-answered"' && r=0
result "sipterm: call-ringing 180, then call-ended 487 by local" $r st_diag noanswer
b_inv=$(trace_branch noanswer INVITE)
r=1
[ -n "$b_inv" ] && [ "$(trace_branch noanswer CANCEL)" = "$b_inv" ] &&
	[ "$(trace_branch noanswer ACK)" = "$b_inv" ] &&
	[ "$(trace_hdr noanswer CANCEL 1 CSeq)" = "1 CANCEL" ] &&
	[ "$(trace_hdr noanswer ACK 1 CSeq)" = "1 ACK" ] && r=0
result "sipterm's CANCEL and ACK have the INVITE's branch and CSeq number (RFC 3261 9.1)" $r \
	st_diag noanswer

# --- 30-32: early media: 183 with SDP and 1 s of RTP, then 200
p=$(free_port)
if sipp_bg early uas-early-media "$p" -mp "$(free_port)"; then
	st_call early "call sip:sipp@127.0.0.1:$p" "wait call-progress 10" \
		"wait call-answered 10" hangup "wait call-ended 5" quit
	sipp_wait early
	r=$?
else
	r=1
fi
result "SIPp UAS: 183 with SDP and early RTP, then 200, ACK, BYE" $r \
	sipp_diag early st_diag early
r=1
[ "$ST_RC" = 0 ] && ev_order early '"event":"call-progress","call":1,"status":183' \
	'"event":"call-answered","call":1' && r=0
result "sipterm: call-progress 183, then call-answered" $r st_diag early
rx=$(ev_field early call-stats received)
diag "sipterm received ${rx:-no} RTP packets, all sent before the 200 (50 sent)"
r=1
[ "${rx:-0}" -ge 40 ] && has_tone "$TEST_TMP/early.rec/call.wav" 400-480 950-1050 && r=0
result "sipterm played the early media (received and recorded the 440 Hz tone)" $r \
	st_diag early

# ==================================================================
# --- 33-35: nothing left behind, no sanitizer report, clean exits
st_epilogue

done_testing
