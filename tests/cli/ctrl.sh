#!/bin/bash
# tests/cli/ctrl.sh: the control socket (--ctrl PATH), as sipterm(1)
# documents it, driven by a client in Python (below).
#
# Three headless sipterms on 127.0.0.1: bob answers every call (-A0), carol
# refuses every caller (--allow matches nobody: 486), alice takes commands
# on a control socket only.  The client checks: the socket is mode 0600; a
# reply is zero or more "| text" lines and exactly one "ok" or "error
# MESSAGE"; no event line comes inside a reply, events come between
# replies; "wait call-answered" is answered after its event; an error goes
# back to the client that sent the command (not to sipterm's stderr); a
# busy callee makes the wait's error name 486; a wait holds back the
# client's next command while a second client is served at once and sees
# only events and its own replies; quit answers ok and closes.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tools/call.sh"

call_need
need_cmd python3 python3
T=$TEST_TMP
SOCK=$T/run/ctrl.sock
mkdir -p "$T/run"

tap_plan 30

cat >"$T/client.py" <<'PY'
import json
import re
import select
import socket
import sys
import time

sock_path, bob_port, busy_port = sys.argv[1], sys.argv[2], sys.argv[3]
results = []


# An event line's fields: JSON (--events json, as st_bg runs sipterm) or
# the text form "name key=value ...".
def evd(text):
    if text.startswith("{"):
        return json.loads(text)
    name, _, rest = text.partition(" ")
    d = {"event": name}
    for k, v in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)', rest):
        v = v.strip('"')
        d[k] = int(v) if re.fullmatch(r"-?\d+", v) else v
    return d


def has_ev(events, name, **kv):
    for e in events:
        d = evd(e)
        if d.get("event") == name and all(d.get(k) == v for k, v in kv.items()):
            return d
    return None


def check(desc, cond, why=""):
    results.append(("ok " if cond else "not ok ") + desc + ("" if cond else ": " + why))


class Reply:
    def __init__(self, events, data, end, secs):
        self.events, self.data, self.end, self.secs = events, data, end, secs

    def ok(self):
        return self.end == "ok"


class Client:
    def __init__(self, name):
        self.name = name
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(sock_path)
        self.buf = b""
        self.lines = []          # everything received, in order
        self.events = []         # every event line received
        self.bad = []            # protocol violations
        self.eof = False

    def send(self, text):
        self.s.sendall(text.encode())

    def readline(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or self.eof:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return None
            chunk = self.s.recv(65536)
            if not chunk:
                self.eof = True
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.decode("utf-8", "replace")
        self.lines.append(line)
        if line.startswith("event "):
            self.events.append(line[6:])
        elif not (line.startswith("| ") or line == "ok" or line.startswith("error ")):
            self.bad.append("a line of no known form: %r" % line)
        return line

    # Read one reply (after sending its command): events seen before it
    # starts, its data lines, its last line.
    def reply(self, timeout=10.0):
        t0 = time.monotonic()
        events, data = [], []
        while True:
            line = self.readline(timeout - (time.monotonic() - t0))
            if line is None:
                self.bad.append("no reply within %g s" % timeout)
                return Reply(events, data, None, time.monotonic() - t0)
            if line.startswith("event "):
                if data:
                    self.bad.append("event inside a reply: %r" % line)
                events.append(line[6:])
            elif line.startswith("| "):
                data.append(line[2:])
            else:
                return Reply(events, data, line, time.monotonic() - t0)

    def cmd(self, text, timeout=10.0):
        self.send(text + "\n")
        return self.reply(timeout)

    # Read for secs (no command outstanding): only events may come.
    def idle(self, secs, until=None):
        end = time.monotonic() + secs
        while time.monotonic() < end:
            line = self.readline(end - time.monotonic())
            if line is None:
                if self.eof:
                    return
                continue
            if not line.startswith("event "):
                self.bad.append("a reply line with no command outstanding: %r" % line)
            elif until and has_ev([line[6:]], *until[:1], **until[1]):
                return evd(line[6:])
        return None


a = Client("first")
b = Client("second")

# call, and its reply
r = a.cmd("call sip:bob@127.0.0.1:%s" % bob_port)
check("call: one data line 'call 1: calling sip:bob@...' then ok",
      r.ok() and len(r.data) == 1 and
      r.data[0] == "call 1: calling sip:bob@127.0.0.1:%s" % bob_port,
      "got %r %r" % (r.data, r.end))

# wait call-answered: the event comes first, then ok
r = a.cmd("wait call-answered 5")
answered = has_ev(r.events, "call-answered", call=1)
check("wait call-answered 5: ok, after the call-answered event line",
      r.ok() and answered and not r.data, "got %r %r, events %r" % (r.data, r.end, r.events))
check("events arrive between replies: call-ringing, call-answered as 'event ...' lines",
      has_ev(a.events, "call-ringing", call=1, status=180) and
      has_ev(a.events, "call-answered", call=1), "events %r" % a.events)

# calls: state and codec
r = a.cmd("calls")
m = re.match(r"^1 out sip:bob@127\.0\.0\.1:%s established \d+s codec=(\S+) " % bob_port,
             r.data[0] if r.data else "")
check("calls: '1 out sip:bob@... established Ns codec=CODEC ...' then ok",
      r.ok() and len(r.data) == 1 and m is not None and m.group(1) != "-",
      "got %r %r" % (r.data, r.end))

r = a.cmd("dtmf 12#")
check("dtmf 12#: ok with no data", r.ok() and not r.data, "got %r %r" % (r.data, r.end))
time.sleep(0.6)  # let the digits play out before the BYE

# a reply of many data lines while events may come: never split
r = a.cmd("help")
check("help: many data lines, then ok, no event among them",
      r.ok() and len(r.data) > 20 and not any(d.startswith("event ") for d in r.data),
      "got %d lines, end %r" % (len(r.data), r.end))

r = a.cmd("hangup")
check("hangup: ok", r.ok(), "got %r %r" % (r.data, r.end))
ended = has_ev(r.events, "call-ended", call=1) or a.idle(5, ("call-ended", {"call": 1}))
check("hangup: 'event call-ended' for call 1, status 200 by local, outside the reply",
      ended and ended.get("status") == 200 and ended.get("by") == "local", "got %r" % ended)

# an error goes back to this client
r = a.cmd("frobnicate now")
check("an unknown command: no data, 'error unknown command 'frobnicate' ...'",
      not r.data and r.end is not None and
      r.end.startswith("error unknown command 'frobnicate'"), "got %r %r" % (r.data, r.end))
r = a.cmd("set aec sideways")
check("a bad value: 'error set aec: on or off'", r.end == "error set aec: on or off",
      "got %r" % r.end)

# a busy callee: the wait's error names the status
r = a.cmd("call sip:carol@127.0.0.1:%s" % busy_port)
check("call to the busy callee: ok", r.ok(), "got %r %r" % (r.data, r.end))
r = a.cmd("wait call-answered 5")
check("wait call-answered on a busy callee: 'error ... 486 Busy Here'",
      r.end is not None and r.end.startswith("error ") and "486" in r.end and
      "Busy Here" in r.end, "got %r %r" % (r.data, r.end))

# two clients at once, each with its own replies
ts = time.monotonic()
a.send("wait 1.5\ncalls\n")
time.sleep(0.2)
t0 = time.monotonic()
r2 = b.cmd("get codecs", 3)
check("second client: its 'get codecs' is answered at once while the first one waits",
      r2.ok() and len(r2.data) == 1 and "PCMU" in r2.data[0] and
      time.monotonic() - t0 < 1.0, "got %r %r after %.2f s" % (r2.data, r2.end, r2.secs))
early = a.readline(0.3)
check("first client: nothing of the second one's reply, its wait still running",
      early is None or early.startswith("event "), "got %r" % early)
r = a.reply(5)
check("first client: 'wait 1.5' answered ok", r.ok() and not r.data,
      "got %r %r" % (r.data, r.end))
t1 = time.monotonic()
r = a.reply(5)
check("a wait holds back the client's next command: 'calls' answered after it, 'no calls'",
      r.ok() and r.data == ["no calls"] and t1 - ts >= 1.45,
      "got %r %r (wait ended %.2f s after it was sent)" % (r.data, r.end, t1 - ts))
check("second client got the events too (the busy call's call-ended 486)",
      has_ev(b.events, "call-ended", call=2, status=486), "its events: %r" % b.events)
# the second client saw only events and its own reply
own = [l for l in b.lines if not l.startswith("event ")]
check("second client's lines: events and its own reply only",
      own == ["| " + d for d in r2.data] + ["ok"],
      "got %r" % own)
b.idle(0.3)

# a command sent in two pieces, and a CRLF line
a.send("get ")
time.sleep(0.1)
a.send("log\r\n")
r = a.reply(3)
check("a line sent in two writes, CRLF-terminated: 'get log' -> '| info', ok",
      r.ok() and r.data == ["info"], "got %r %r" % (r.data, r.end))

# quit: ok, then sipterm closes the connection
r = a.cmd("quit")
a.idle(3)
check("quit: ok, then the socket is closed", r.ok() and a.eof,
      "got %r %r, eof %s" % (r.data, r.end, a.eof))

check("first client: every line is '| text', ok, error or event, and no event or "
      "stray line inside or outside a reply", not a.bad, "%r" % a.bad)
check("second client: the same", not b.bad, "%r" % b.bad)

for line in results:
    print(line)
print("transcript of the first client:")
for line in a.lines:
    print("  " + line)
PY

st_bg bob 40 -A0
st_bg carol 40 -A0 --allow 'sip:nobody@*'
bport=$(st_port bob)
cport=$(st_port carol)
# no -e and no script on stdin: alice runs until "quit" on the socket
st_bg alice 40 --ctrl "$SOCK"

_sock() { [ -S "$SOCK" ]; }
if wait_for 5 _sock && [ "$(stat -c %a "$SOCK")" = 600 ]; then
	ok "--ctrl creates the socket with mode 0600"
else
	not_ok "--ctrl creates the socket with mode 0600 (got $(stat -c %a "$SOCK" 2>&1))"
	st_dump alice
fi

timeout 30 python3 "$T/client.py" "$SOCK" "$bport" "$cport" >"$T/client.out" 2>&1
rc=$?
n=0
while IFS= read -r l; do
	case $l in
	"ok "*) ok "${l#ok }"; n=$((n + 1)) ;;
	"not ok "*) not_ok "${l#not ok }"; n=$((n + 1)) ;;
	esac
done <"$T/client.out"
if [ $rc = 0 ] && [ $n = 22 ]; then
	ok "the client ran every check (22)"
else
	not_ok "the client ran every check (ran $n, exit $rc)"
	awk '{ print "#   " $0 }' "$T/client.out"
fi
grep -q '^not ok' "$T/client.out" && sed -n '/^transcript/,$p' "$T/client.out" | awk '{ print "#   " $0 }'

st_wait alice; ra=$?
if [ $ra = 0 ]; then
	ok "alice exits 0 after quit on the socket"
else
	not_ok "alice exits 0 after quit on the socket (got $ra)"
	st_dump alice
fi
if [ ! -e "$SOCK" ]; then
	ok "the socket is removed on exit"
else
	not_ok "the socket is removed on exit"
fi
if ! grep -q frobnicate "$T/alice.err" "$T/alice.out"; then
	ok "the control client's error went to it only, not to sipterm's stderr or stdout"
else
	not_ok "the control client's error went to it only, not to sipterm's stderr or stdout"
fi
d=$(ev bob dtmf | while IFS= read -r l; do ev_field "$l" digit; done | tr -d '\n')
if [ "$d" = '12#' ]; then
	ok "dtmf 12# from the socket: bob reports the digits 12#"
else
	not_ok "dtmf 12# from the socket: bob reports the digits 12# (got '$d')"
	st_dump bob
fi
l=$(ev carol call-incoming)
if [ -z "$l" ] && grep -q "refusing a call from sip:sipterm@127.0.0.1.*not in --allow" "$T/carol.err"; then
	ok "carol refused the call (486) without ringing"
else
	not_ok "carol refused the call (486) without ringing"
	st_dump carol
fi

# st_pid_NAME is set by st_bg (tests/tools/call.sh)
# shellcheck disable=SC2154
kill -TERM "$st_pid_bob" "$st_pid_carol" 2>/dev/null
st_wait bob
st_wait carol
left=$(leftovers)
if [ -z "$left" ]; then
	ok "no process of this test is left running"
else
	not_ok "no process of this test is left running"
fi
done_testing
