#!/bin/bash
# tests/ua/semantic.sh: the UA core of the real program answers the RFC 4475
# and RFC 5118 torture messages as tests/data/conformance/manifest.tsv says,
# over the network, and survives all of them over UDP and TCP.
#
#   1. every file on a fresh "sipterm --headless" (direct mode, no config),
#      over UDP (a fresh one each, so that two messages sharing a branch are
#      not taken for retransmissions of each other):
#        semantic:NNN      answered NNN
#        invalid request   answered 400 with a reason naming the fault
#                          (dropped when it has no Via to answer to)
#        response          no answer at all (nothing sent)
#        valid request     OPTIONS answered 200, others answered (a final
#                          response but 400, or an INVITE rings: 18x)
#   2. every file, one after the other, to one sipterm over UDP and then
#      over TCP (a connection each): it is still there and answers OPTIONS
#   3. OPTIONS: 200 with Allow, Accept, Supported; Max-Forwards: 0 -> 483;
#      BYE for no dialog -> 481; a merged INVITE -> 482
#
# The files are sent as tests/ua/wire.pl prepares them: RFC 5118 ones made
# wire format, and ";rport" added to the top Via of requests sent over UDP
# (the answer would go to port 5060 otherwise).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/ua/sipterm.sh"

CORPUS=$top_srcdir/tests/data/conformance
need_cmd socat socat
need_cmd perl perl
[ -x "$SIPTERM" ] || skip_all "$SIPTERM not built (make sipterm)"

# the manifest without its header line: FILE EXPECTED
awk -F'\t' 'NR > 1 && $1 != "" { print $1, $3 }' "$CORPUS/manifest.tsv" >"$TEST_TMP/rows"
nrows=$(wc -l <"$TEST_TMP/rows")

tap_plan $((nrows + 13))

# wire files: $TEST_TMP/wire/udp/rfc4475-wsinv.dat and .../tcp/...
mkdir -p "$TEST_TMP/wire/udp" "$TEST_TMP/wire/tcp"
while read -r f exp; do
	case $f in rfc5118/*) fix=--5118 ;; *) fix= ;; esac
	w=$(printf '%s' "$f" | tr / -)
	perl "$top_srcdir/tests/ua/wire.pl" $fix --rport "$CORPUS/$f" "$TEST_TMP/wire/udp/$w" 2>/dev/null &&
		perl "$top_srcdir/tests/ua/wire.pl" $fix "$CORPUS/$f" "$TEST_TMP/wire/tcp/$w" ||
		echo "Bail out! cannot prepare $f"
done <"$TEST_TMP/rows"

# show_answer NAME: what sipterm said (after a failure)
show_answer() {
	diag "answers received:"
	tr -d '\r' <"$TEST_TMP/$1.ans" | head -n 20 | awk '{ print "#   " $0 }'
	diag "sipterm's log:"
	tail -n 10 "$TEST_TMP/$ST_NAME.err" | awk '{ print "#   " $0 }'
}

# 1. one file, one fresh sipterm
i=0
while read -r f exp; do
	i=$((i + 1))
	n=c$i
	w=$(printf '%s' "$f" | tr / -)
	wire=$TEST_TMP/wire/udp/$w
	if ! st_start "$n"; then
		not_ok "udp $f ($exp): sipterm did not start"
		continue
	fi
	kind=request
	head -c 8 "$wire" | grep -q '^SIP/2\.0' && kind=response
	noanswer=0
	if [ $kind = response ]; then
		noanswer=1
	elif ! grep -a -q -i '^\(via\|v\)[ 	]*:' "$wire"; then
		noanswer=1	# no Via: nowhere to send an answer
	fi
	if [ $noanswer = 1 ]; then ASK_WAIT=3; else ASK_WAIT=20; fi
	ask udp "$wire" "$n"
	ASK_WAIT=20
	got=$(answer_status "$TEST_TMP/$n.ans")
	code=${got%% *}
	reason=${got#* }
	[ "$reason" != "$got" ] || reason=""
	alive=1
	st_running "$ST_PID" || alive=0
	sends=$(grep -c ' send to ' "$TEST_TMP/$n.trace" 2>/dev/null)
	st_stop
	rc=$?
	what="udp $f ($exp)"
	if [ $alive = 0 ]; then
		not_ok "$what: sipterm died (exit status $rc)"
		show_answer "$n"
		continue
	fi
	if [ $noanswer = 1 ]; then
		if [ ! -s "$TEST_TMP/$n.ans" ] && [ "${sends:-0}" = 0 ]; then
			if [ $kind = response ]; then
				ok "$what: a response: not answered, nothing sent"
			else
				ok "$what: no Via to answer to: dropped, nothing sent"
			fi
		else
			not_ok "$what: no answer expected, sipterm sent $sends message(s)"
			show_answer "$n"
		fi
		continue
	fi
	case $exp in
	semantic:*)
		if [ "$code" = "${exp#semantic:}" ]; then
			ok "$what: $got"
		else
			not_ok "$what: ${got:-no answer}"
			show_answer "$n"
		fi
		;;
	invalid)
		if [ "$code" = 400 ] && [ -n "$reason" ] && [ "$reason" != "Bad Request" ]; then
			ok "$what: $got"
		else
			not_ok "$what: ${got:-no answer} (want 400 naming the fault)"
			show_answer "$n"
		fi
		;;
	valid)
		method=$(head -n 1 "$wire" | cut -d' ' -f1)
		if [ "$method" = OPTIONS ] && [ "$code" = 200 ]; then
			ok "$what: $got"
		elif [ "$method" != OPTIONS ] && [ -n "$code" ] && [ "$code" != 400 ]; then
			ok "$what: $got"
		else
			not_ok "$what: ${got:-no answer} (want $([ "$method" = OPTIONS ] && echo 200 || echo 'an answer, not 400'))"
			show_answer "$n"
		fi
		;;
	*)
		not_ok "$what: unknown verdict in manifest.tsv"
		;;
	esac
done <"$TEST_TMP/rows"

# a request of our own: req NAME METHOD EXTRA-HEADERS [BODY]
req() {
	_n=$1 _m=$2 _h=$3 _b=${4:-}
	printf '%s sip:bob@127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-%s;rport\r\nFrom: <sip:tester@127.0.0.1>;tag=t-%s\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: %s@sipterm.test\r\nCSeq: 1 %s\r\n%bContent-Length: %s\r\n\r\n%s' \
		"$_m" "$ST_PORT" "$_n" "$_n" "$_n" "$_m" "$_h" "${#_b}" "$_b" >"$TEST_TMP/$_n.req"
}

# 2. the whole corpus to one sipterm, then OPTIONS
if ! st_start flood; then
	echo "Bail out! sipterm does not start"
	exit 1
fi
for proto in udp tcp; do
	case $proto in udp) PROTO=UDP ;; tcp) PROTO=TCP ;; esac
	pids=""
	for wire in "$TEST_TMP/wire/$proto"/*; do
		socat -b 65535 -t 1 "OPEN:$wire,rdonly!!OPEN:/dev/null,wronly" \
			"${PROTO}4:127.0.0.1:$ST_PORT" 2>/dev/null &
		pids="$pids $!"
		sleep 0.02
	done
	for p in $pids; do wait "$p"; done
	n=$(grep -c " $PROTO recv from " "$TEST_TMP/flood.trace")
	check "every corpus file over $proto ($n messages in the trace): sipterm still running" \
		st_running "$ST_PID"
	req "alive-$proto" OPTIONS "Max-Forwards: 70\r\n"
	ask "$proto" "$TEST_TMP/alive-$proto.req" "alive-$proto"
	got=$(answer_status "$TEST_TMP/alive-$proto.ans")
	if [ "${got%% *}" = 200 ]; then
		ok "after them, OPTIONS over $proto answered: $got"
	else
		not_ok "after them, OPTIONS over $proto answered: ${got:-nothing}"
		show_answer "alive-$proto"
	fi
done

# 3. OPTIONS and the UA core's other answers
# hdr NAME HEADER: the value of HEADER in the answer NAME
hdr() {
	tr -d '\r' <"$TEST_TMP/$1.ans" | sed -n "s/^$2:[ 	]*//ip" | head -n 1
}
req options OPTIONS "Max-Forwards: 70\r\nAccept: application/sdp\r\n"
ask udp "$TEST_TMP/options.req" options
got=$(answer_status "$TEST_TMP/options.ans")
if [ "${got%% *}" = 200 ]; then ok "OPTIONS: $got"; else not_ok "OPTIONS: ${got:-no answer}"; show_answer options; fi
a=$(hdr options Allow)
missing=""
for m in INVITE ACK BYE CANCEL OPTIONS; do
	case ", $a," in *", $m,"*) ;; *) missing="$missing $m" ;; esac
done
if [ -z "$missing" ]; then ok "OPTIONS answer: Allow: $a"
else not_ok "OPTIONS answer: Allow lacks$missing (got '$a')"; fi
a=$(hdr options Accept)
case ", $a," in
*", application/sdp,"*) ok "OPTIONS answer: Accept: $a" ;;
*) not_ok "OPTIONS answer: Accept lists application/sdp (got '$a')" ;;
esac
a=$(hdr options Supported)
if [ -n "$a" ]; then ok "OPTIONS answer: Supported: $a"; else not_ok "OPTIONS answer: a Supported header"; fi

req maxfwd MESSAGE "Max-Forwards: 0\r\nContent-Type: text/plain\r\n" "hello"
ask udp "$TEST_TMP/maxfwd.req" maxfwd
got=$(answer_status "$TEST_TMP/maxfwd.ans")
if [ "${got%% *}" = 483 ]; then ok "MESSAGE with Max-Forwards: 0: $got"
else not_ok "MESSAGE with Max-Forwards: 0: ${got:-no answer} (want 483)"; show_answer maxfwd; fi

req bye BYE "Max-Forwards: 70\r\n"
sed -i 's/^To: <sip:bob@127.0.0.1>/&;tag=no-such-dialog/' "$TEST_TMP/bye.req"
ask udp "$TEST_TMP/bye.req" bye
got=$(answer_status "$TEST_TMP/bye.ans")
if [ "${got%% *}" = 481 ]; then ok "BYE with a To tag for no dialog: $got"
else not_ok "BYE with a To tag for no dialog: ${got:-no answer} (want 481)"; show_answer bye; fi

# RFC 3261 8.2.2.2: the same INVITE (From tag, Call-ID, CSeq) by another
# path (another branch) is a merged request
req merged-a INVITE "Max-Forwards: 70\r\n"
sed 's/z9hG4bK-merged-a/z9hG4bK-merged-b/' "$TEST_TMP/merged-a.req" >"$TEST_TMP/merged-b.req"
ask udp "$TEST_TMP/merged-a.req" merged-a
first=$(answer_status "$TEST_TMP/merged-a.ans")
ask udp "$TEST_TMP/merged-b.req" merged-b
got=$(answer_status "$TEST_TMP/merged-b.ans")
if [ "${got%% *}" = 482 ]; then
	ok "INVITE merged with an earlier one (that one answered ${first:-nothing}): $got"
else
	not_ok "INVITE merged with an earlier one (that one answered ${first:-nothing}): ${got:-no answer} (want 482)"
	show_answer merged-b
fi

st_stop TERM
rc=$?
if [ $rc = 0 ]; then ok "SIGTERM: sipterm exits with status 0"; else not_ok "SIGTERM: sipterm exits with status $rc"; fi

sleep 0.1
left=$(st_left)
if [ -z "$left" ]; then
	ok "no sipterm or socat process left behind"
else
	not_ok "no sipterm or socat process left behind"
	for p in $left; do ps -o pid=,args= -p "$p"; done | awk '{ print "#   " $0 }'
fi

done_testing
