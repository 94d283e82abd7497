#!/bin/bash
# tests/cli/commands.sh: the commands no other test drives, each checked by
# what it prints or does, not only by its exit status.
#
# Headless sipterms on 127.0.0.1, in groups that run at once:
#   echo    "call echo" (the built-in echo service): calls, accounts, audio
#           devices, audio level (the echo goes silent while muted),
#           record start/stop (a WAV holding our own sweep), dtmf and wait
#           dtmf, hold/resume, set/get (codecs for the next call), log
#           debug, siptrace on/off, history
#   mute    alice plays a sweep to bob, who records: mute makes the
#           recording silent, unmute brings the sweep back, play FILE
#           sends speech that bob's recording holds (xcorr)
#   switch  two calls (echo, and carol called by her buddy name): switch
#           picks which one hold acts on; hangup all ends both
#   reject  dave rings: "reject 1 488" (the caller sees 488, exit 4); a
#           call cancelled while ringing is MISSED in dave's history
#   status  exit 7 for a 603 (--reject-code 603), 4 for a 404 (unknown
#           user at a sipterm with an account), 2 for a bad setting,
#           --script FILE with comments and an error as FILE:LINE:
#   reg     "call" waits for the account's registration: against Kamailio
#           (right after start, no "wait registered"), a wrong password
#           (exit 3, no INVITE; and from a script on stdin, a call after
#           the failure is refused at once), and a registrar that never
#           answers (exit 3 after 10 s, no INVITE)

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/interop/kamailio.sh"
. "$top_srcdir/tests/tools/call.sh"

call_need
need_cmd soxi sox
need_cmd jq jq
T=$TEST_TMP
MIN_CORR=0.9

tap_plan 61

gen_sweep "$T/sweep.wav" 300 3000 3
gen_speech "$T/speech.wav" "The quick brown fox jumps over the lazy dog."
SPEECH=$(soxi -D "$T/speech.wav")

# out NAME: NAME's command output (stdout without the JSON events)
out() { st_output "$TEST_TMP/$1.out"; }
# rms FILE START SECS: the RMS amplitude (0-1) of a stretch of a WAV
rms() { sox "$1" -n trim "$2" "$3" stat 2>&1 | awk '/^RMS +amplitude/ { print $3 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 < b + 0) }'; }
# expect DESC NAME STATUS: NAME exited with STATUS
expect_exit() {
	st_wait "$2"; _rc=$?
	if [ $_rc = "$3" ]; then
		ok "$1 (exit $_rc)"
	else
		not_ok "$1 (exit $_rc, want $3)"
		st_dump "$2"
	fi
}
# st_bg_stdin NAME SECS FILE ARGS...: st_bg with the commands on stdin
st_bg_stdin() {
	_n=$1 _s=$2 _in=$3; shift 3
	timeout -k 2 "$_s" "$SIPTERM" --headless --events json -l 127.0.0.1:0 \
		--log-file "$TEST_TMP/$_n.log" "$@" \
		<"$_in" >"$TEST_TMP/$_n.out" 2>"$TEST_TMP/$_n.err" &
	eval "st_pid_$_n=\$!"
	test_pids="$test_pids $!"
}
# skip_ok DESC REASON: a check that cannot run here (fails under
# SIPTERM_REQUIRE_INTEROP=1, like a missing peer)
skip_ok() {
	if [ "${SIPTERM_REQUIRE_INTEROP:-0}" = 1 ]; then
		not_ok "$1: required peer missing: $2"
	else
		ok "$1 # SKIP $2"
	fi
}

# ---------------------------------------------------------------- start
# Kamailio first (it takes a second or two); everything else needs none.
kam_ok=""
kam_why=$( (kam_need; echo __have_kamailio__) 2>&1 | tail -n 1)
if [ "$kam_why" = __have_kamailio__ ] && kam_start alice:alicepw bob:bobpw; then
	kam_ok=1
	account_conf() {
		st_conf "$1" "[account $2]\nuri = sip:$2@$KAM_DOMAIN\npassword = $3\nregistrar = sip:$KAM_ADDR\noutbound_proxy = sip:$KAM_ADDR\nexpires = 60\n\n[media]\ncodecs = PCMU\n"
	}
	account_conf kbob bob bobpw
	account_conf kalice alice alicepw
	account_conf kbad alice wrongpw
	st_bg kbob 30 -f "$T/kbob.conf" -A0 -e 'wait registered 5' -e 'wait call-ended 20' -e quit
	# the registration is what "call" waits for: start the caller as soon as
	# bob's contact is known to the proxy
	_kreg() { [ -n "$(ev kbob registered)" ]; }
	wait_for 5 _kreg || diag "bob did not register"
	st_bg kalice 30 -f "$T/kalice.conf" --siptrace="$T/kalice.trace" \
		-e 'call bob' -e 'wait call-answered 5' -e accounts -e 'wait 0.5' -e hangup \
		-e 'wait call-ended 3' -e quit
	st_bg kbad 30 -f "$T/kbad.conf" --siptrace="$T/kbad.trace" \
		-e 'call bob' -e 'wait call-answered 5' -e quit
	# after the failure, from a script on stdin: refused at once
	printf 'wait registration-failed 5\ncall bob\nquit\n' >"$T/kbad2.in"
	st_bg_stdin kbad2 30 "$T/kbad2.in" -f "$T/kbad.conf" --siptrace="$T/kbad2.trace"
else
	kam_why=$(printf '%s' "$kam_why" | sed 's/.*SKIP //')
	[ -n "$kam_why" ] || kam_why="Kamailio did not start"
fi

# a registrar that never answers: a UDP socket that reads and says nothing
if command -v python3 >/dev/null 2>&1; then
	bh=$(free_port)
	spawn python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', $bh))
end = time.time() + 30
while time.time() < end:
    s.settimeout(1)
    try:
        s.recv(65536)
    except OSError:
        pass
" "$T"
	bh_pid=$!
	wait_for 5 udp_bound "$bh"
	st_conf hole "[account hole]\nuri = sip:hole@127.0.0.1:$bh\npassword = x\nregistrar = sip:127.0.0.1:$bh\n"
	st_bg hole 30 -f "$T/hole.conf" --siptrace="$T/hole.trace" \
		-e 'call sip:bob@127.0.0.1:9' -e quit
fi

# echo: one sipterm, no peer
st_bg echo 40 --play "$T/sweep.wav" \
	-e 'call echo' -e 'wait call-answered 5' -e calls -e accounts -e 'audio devices' \
	-e 'wait 1' -e 'audio level' \
	-e mute -e 'wait 1' -e 'audio level' -e unmute -e 'wait 1' -e 'audio level' \
	-e "record start $T/echo-rec.wav" -e 'wait 2.5' -e 'record stop' \
	-e 'dtmf 5' -e 'wait dtmf 10' \
	-e hold -e 'wait call-held 3' -e calls -e hold -e resume -e 'wait call-resumed 3' \
	-e 'set aec on' -e 'get aec' -e 'set auto_answer 7' -e 'get auto_answer' \
	-e 'set codecs PCMA' -e 'get codecs' \
	-e 'siptrace on' -e hangup -e 'wait call-ended 3' -e 'wait 0.5' -e 'siptrace off' \
	-e 'log debug' -e 'call echo' -e 'wait call-answered 5' -e 'log info' -e 'hangup all' \
	-e 'wait call-ended 3' -e calls -e history -e quit

# mute: alice -> bob, bob records
st_bg bob 40 -A0 --record "$T/bob-rec.wav" -e 'wait call-ended 30' -e quit
bport=$(st_port bob)
st_conf pcmu '[media]\ncodecs = PCMU\n'
st_bg alice 40 -f "$T/pcmu.conf" --play "$T/sweep.wav" \
	-e "call sip:bob@127.0.0.1:$bport" -e 'wait call-answered 5' -e 'wait 2' \
	-e mute -e 'wait 2' -e unmute -e 'wait 2' -e "play $T/speech.wav" \
	-e "wait $(awk -v s="$SPEECH" 'BEGIN { print s + 0.5 }')" -e hangup \
	-e 'wait call-ended 3' -e quit

# switch: echo and carol (a buddy)
st_bg carol 40 -A0 -e 'wait call-ended 30' -e quit
cport=$(st_port carol)
st_bg two 40 -e "buddy add sip:carol@127.0.0.1:$cport caroline" \
	-e 'call echo' -e 'wait call-answered 5' -e 'call caroline' -e 'wait call-answered 5' \
	-e calls -e 'switch 1' -e hold -e 'wait call-held 3' -e 'switch 2' -e hold \
	-e 'wait call-held 3' -e calls -e 'hangup all' -e 'wait 0.5' -e calls -e quit

# reject and missed: dave rings until told
st_bg dave 40 -e 'wait call-incoming 10' -e 'reject 1 488' -e 'wait call-incoming 10' \
	-e 'wait call-ended 10' -e history -e quit
dport=$(st_port dave)
st_bg rej 20 -e "call sip:dave@127.0.0.1:$dport" -e 'wait call-answered 10' -e quit

# exit statuses 7 and 4
st_bg erin 30 -A0 --reject-code 603 --allow 'sip:nobody@*' -e 'wait 20' -e quit
eport=$(st_port erin)
st_bg dec 20 -e "call sip:erin@127.0.0.1:$eport" -e 'wait call-answered 5' -e quit
st_conf frank '[account frank]\nuri = sip:frank@127.0.0.1\nregister = no\n'
st_bg frank 30 -f "$T/frank.conf" -A0 -e accounts -e 'wait 20' -e quit
fport=$(st_port frank)
st_bg nf 20 -e "call sip:nobody@127.0.0.1:$fport" -e 'wait call-answered 5' -e quit

# settings and scripts: no call
st_bg badkey 10 -e 'get log' -e 'set nosuch 1' -e 'get log'
st_bg badval 10 -e 'set aec sideways'
st_bg badcodec 10 -e 'set codecs nosuchcodec'
printf '# a script with comments\n\nget log   # the level\n  # an indented comment\nset log sideways\nget log\n' \
	>"$T/script.txt"
st_bg script 10 --script "$T/script.txt"

# ---------------------------------------------------------------- echo
expect_exit "echo: the whole script runs" echo 0
a=$(ev echo call-answered | head -n 1)
codec=$(ev_field "$a" codec)
l=$(out echo | grep -m1 '^1 out ')
if printf '%s\n' "$l" | grep -Eq "^1 out sip:echo@127\.0\.0\.1:[0-9]+ established [0-9]+s codec=$codec " &&
	[ -n "$codec" ]; then
	ok "calls: '$l' (the state, and the codec of call-answered)"
else
	not_ok "calls: established with codec '$codec' (got '$l')"
fi
if out echo | grep -q '^no accounts: direct mode'; then
	ok "accounts: without accounts, says direct mode"
else
	not_ok "accounts: without accounts, says direct mode"
fi
# no sound card here (or one): either way one clean answer, nothing from ALSA
l=$(out echo | grep -m1 -E '^no sound card found|^[ <][ >] .* in=[0-9]+ out=[0-9]+ [0-9]+ Hz$')
if [ -n "$l" ] && ! grep -qiE 'ALSA lib|jack' "$T/echo.err"; then
	ok "audio devices: '$l', no ALSA or JACK noise"
else
	not_ok "audio devices: a clean answer (got '$l')"
	st_dump echo
fi
levels=$(out echo | sed -n 's/^microphone \(-\{0,1\}[0-9]*\) dBFS, speaker \(-\{0,1\}[0-9]*\) dBFS$/\1 \2/p')
set -- $levels
if [ $# = 6 ] && [ "$1" -gt -30 ] && [ "$1" -lt 0 ] && [ "$2" -gt -40 ] && [ "$2" -lt 0 ]; then
	ok "audio level: microphone $1 dBFS (the sweep), speaker $2 dBFS (its echo)"
else
	not_ok "audio level: microphone and speaker between -30/-40 and 0 dBFS (got '$levels')"
fi
if [ $# = 6 ] && [ "$4" -lt -60 ] && [ "$3" -gt -30 ]; then
	ok "mute: the echo goes silent (speaker $4 dBFS), the microphone still hears ($3 dBFS)"
else
	not_ok "mute: the echo goes silent (got '$levels')"
fi
if [ $# = 6 ] && [ "$6" -gt -40 ]; then
	ok "unmute: the echo comes back (speaker $6 dBFS)"
else
	not_ok "unmute: the echo comes back (got '$levels')"
fi
if out echo | grep -q '^call 1: microphone muted$' && out echo | grep -q '^call 1: microphone on$'; then
	ok "mute/unmute say so: 'call 1: microphone muted', 'call 1: microphone on'"
else
	not_ok "mute/unmute say so"
fi
x=$(xc "$T/sweep.wav" "$T/echo-rec.wav" --min-seconds 1.5)
d=$(soxi -D "$T/echo-rec.wav" 2>/dev/null)
if out echo | grep -q "^recording call 1 to $T/echo-rec.wav\$" && ge "$(corr_of "$x")" $MIN_CORR &&
	ge "$d" 2 && lt "$d" 3.2; then
	ok "record start/stop: a ${d} s WAV holding our sweep's echo: $x"
else
	not_ok "record start/stop: a WAV of about 2.5 s holding our sweep's echo (${d:-no file} s, ${x:-xcorr failed})"
fi
l=$(ev echo dtmf | head -n 1)
if [ "$(ev_field "$l" digit)" = 5 ]; then
	ok "dtmf 5, wait dtmf 10: the echo sends the digit back ($(ev_field "$l" method))"
else
	not_ok "dtmf 5, wait dtmf 10: the echo sends the digit back (got '$l')"
fi
h=$(ev echo call-held | head -n 1)
r=$(ev echo call-resumed | head -n 1)
if out echo | grep -q '^call 1: putting on hold$' && out echo | grep -q '^call 1 is already on hold$' &&
	out echo | grep -q '^call 1: resuming$' && [ "$(ev_field "$h" by)" = local ] &&
	[ "$(ev_field "$r" by)" = local ]; then
	ok "hold/resume: 'putting on hold', 'already on hold', 'resuming'; call-held and call-resumed by local"
else
	not_ok "hold/resume output and events"
	out echo | grep -i 'hold\|resum' | awk '{ print "#   " $0 }'
fi
if out echo | grep -Eq '^1 out sip:echo@.* established [0-9]+s \(held\) codec='; then
	ok "calls: a held call is marked (held)"
else
	not_ok "calls: a held call is marked (held)"
fi
if [ "$(out echo | sed -n '/^PCMA$/=')" != "" ] && out echo | grep -qx on && out echo | grep -qx 7; then
	ok "set/get: aec on, auto_answer 7, codecs PCMA read back as set"
else
	not_ok "set/get: aec on, auto_answer 7, codecs PCMA read back as set"
	out echo | awk '{ print "#   " $0 }'
fi
a2=$(ev echo call-answered | sed -n 2p)
if [ "$(ev_field "$a2" codec)" = PCMA ]; then
	ok "set codecs PCMA: the next call is answered with PCMA"
else
	not_ok "set codecs PCMA: the next call is answered with PCMA (got '$a2')"
fi
# debug lines (the RTP sockets of a call) only between "log debug" (after
# the first call ended) and "log info" (before the second one ended)
span=$(awk '/ debug / { if (!f) f = NR; l = NR } / echo: echo call .* ended/ { e[++n] = NR }
	END { print (f > e[1] && l < e[2] && f) ? "yes" : "no", f, l, e[1], e[2] }' "$T/echo.log")
if [ "${span%% *}" = yes ] && grep -q ' debug rtp: RTP socket ' "$T/echo.log"; then
	ok "log debug: debug lines (RTP sockets) only while the level was debug"
else
	not_ok "log debug: debug lines (RTP sockets) only while the level was debug ($span)"
	grep ' debug ' "$T/echo.log" | head -n 5 | awk '{ print "#   " $0 }'
fi
# the trace was on from before the first hangup to after its end only
if grep -q '^BYE sip:echo@' "$T/echo.err" && ! grep -q '^INVITE sip:' "$T/echo.err"; then
	ok "siptrace on/off: the BYE is traced on stderr, neither INVITE (sent while off)"
else
	not_ok "siptrace on/off: the BYE is traced on stderr, neither INVITE (sent while off)"
	grep -E '^(INVITE|BYE|ACK) sip:' "$T/echo.err" | awk '{ print "#   " $0 }'
fi
n=$(ev echo call-ended | grep -c '"by":"local"')
l=$(out echo | grep -c '^no calls$')
if [ "$n" = 2 ] && [ "$l" = 1 ]; then
	ok "hangup all: the second call ends too, then calls says 'no calls'"
else
	not_ok "hangup all: the second call ends too ($n ended by local, 'no calls' $l times)"
fi
n=$(out echo | grep -Ec '^[0-9-]+ [0-9:]+ out +answered sip:echo@127\.0\.0\.1:[0-9]+ [0-9]+:[0-9]{2} 200 ')
if [ "$n" = 2 ]; then
	ok "history: both calls listed as out, answered, 200"
else
	not_ok "history: both calls listed as out, answered, 200 (got $n)"
	out echo | tail -n 4 | awk '{ print "#   " $0 }'
fi

# ---------------------------------------------------------------- mute
expect_exit "mute/play: the caller's script runs" alice 0
expect_exit "mute/play: the callee exits" bob 0
r1=$(rms "$T/bob-rec.wav" 0.5 1.2)
r2=$(rms "$T/bob-rec.wav" 2.6 1.0)
r3=$(rms "$T/bob-rec.wav" 4.6 1.0)
if ge "$r1" 0.05; then
	ok "the callee hears the sweep before mute (RMS $r1)"
else
	not_ok "the callee hears the sweep before mute (RMS ${r1:-none})"
fi
if lt "$r2" 0.005; then
	ok "mute: the callee's recording is silent (RMS $r2)"
else
	not_ok "mute: the callee's recording is silent (RMS ${r2:-none})"
fi
if ge "$r3" 0.05; then
	ok "unmute: the sweep is back (RMS $r3)"
else
	not_ok "unmute: the sweep is back (RMS ${r3:-none})"
fi
sox "$T/bob-rec.wav" -r 8000 "$T/bob-play.wav" trim 6.1 "$(awk -v s="$SPEECH" 'BEGIN { print s - 0.2 }')" 2>/dev/null
x=$(xc "$T/speech.wav" "$T/bob-play.wav" --min-seconds 1.5 --align-ms 250)
if ge "$(corr_of "$x")" $MIN_CORR; then
	ok "play FILE: the callee's recording holds the speech: $x"
else
	not_ok "play FILE: the callee's recording holds the speech: ${x:-xcorr failed}"
fi
x=$(xc "$T/sweep.wav" "$T/bob-play.wav" --min-seconds 1.5)
if [ -n "$(corr_of "$x")" ] && ! ge "$(corr_of "$x")" 0.5; then
	ok "play FILE: the speech replaced the microphone's sweep (sweep corr ${x:-none})"
else
	not_ok "play FILE: the speech replaced the microphone's sweep: $x"
fi

# ---------------------------------------------------------------- switch
expect_exit "switch: the two-call script runs" two 0
l=$(out two | grep -m1 '^call 2: calling')
if [ "$l" = "call 2: calling sip:carol@127.0.0.1:$cport" ]; then
	ok "call NAME: a buddy's name is called at its URI ('$l')"
else
	not_ok "call NAME: a buddy's name is called at its URI (got '$l')"
fi
n=$(out two | grep -Ec '^[12] out sip:(echo|carol)@127\.0\.0\.1:[0-9]+ established ')
if [ "$n" -ge 4 ]; then
	ok "calls: both calls listed, established ($n lines in two listings)"
else
	not_ok "calls: both calls listed, established (got $n)"
fi
h1=$(ev two call-held | sed -n 1p)
h2=$(ev two call-held | sed -n 2p)
if out two | grep -q '^call 1 is now the current call$' && [ "$(ev_field "$h1" call)" = 1 ] &&
	[ "$(ev_field "$h2" call)" = 2 ]; then
	ok "switch 1 then hold holds call 1; switch 2 then hold holds call 2"
else
	not_ok "switch: hold follows the current call (held: '$h1' then '$h2')"
fi
if [ "$(out two | grep -c '(held)')" = 2 ]; then
	ok "calls: both marked (held)"
else
	not_ok "calls: both marked (held)"
fi
n=$(ev two call-ended | grep -c '"by":"local"')
if [ "$n" = 2 ] && [ "$(out two | tail -n 1)" = "no calls" ]; then
	ok "hangup all: both calls end (by local), then 'no calls'"
else
	not_ok "hangup all: both calls end (got $n)"
fi

# ---------------------------------------------------------------- reject
expect_exit "reject 1 488: the caller fails with status 4" rej 4
l=$(ev rej call-ended | head -n 1)
if [ "$(ev_field "$l" status)" = 488 ] && grep -q '^-e:2: wait call-answered: the call ended (488 ' "$T/rej.err"; then
	ok "reject 1 488: the caller sees 488 in call-ended and in the error"
else
	not_ok "reject 1 488: the caller sees 488 (got '$l')"
	st_dump rej
fi
st_bg can 20 -e "call sip:dave@127.0.0.1:$dport" -e 'wait call-ringing 5' -e hangup \
	-e 'wait call-ended 3' -e quit
expect_exit "a call cancelled while ringing" can 0
expect_exit "dave's script (reject, then a missed call, then history)" dave 0
if out dave | grep -Eq '^[0-9-]+ [0-9:]+ in +failed sip:sipterm@127\.0\.0\.1(:[0-9]+)? 0:00 488 ' &&
	out dave | grep -Eq '^[0-9-]+ [0-9:]+ in +MISSED sip:sipterm@127\.0\.0\.1(:[0-9]+)? 0:00 487 ' &&
	out dave | grep -q '^1 missed call$'; then
	ok "history: the rejected call (488) and the MISSED one (487), '1 missed call'"
else
	not_ok "history: the rejected call (488) and the MISSED one (487), '1 missed call'"
	out dave | awk '{ print "#   " $0 }'
fi

# ---------------------------------------------------------------- status
expect_exit "--reject-code 603: the caller exits 7 (declined)" dec 7
if grep -q '(603 Decline)' "$T/dec.err"; then
	ok "the declined call's error names 603 Decline"
else
	not_ok "the declined call's error names 603 Decline"
fi
expect_exit "an unknown user at a sipterm with an account: exit 4" nf 4
l=$(ev nf call-ended | head -n 1)
if [ "$(ev_field "$l" status)" = 404 ]; then
	ok "the unknown user's call ended 404"
else
	not_ok "the unknown user's call ended 404 (got '$l')"
fi
if out frank | grep -q '^frank sip:frank@127.0.0.1 not registering$'; then
	ok "accounts: an account with register = no says 'not registering'"
else
	not_ok "accounts: an account with register = no says 'not registering'"
	out frank | awk '{ print "#   " $0 }'
fi
# st_pid_NAME is set by st_bg (tests/tools/call.sh)
# shellcheck disable=SC2154
kill -TERM "$st_pid_erin" "$st_pid_frank" 2>/dev/null
st_wait erin
st_wait frank

expect_exit "set with an unknown key: exit 2" badkey 2
if grep -q "^-e:2: set: no setting 'nosuch' (known: aec, agc, auto_answer, codecs, log, ns, siptrace)$" \
	"$T/badkey.err" && [ "$(out badkey)" = info ]; then
	ok "set nosuch: '-e:2: set: no setting ...' naming the keys; the script stops there"
else
	not_ok "set nosuch: '-e:2: set: no setting ...' naming the keys; the script stops there"
	st_dump badkey
fi
expect_exit "set aec with a bad value: exit 2" badval 2
if grep -q '^-e:1: set aec: on or off$' "$T/badval.err"; then
	ok "set aec sideways: '-e:1: set aec: on or off'"
else
	not_ok "set aec sideways: '-e:1: set aec: on or off'"
fi
expect_exit "set codecs with an unknown codec: exit 2" badcodec 2
if grep -q '^-e:1: set codecs: .*nosuchcodec' "$T/badcodec.err"; then
	ok "set codecs nosuchcodec: the error names it"
else
	not_ok "set codecs nosuchcodec: the error names it"
	st_dump badcodec
fi
expect_exit "--script: a bad line stops it with exit 2" script 2
if grep -q "^$T/script.txt:5: set log: error, warn, info or debug\$" "$T/script.err" &&
	[ "$(out script)" = info ] && ! grep -q 'comment\|the level' "$T/script.err"; then
	ok "--script: comments skipped, 'get log' runs, the error is '$T/script.txt:5: ...'"
else
	not_ok "--script: comments skipped, the error names FILE:5"
	st_dump script
fi

# ---------------------------------------------------------------- reg
if [ -n "$kam_ok" ]; then
	expect_exit "Kamailio: -e 'call bob' first, no 'wait registered': the call goes through" kalice 0
	# the order on stdout: waiting, registered, calling, answered
	order=$(grep -n -e '^{"output":"call: waiting for account alice to register' -e '"event":"registered"' \
		-e '^{"output":"call 1: calling sip:bob@sipterm.test' -e '"event":"call-answered"' "$T/kalice.out" |
		cut -d: -f1 | tr '\n' ' ')
	set -- $order
	if [ $# = 4 ] && [ "$1" -lt "$2" ] && [ "$2" -lt "$3" ] && [ "$3" -lt "$4" ]; then
		ok "call waits for the registration: 'waiting', registered, 'calling', call-answered in order"
	else
		not_ok "call waits for the registration: 'waiting', registered, 'calling', call-answered in order (lines: $order)"
		st_dump kalice
	fi
	if awk '/^REGISTER sip:/ { r = NR } /^SIP\/2.0 200 OK/ && r && !ok { ok = NR }
		/^INVITE sip:/ && !inv { inv = NR } END { exit !(ok && inv > ok) }' "$T/kalice.trace"; then
		ok "Kamailio: the INVITE left after the REGISTER's 200"
	else
		not_ok "Kamailio: the INVITE left after the REGISTER's 200"
	fi
	if out kalice | grep -q '^alice sip:alice@sipterm.test registered expires=60$'; then
		ok "accounts: 'alice sip:alice@sipterm.test registered expires=60'"
	else
		not_ok "accounts: 'alice sip:alice@sipterm.test registered expires=60'"
	fi
	expect_exit "Kamailio, wrong password: 'call bob' fails with status 3" kbad 3
	if grep -q '^-e:1: call: account alice failed to register (401 authentication failed): not calling$' \
		"$T/kbad.err" && ! grep -q '^INVITE sip:' "$T/kbad.trace"; then
		ok "wrong password: '-e:1: call: account alice failed to register (401 ...)', no INVITE sent"
	else
		not_ok "wrong password: the error names the failure, no INVITE sent"
		st_dump kbad
	fi
	expect_exit "stdin script, wrong password: 'call bob' after the failure: status 3" kbad2 3
	if grep -q '^stdin:2: call: account alice failed to register (401 authentication failed): not calling$' \
		"$T/kbad2.err" && ! grep -q '^INVITE sip:' "$T/kbad2.trace"; then
		ok "a call after the failure is refused at once, naming it; no INVITE sent"
	else
		not_ok "a call after the failure is refused at once, naming it; no INVITE sent"
		st_dump kbad2
	fi
	st_wait kbob
	kam_stop
else
	for d in "Kamailio: call right after start goes through" "call waits for the registration" \
		"Kamailio: the INVITE after the REGISTER's 200" "accounts: registered" \
		"Kamailio, wrong password: exit 3" "wrong password: no INVITE sent" \
		"stdin script, after the failure: exit 3" "after the failure: no INVITE sent"; do
		skip_ok "$d" "$kam_why"
	done
fi
if [ -n "${bh:-}" ]; then
	expect_exit "a registrar that never answers: 'call' gives up with status 3" hole 3
	if grep -q '^-e:1: call: account hole did not register within 10 s: not calling$' "$T/hole.err" &&
		grep -q '^REGISTER sip:' "$T/hole.trace" && ! grep -q '^INVITE sip:' "$T/hole.trace"; then
		ok "silent registrar: 'did not register within 10 s', REGISTER sent, no INVITE"
	else
		not_ok "silent registrar: 'did not register within 10 s', REGISTER sent, no INVITE"
		st_dump hole
	fi
	kill "$bh_pid" 2>/dev/null
	wait "$bh_pid" 2>/dev/null
else
	skip_ok "a registrar that never answers: exit 3" "python3 missing"
	skip_ok "silent registrar: the error" "python3 missing"
fi

# ---------------------------------------------------------------- the end
n=0
for f in "$T"/*.err; do
	grep -qiE 'sanitizer|assert|segmentation|core dumped' "$f" && n=$((n + 1))
done
if [ $n = 0 ]; then ok "no crash or sanitizer report in any log"; else not_ok "no crash or sanitizer report in any log"; fi
left=$(leftovers)
if [ -z "$left" ]; then
	ok "no sipterm of this test is left running"
else
	not_ok "no sipterm of this test is left running"
	ps -o pid,args -p "$(echo $left | tr ' ' ,)" | awk '{ print "#   " $0 }'
fi
done_testing
