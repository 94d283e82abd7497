#!/bin/bash
# tests/call/wideband.sh: the other codecs carry the audio too.
#
# 1. Through the test Kamailio (registrar and record-routing proxy with
#    digest auth), as tests/call/kamailio.sh does it for PCMU: alice and bob
#    register, alice calls "bob", one call per codec, the codec pinned on
#    both sides by the account's "codecs =" setting: opus, G722, PCMA.  Both
#    play at once and record; each recording must hold what the other side
#    played (normalized cross-correlation >= 0.9, in 250 ms blocks aligned
#    on their own, see tests/call/direct.sh).  With the file device the
#    audio runs at the codec's own rate, so the recordings of the wideband
#    codecs are 48 kHz (Opus) and 16 kHz (G.722), and the references are
#    made at that rate: a 300-7000 Hz sweep (half of it above what a
#    narrowband codec carries) and espeak-ng speech.  That the band above
#    4.5 kHz really got through is checked on the sweep's recording.  The
#    caller's side is the one at stake: its device starts at 8 kHz for the
#    ringback (180 without SDP), before any codec is known, and must start
#    over at the codec's rate when the answer comes (src/media.c apply),
#    or alice would record at 8 kHz and send Opus/G.722 a narrowband sweep.
#
# 2. Opus over 10% random packet loss, with in-band FEC (sipterm's default:
#    useinbandfec=1 in its SDP, the encoder tuned for 10% loss; there is no
#    setting to change it).  This call is direct, without Kamailio: the
#    bullet does not need the proxy, and the media relay is put in the path
#    exactly as tests/call/jitter.sh does it (its header explains why a SIP
#    relay rewriting both SDPs is needed as well).  The caller's RTP reaches
#    the callee through tests/tools/udprelay with 10% loss (fixed seed, no
#    other impairment); what the callee plays must still be the caller's
#    sweep (>= 0.8), the clean direction >= 0.9, and the relay must really
#    have dropped 5-15% of the caller's packets.
#
# 3. RFC 4733 DTMF with Opus: telephone-event/48000 negotiated, digits and
#    their durations right at the callee.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/interop/kamailio.sh"
. "$top_srcdir/tests/tools/call.sh"

call_need
kam_need
need_cmd ss iproute2
MIN_CORR=0.9
MIN_CORR_LOSS=0.8
T=$TEST_TMP

tap_plan 27

# sweep_at FILE RATE: the 300-7000 Hz sweep, 3 s, at RATE
sweep_at() {
	sox -q -n -r "$2" -c 1 -b 16 "$1" synth 3 sine 300-7000 vol 0.5
}
# speech_at FILE RATE: the sentence at RATE (espeak-ng speaks at 22050 Hz,
# its band reaches well above 4 kHz), as gen_speech does it at 8 kHz; the
# same falling sweep with tremolo stands in when espeak-ng is missing
SENTENCE="The quick brown fox jumps over the lazy dog, twice."
speech_at() {
	if command -v espeak-ng >/dev/null 2>&1 &&
		espeak-ng -w "$1.raw.wav" "$SENTENCE" 2>/dev/null &&
		sox -q "$1.raw.wav" -r "$2" -c 1 -b 16 "$1" gain -n -3; then
		rm -f "$1.raw.wav"
		return 0
	fi
	diag "espeak-ng missing: a falling sweep with tremolo stands in for speech"
	sox -q -n -r "$2" -c 1 -b 16 "$1" synth 3.5 sine 2800-250 tremolo 5 60 vol 0.5
}
sweep_at "$T/a48.wav" 48000
sweep_at "$T/a16.wav" 16000
gen_sweep "$T/a8.wav" 300 3000 3
speech_at "$T/b48.wav" 48000
speech_at "$T/b16.wav" 16000
gen_speech "$T/b8.wav" "$SENTENCE"

_has_ev() { [ -n "$(ev "$1" "$2")" ]; }

# rms FILE [SOX-EFFECT...]: the RMS amplitude of FILE (after the effect)
rms() {
	_f=$1; shift
	sox -q "$_f" -n "$@" stat 2>&1 | awk '/^RMS +amplitude/ { print $3 }'
}
# hiband FILE: the share of FILE's sound above 4.5 kHz: the RMS after a
# high-pass over the full-band RMS, both on the voiced part (the
# recording's leading and trailing silence trimmed)
hiband() {
	sox -q "$1" "$T/hb.wav" silence 1 0.05 1% reverse silence 1 0.05 1% reverse 2>/dev/null
	_all=$(rms "$T/hb.wav")
	_hi=$(rms "$T/hb.wav" sinc 4500)
	awk -v a="$_all" -v h="$_hi" 'BEGIN { if (a + 0 > 0) printf "%.2f\n", h / a }'
}

# xc_check DESC REF REC MIN
xc_check() {
	x=$(xc "$2" "$3" --align-ms 250)
	diag "$1: ${x:-xcorr failed}"
	if ge "$(corr_of "$x")" "$4"; then
		ok "$1: $x"
	else
		not_ok "$1: ${x:-xcorr failed} (want corr >= $4)"
		tail -n 3 "$T/xcorr.err" 2>/dev/null | awk '{ print "#   " $0 }'
	fi
}

# 1. the proxy
if kam_start alice:alicepw bob:bobpw; then
	ok "Kamailio started on $KAM_ADDR"
else
	not_ok "Kamailio started"
	echo "Bail out! no Kamailio, nothing else can run"
	exit 1
fi

# account_conf NAME USER PASSWORD CODEC
account_conf() {
	st_conf "$1" "[account $2]\nuri = sip:$2@$KAM_DOMAIN\npassword = $3\nregistrar = sip:$KAM_ADDR\noutbound_proxy = sip:$KAM_ADDR\nexpires = 60\ncodecs = $4\n"
}

# kcall CODEC RATE: one call through Kamailio with CODEC pinned on both
# sides; the references are a$RATE.wav and b$RATE.wav (RATE in kHz)
kcall() {
	_c=$1 _r=$2
	account_conf "alice-$_c" alice alicepw "$_c"
	account_conf "bob-$_c" bob bobpw "$_c"
	st_bg "bob-$_c" 30 -f "$T/bob-$_c.conf" --siptrace="$T/bob-$_c.trace" -A0 \
		--play "$T/b$_r.wav" --record "$T/brec-$_c.wav" \
		-e 'wait registered 5' -e 'wait call-ended 15' -e quit
	if ! wait_for 5 _has_ev "bob-$_c" registered; then
		diag "bob ($_c) did not register"
	fi
	st_bg "alice-$_c" 30 -f "$T/alice-$_c.conf" --siptrace="$T/alice-$_c.trace" \
		--play "$T/a$_r.wav" --record "$T/arec-$_c.wav" \
		-e 'wait registered 5' -e 'call bob' -e 'wait call-answered 5' \
		-e 'wait 4.5' -e hangup -e 'wait 0.3' -e quit
	st_wait "alice-$_c"; _ra=$?
	st_wait "bob-$_c"; _rb=$?

	# registered with digest auth, through the proxy, both content
	if [ $_ra = 0 ] && [ $_rb = 0 ] &&
		_has_ev "alice-$_c" registered && _has_ev "bob-$_c" registered &&
		grep -q '^SIP/2.0 407' "$T/alice-$_c.trace" &&
		grep -q "^Record-Route:.*127.0.0.1:$KAM_PORT" "$T/bob-$_c.trace" &&
		_has_ev "alice-$_c" unregistered && _has_ev "bob-$_c" unregistered; then
		ok "$_c: alice and bob registered, called through Kamailio (407, Record-Route), exit 0"
	else
		not_ok "$_c: alice and bob registered, called through Kamailio (407, Record-Route), exit 0 (alice $_ra, bob $_rb)"
		st_dump "alice-$_c"
		st_dump "bob-$_c"
		diag "--- Kamailio log"
		kam_log | tail -n 20 | awk '{ print "#   " $0 }'
	fi

	# the pinned codec, on both sides
	_la=$(ev "alice-$_c" call-answered | head -n 1)
	_lb=$(ev "bob-$_c" call-answered | head -n 1)
	if [ "$(ev_field "$_la" codec)" = "$_c" ] && [ "$(ev_field "$_lb" codec)" = "$_c" ]; then
		ok "$_c: both sides report call-answered with codec $_c"
	else
		not_ok "$_c: both sides report call-answered with codec $_c"
		diag "alice: $_la"
		diag "bob: $_lb"
	fi

	xc_check "$_c alice -> bob" "$T/a$_r.wav" "$T/brec-$_c.wav" $MIN_CORR
	xc_check "$_c bob -> alice" "$T/b$_r.wav" "$T/arec-$_c.wav" $MIN_CORR
}

# 2-5. Opus, 6-9. G.722, 10-13. PCMA
kcall opus 48
kcall G722 16
kcall PCMA 8

# 14-15. the wideband codecs carried wideband audio: recorded at their
# rate, and the sweep's top (4.5-7 kHz) is there, not cut at 4 kHz
for cr in opus:48000 G722:16000; do
	c=${cr%%:*} r=${cr#*:}
	rr=$(soxi -r "$T/brec-$c.wav" 2>/dev/null)
	href=$(hiband "$T/a${r%000}.wav")
	hrec=$(hiband "$T/brec-$c.wav")
	if [ "$rr" = "$r" ] && [ -n "$hrec" ] && [ -n "$href" ] &&
		awk -v a="$hrec" -v b="$href" 'BEGIN { exit !(a >= 0.6 * b) }'; then
		ok "$c: bob recorded at $r Hz, the sweep above 4.5 kHz is there (share $hrec, reference $href)"
	else
		not_ok "$c: bob recorded at $r Hz, the sweep above 4.5 kHz is there (rate ${rr:-?}, share ${hrec:-?}, reference ${href:-?})"
	fi
done

kam_stop

# --- the loss call (direct; see the header) ---

relay_places
diag "loss call: callee RTP $bport, media relay $mport, SIP relay $sport"
st_conf lb "[media]\ncodecs = opus\nrtp_port_min = $bport\nrtp_port_max = $((bport + 2))\n"
st_conf la "[media]\ncodecs = opus\n"

st_bg lb 30 -f "$T/lb.conf" --siptrace="$T/lb.trace" -A0 --play "$T/b48.wav" \
	--record "$T/lbrec.wav" -e 'wait call-ended 20' -e quit
bsip=$(st_port lb)
relay_bg sip --listen "$sport" --to "127.0.0.1:$bsip" --sdp-port "$mport" &&
	relay_bg media --listen "$mport" --to "127.0.0.1:$bport" \
		--listen $((mport + 1)) --to "127.0.0.1:$((bport + 1))" \
		--impair fwd --loss 10 --seed 1010
st_bg la 30 -f "$T/la.conf" --siptrace="$T/la.trace" --play "$T/a48.wav" \
	--record "$T/larec.wav" \
	-e "call sip:bob@127.0.0.1:$sport" -e 'wait call-answered 5' -e 'wait 4.5' \
	-e calls -e hangup -e 'wait 0.3' -e quit
st_wait la; ra=$?
st_wait lb; rb=$?
relay_stop media
relay_stop sip

# 16. both ends fine, on Opus
l1=$(ev la call-answered | head -n 1)
l2=$(ev lb call-answered | head -n 1)
if [ $ra = 0 ] && [ $rb = 0 ] && [ "$(ev_field "$l1" codec)" = opus ] &&
	[ "$(ev_field "$l2" codec)" = opus ]; then
	ok "loss call: caller and callee exit 0, call-answered with opus on both sides"
else
	not_ok "loss call: caller and callee exit 0, call-answered with opus on both sides (caller $ra, callee $rb)"
	st_dump la
	st_dump lb
fi
diag "$(cat "$T/media.out" "$T/sip.out" 2>/dev/null | tr '\n' ' ')"

# 17. the media went through the relay
if [ "$(grep -c "m=audio .* -> m=audio $mport" "$T/sip.err")" -ge 2 ]; then
	ok "loss call: the SIP relay pointed both SDPs at the media relay"
else
	not_ok "loss call: the SIP relay pointed both SDPs at the media relay"
	awk '{ print "#   " $0 }' "$T/sip.err"
fi

# 18. in-band FEC asked for both ways: each side's SDP (offer and answer)
# says useinbandfec=1 for opus
fec_sdp() {
	grep -q '^a=fmtp:[0-9]* .*useinbandfec=1' "$1"
}
if fec_sdp "$T/la.trace" && fec_sdp "$T/lb.trace" &&
	[ "$(grep -c '^a=fmtp:[0-9]* .*useinbandfec=1' "$T/lb.trace")" -ge 2 ]; then
	ok "loss call: offer and answer both say useinbandfec=1"
else
	not_ok "loss call: offer and answer both say useinbandfec=1"
	grep -h '^a=fmtp' "$T/la.trace" "$T/lb.trace" | awk '{ print "#   " $0 }'
fi

# 19. the relay dropped about 10% of the caller's packets
fin=$(relay_count media fwd in)
flost=$(relay_count media fwd lost)
if [ -n "$fin" ] && [ -n "$flost" ] && [ "$fin" -gt 150 ] &&
	[ $((flost * 100)) -ge $((fin * 5)) ] && [ $((flost * 100)) -le $((fin * 15)) ]; then
	ok "loss call: the relay dropped $flost of the caller's $fin packets (5-15% wanted)"
else
	not_ok "loss call: the relay dropped ${flost:-?} of the caller's ${fin:-?} packets (5-15% wanted)"
fi

# 20. the callee counts them
st=$(ev lb call-stats | tail -n 1)
slost=$(ev_field "$st" lost)
sconc=$(ev_field "$st" concealed)
diag "callee: lost $slost, concealed $sconc (call-stats: $st)"
diag "caller: $(ev la call-stats | tail -n 1)"
if [ -n "$slost" ] && [ -n "$flost" ] && [ "$flost" -gt 0 ] &&
	[ "$slost" -ge $((flost - 3)) ] && [ "$slost" -le $((flost + 3)) ]; then
	ok "loss call: the callee's call-stats count the losses (lost $slost, concealed ${sconc:-?}; the relay dropped $flost)"
else
	not_ok "loss call: the callee's call-stats count the losses (lost ${slost:-?}, concealed ${sconc:-?}; the relay dropped ${flost:-?})"
fi

# 21-22. the sound
xc_check "opus with FEC, caller -> callee over 10% loss" "$T/a48.wav" "$T/lbrec.wav" $MIN_CORR_LOSS
xc_check "opus, callee -> caller through the relay, unimpaired" "$T/b48.wav" "$T/larec.wav" $MIN_CORR

# 23-24. RFC 4733 DTMF with Opus, direct: both offer telephone-event at
# 8000 and at 48000 and settle on 48000, the audio's clock (RFC 4733 2.1);
# the callee reads each digit at its 100 ms, which it would not if the two
# sides disagreed on the clock
st_conf tb "[media]\ncodecs = opus\n"
st_bg tb 20 -f "$T/tb.conf" --siptrace="$T/tb.trace" -A0 -e 'wait call-ended 15' -e quit
tport=$(st_port tb)
st_bg ta 20 -f "$T/tb.conf" -e "call sip:bob@127.0.0.1:$tport" -e 'wait call-answered 5' \
	-e 'dtmf 159#' -e 'wait 1.5' -e hangup -e 'wait 0.3' -e quit
st_wait ta; rta=$?
st_wait tb; rtb=$?
ans=$(awk '/^SIP\/2.0 200/ { a = 1 } a && /^m=audio/ { print; exit }' "$T/tb.trace" | tr -d '\r')
te_pt=$(echo "$ans" | awk '{ print $5 }')
if [ $rta = 0 ] && [ $rtb = 0 ] && grep -q "^a=rtpmap:101 telephone-event/8000" "$T/tb.trace" &&
	grep -q "^a=rtpmap:$te_pt telephone-event/48000" "$T/tb.trace" && [ -n "$te_pt" ]; then
	ok "opus: both telephone-events offered, the answer takes telephone-event/48000 ($ans)"
else
	not_ok "opus: both telephone-events offered, the answer takes telephone-event/48000 (exit $rta/$rtb, answer '$ans')"
	st_dump ta
	st_dump tb
fi
dg=$(ev tb dtmf | while IFS= read -r l; do
	printf '%s:%s:%s ' "$(ev_field "$l" digit)" "$(ev_field "$l" method)" "$(ev_field "$l" duration_ms)"
done)
if echo "$dg" | awk '{ if (NF != 4) exit 1
	for (i = 1; i <= NF; i++) { split($i, f, ":"); if (f[2] != "rfc4733" || f[3] < 80 || f[3] > 120) exit 1
	d = d f[1] } exit d != "159#" }'; then
	ok "opus: the callee reports 159# by RFC 4733, each 100 ms long ($dg)"
else
	not_ok "opus: the callee reports 159# by RFC 4733, each 100 ms long (got '$dg')"
fi

# 25-27. no crash, nothing left
n=0
for f in "$T"/*.err; do
	grep -qiE 'sanitizer|assert|segmentation|core dumped' "$f" && n=$((n + 1))
done
if [ $n = 0 ]; then ok "no crash or sanitizer report in any log"; else not_ok "no crash or sanitizer report in any log"; fi
left=$(leftovers)
for r in media sip; do
	eval "_p=\$relay_pid_$r"
	kill -0 "$_p" 2>/dev/null && left="$left $_p"
done
if [ -z "$left" ]; then
	ok "no process of this test is left running"
else
	not_ok "no process of this test is left running"
	# shellcheck disable=SC2086 # split on purpose: one pid a word
	ps -o pid,args -p "$(echo $left | tr ' ' ,)" | awk '{ print "#   " $0 }'
fi
if ! grep -q . "$T/xcorr.err" 2>/dev/null; then
	ok "xcorr had no complaint"
else
	not_ok "xcorr had no complaint"
	awk '{ print "#   " $0 }' "$T/xcorr.err"
fi

done_testing
