#!/bin/bash
# tests/presence/kamailio.sh: presence through the test Kamailio (registrar
# with digest auth, presence server with presence_xml).
#
# alice and bob register and watch each other through the server
# ([buddy NAME] sections: SUBSCRIBE to sip:bob@sipterm.test, challenged
# 407, handled by Kamailio's presence server).  Each status change is a
# PUBLISH (RFC 3903) that Kamailio turns into NOTIFYs: the watcher sees
# it within 2 s (the latency is printed), both ways.  The first PUBLISH
# has a body and no SIP-If-Match; a change after it modifies the
# publication (SIP-If-Match: the last SIP-ETag, with a body); refreshes
# carry SIP-If-Match and no body; none gets a 412.  A buddy that does not
# exist (sip:nobody@sipterm.test) gets a 404: the subscription ends
# cleanly, sipterm keeps working, and does not retry in a storm.  When
# alice quits, bob does not keep showing her online.
#
# The Kamailio configuration is tests/interop/kamailio.cfg with three
# changes made here, in a copy:
#   - presence max_expires 8: the server grants 8 s, so sipterm refreshes
#     its publication (and subscriptions) every 4 s and a refresh is seen
#     within the test (sipterm asks for 3600 and has no knob for it);
#   - presentities and subscriptions in memory only (publ_cache 2,
#     subs_db_mode 0): with the presence tables in sqlite, a REGISTER
#     that arrives while the other worker writes them fails with
#     "database is locked" (db_sqlite sets no busy timeout) and is
#     answered with a second 401, and sipterm rightly gives up;
#   - a SUBSCRIBE for a user that is not in the subscriber table gets 404
#     (the stock presence server accepts any user of its domain).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/interop/kamailio.sh"
. "$top_srcdir/tests/presence/pres.sh"

fifo_need
kam_need
need_cmd awk
T=$TEST_TMP

tap_plan 25

# kam_cfg SRC DST: the copy of the configuration described above
kam_cfg() {
	awk '
		{ print }
		$0 == "modparam(\"presence_xml\", \"force_active\", 1)" {
			print "modparam(\"presence\", \"max_expires\", 8)"
			print "modparam(\"presence\", \"subs_db_mode\", 0)"
			print "modparam(\"presence\", \"publ_cache\", 2)"
			n++
		}
		index($0, "if (is_method(\"SUBSCRIBE\") && !($hdr(Event) =~ \"^presence\")) return;") {
			print "\tif (is_method(\"SUBSCRIBE\") && !has_totag() &&"
			print "\t    !is_subscriber(\"$ru\", \"subscriber\", \"2\")) {"
			print "\t\txlog(\"L_INFO\", \"SUBSCRIBE for unknown user $rU\\n\");"
			print "\t\tsl_send_reply(\"404\", \"Not Found\");"
			print "\t\texit;"
			print "\t}"
			n++
		}
		END { exit n != 2 }' "$1" >"$2"
}

# 1. the proxy
if ! kam_cfg "$top_srcdir/tests/interop/kamailio.cfg" "$T/kamailio.cfg"; then
	not_ok "Kamailio configuration for presence made from tests/interop/kamailio.cfg"
	echo "Bail out! tests/interop/kamailio.cfg changed: update kam_cfg in $0"
	exit 1
fi
KAM_CFG=$T/kamailio.cfg
if kam_start alice:alicepw bob:bobpw carol:carolpw; then
	ok "Kamailio started on $KAM_ADDR (presence server, max_expires 8)"
else
	not_ok "Kamailio started"
	echo "Bail out! no Kamailio, nothing else can run"
	exit 1
fi

# account_conf NAME PASSWORD BUDDY
account_conf() {
	printf '[general]\nt4 = 100\n\n[account %s]\nuri = sip:%s@%s\npassword = %s\nregistrar = sip:%s\noutbound_proxy = sip:%s\nexpires = 60\n\n[buddy %s]\nuri = sip:%s@%s\n' \
		"$1" "$1" "$KAM_DOMAIN" "$2" "$KAM_ADDR" "$KAM_ADDR" "$3" "$3" "$KAM_DOMAIN" >"$T/$1.conf"
	chmod 600 "$T/$1.conf"
}
account_conf alice alicepw bob
account_conf bob bobpw alice
ALICE=sip:alice@$KAM_DOMAIN
BOB=sip:bob@$KAM_DOMAIN
NOBODY=sip:nobody@$KAM_DOMAIN

jstr() { jq -n --arg s "$1" '$s'; }
pfilter() { # BUDDY BASIC ACTIVITY NOTE
	echo ".event == \"presence\" and .buddy == \"$1\" and .basic == \"$2\" and .activity == \"$3\" and .note == $(jstr "$4")"
}
latencies=""
# seen WHO BUDDY BASIC ACTIVITY NOTE SETTER COMMAND
seen() {
	_who=$1 _bud=$2 _basic=$3 _act=$4 _note=$5 _set=$6 _cmd=$7
	_f=$(pfilter "$_bud" "$_basic" "$_act" "$_note")
	_n0=$(fifo_count "$_who" "$_f")
	fifo_cmd "$_set" "$_cmd"
	if _ms=$(pres_latency 2 "$_who" "$_f" $((_n0 + 1))); then
		ok "'$_cmd' on $_set: $_who sees $_bud $_basic/${_act:-no activity}/${_note:-no note} in $_ms ms"
		latencies="$latencies $_ms"
	else
		not_ok "'$_cmd' on $_set: $_who sees $_bud $_basic/${_act:-no activity}/${_note:-no note} within 2 s (last: $(pres_last "$_who" "$_bud"))"
		fifo_dump "$_who"
		kam_log | tail -n 10 | sed 's/^/#   /'
	fi
}

# 2. register
pres_start alice "$(free_port)" 60 -f "$T/alice.conf"
pres_start bob "$(free_port)" 60 -f "$T/bob.conf"
fifo_wait_count 10 alice '.event == "registered"' 1
fifo_wait_count 10 bob '.event == "registered"' 1
if [ "$(fifo_count alice '.event == "registered"')" = 1 ] &&
	[ "$(fifo_count bob '.event == "registered"')" = 1 ] &&
	grep -q '^Authorization: Digest' "$T/alice.trace"; then
	ok "alice and bob registered with digest auth"
else
	not_ok "alice and bob registered with digest auth"
	fifo_dump alice
	fifo_dump bob
	kam_log | tail -n 20 | sed 's/^/#   /'
fi

# 3-4. each watches the other through the server ([buddy] sections)
check "alice sees bob open (his first PUBLISH, NOTIFYed by Kamailio)" \
	fifo_wait_count 5 alice "$(pfilter bob open '' '')" 1
check "bob sees alice open" fifo_wait_count 5 bob "$(pfilter alice open '' '')" 1
# 5
la=$(pres_buddies alice | grep '^bob ')
if [ "$la" = "bob $BOB open (active)" ] && grep -q '^Proxy-Authorization: Digest' "$T/alice.trace"; then
	ok "alice's subscription to bob is active (after a 407 answered with credentials)"
else
	not_ok "alice's subscription to bob is active (got: ${la:-nothing})"
fi

# 6-11. status changes both ways, each a PUBLISH through Kamailio
seen bob alice open away "at lunch, back at 2 & <not before>" alice \
	"status away \"at lunch, back at 2 & <not before>\""
seen bob alice open busy "" alice "status busy"
seen bob alice closed "" "gone home" alice "status offline gone home"
seen bob alice open "" "" alice "status online"
seen alice bob open away "brb" bob "status away brb"
seen alice bob open busy "on a call" bob "status busy on a call"

# 12-15. a buddy that does not exist
mark=$(wc -l <"$T/alice.trace")
fifo_cmd alice "buddy add $NOBODY nobody"
nb() { pres_buddies alice | grep "^nobody "; }
_nb_done() { case $(nb) in *"(terminated: "*) return 0 ;; esac; return 1; }
if wait_for 3 _nb_done; then
	ok "the subscription to nobody ends cleanly: $(nb | cut -d' ' -f3-)"
else
	not_ok "the subscription to nobody ends cleanly within 3 s (got: $(nb))"
	kam_log | grep -i nobody | tail -n 5 | sed 's/^/#   /'
fi
case $(nb) in
"nobody $NOBODY unknown ("*) ok "nobody is shown unknown" ;;
*) not_ok "nobody is shown unknown (got: $(nb))" ;;
esac
sleep 5
n=$(pres_count_sip "$T/alice.trace" "SUBSCRIBE $NOBODY" "" $((mark + 1)))
diag "SUBSCRIBEs to nobody in the 5 s after the failure: $n"
check "no retry storm: $n SUBSCRIBE(s) to nobody in about 6 s (at most 3)" [ "$n" -le 3 ]
seen bob alice open away "still here" alice "status away still here"

# 16-20. PUBLISH and SIP-If-Match, from alice's trace: one line per
# PUBLISH sent: "callid if-match content-length", then per response
# "= callid code etag"
pub_lines() {
	awk '
		function flush() {
			if (start ~ /^PUBLISH /) print "P", cid, (ifm == "" ? "-" : ifm), clen
			else if (start ~ /^SIP\/2\.0 / && cseq ~ / PUBLISH$/) {
				split(start, w, " ")
				if (w[2] >= 200) print "R", cid, w[2], (etag == "" ? "-" : etag)
			}
			start = ""
		}
		/^[0-9][0-9]:[0-9][0-9]:[0-9.]+ [A-Z]+ (send|recv) / {
			flush(); dir = $3; first = 1; cid = ifm = etag = cseq = ""; clen = 0; next
		}
		first { first = 0; if ((dir == "send" && /^PUBLISH /) || (dir == "recv" && /^SIP\/2\.0 /)) start = $0; next }
		{ sub(/\r$/, "") }
		tolower($0) ~ /^(call-id|i):/ { v = $0; sub(/^[^:]*:[ \t]*/, "", v); cid = v }
		tolower($0) ~ /^sip-if-match:/ { v = $0; sub(/^[^:]*:[ \t]*/, "", v); ifm = v }
		tolower($0) ~ /^sip-etag:/ { v = $0; sub(/^[^:]*:[ \t]*/, "", v); etag = v }
		tolower($0) ~ /^cseq:/ { v = $0; sub(/^[^:]*:[ \t]*/, "", v); cseq = v }
		tolower($0) ~ /^(content-length|l):/ { v = $0; sub(/^[^:]*:[ \t]*/, "", v); clen = v + 0 }
		END { flush() }' "$1" | awk '
		# keep the PUBLISHes that got a final answer: "ifmatch clen code etag"
		$1 == "P" { req[$2] = $3 " " $4; order[n++] = $2 }
		$1 == "R" { resp[$2] = $3 " " $4 }
		END { for (i = 0; i < n; i++) if (order[i] in resp) print req[order[i]], resp[order[i]] }'
}
# wait for a refresh (no body) to be answered: 4 s after the last change
_refreshed() { pub_lines "$T/alice.trace" | awk '$1 != "-" && $2 == 0 && $3 == 200 { f = 1 } END { exit !f }'; }
wait_for 8 _refreshed
pub_lines "$T/alice.trace" >"$T/alice.pub"
diag "alice's PUBLISHes (SIP-If-Match, Content-Length, answer, SIP-ETag):"
awk '{ print "#   " $0 }' "$T/alice.pub"
first=$(head -n 1 "$T/alice.pub")
case $first in
"- "*" 200 "*)
	set -- $first
	if [ "$2" -gt 0 ] && [ "$4" != - ]; then
		ok "the first PUBLISH has a body and no SIP-If-Match; its 200 gives a SIP-ETag"
	else
		not_ok "the first PUBLISH has a body and no SIP-If-Match; its 200 gives a SIP-ETag (got: $first)"
	fi ;;
*) not_ok "the first PUBLISH has a body and no SIP-If-Match; its 200 gives a SIP-ETag (got: ${first:-nothing})" ;;
esac
# every PUBLISH after a 2xx matches the SIP-ETag of that 2xx
bad=$(awk '
	NR > 1 && prev != "" && $1 != prev { print NR ": If-Match " $1 ", last ETag " prev }
	$3 >= 200 && $3 < 300 && $4 != "-" { prev = $4 }' "$T/alice.pub")
check "every later PUBLISH carries SIP-If-Match with the last SIP-ETag${bad:+ ($bad)}" [ -z "$bad" ]
check "a status change after the first PUBLISH modifies it (SIP-If-Match, with a body), 200" \
	awk '$1 != "-" && $2 > 0 && $3 == 200 { f = 1 } END { exit !f }' "$T/alice.pub"
check "the publication is refreshed (SIP-If-Match, no body) and the refresh is accepted (200)" \
	awk '$1 != "-" && $2 == 0 && $3 == 200 { f = 1 } END { exit !f }' "$T/alice.pub"
n412=$(awk '$3 == 412' "$T/alice.pub" | wc -l)
check "no PUBLISH got 412 (Conditional Request Failed): $n412" [ "$n412" = 0 ]

# 21. the subscriptions survived their own refreshes (granted 8 s each)
la=$(pres_buddies alice | grep '^bob ')
lb=$(pres_buddies bob | grep '^alice ')
case "$la|$lb" in
*"(active)|"*"(active)") ok "both subscriptions still active after their refreshes" ;;
*) not_ok "both subscriptions still active after their refreshes (got: $la | $lb)" ;;
esac

# 22-23. alice quits: bob must not keep showing her online
t0=$(_pres_ms)
fifo_quit alice
rc=$?
check "alice quits with status 0 (was $rc)" [ "$rc" = 0 ]
_gone() { case $(pres_last bob alice) in open*) return 1 ;; esac; return 0; }
if wait_for 3 _gone; then
	ok "bob sees alice $(pres_last bob alice | cut -d'|' -f1) within $(( $(_pres_ms) - t0 )) ms of her quit"
else
	not_ok "bob does not show alice online after she quit (last: $(pres_last bob alice); $(pres_buddies bob | grep '^alice '))"
	grep -n -A3 'Expires: 0' "$T/alice.trace" | grep -E 'PUBLISH|Expires' | head -n 4 | sed 's/^/#   /'
fi

# 24-25
fifo_quit bob
rc=$?
check "bob quits with status 0 (was $rc)" [ "$rc" = 0 ]
diag "status-change latencies through Kamailio (ms):$latencies"
kam_stop
left=$(leftovers)
check "nothing left running${left:+ (}${left}${left:+)}" [ -z "$left" ]
done_testing
