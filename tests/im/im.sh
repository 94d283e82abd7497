# tests/im/im.sh: helpers for the instant message tests (sourced after
# tests/lib.sh).
#
#   im_need                    skip unless sipterm is built and jq, timeout,
#                              pgrep are installed
#   im_start NAME SECS [ARGS...]
#                              start "sipterm --headless --events json -l
#                              127.0.0.1:0 ARGS" in the background (port
#                              $IM_PORT instead when set), killed
#                              after SECS, its commands read from a FIFO the
#                              test writes with im_cmd; its own data directory
#                              ($TEST_TMP/NAME.data: the chats), events in
#                              NAME.out, stderr in NAME.err, log in NAME.log;
#                              returns once it listens (10 s)
#   im_port NAME               the port it listens on (UDP and TCP)
#   im_cmd NAME LINE...        send command lines to NAME
#   im_quit NAME               "quit", close its input, wait (bounded by its
#                              timeout); returns its exit status
#   im_pid NAME                its pid (of timeout(1), which runs it)
#   im_sipterm_pid NAME        the pid of the sipterm process itself
#   im_ev NAME JQ-FILTER       NAME's events (JSON lines) through jq -c
#                              (torn lines from a killed process are skipped)
#   im_evr NAME JQ-FILTER      the same with jq -r (raw strings)
#   im_count NAME JQ-FILTER    how many events select(FILTER) keeps
#   im_wait_count SECS NAME JQ-FILTER N
#                              wait until at least N events match
#   im_chats NAME              NAME's chats directory
#   im_hist FILE [DIR]         the messages of a history file as
#                              "dir<TAB>id<TAB>status<TAB>text" with the text
#                              unescaped ("\n" stays two characters); status
#                              records fold into their message; records whose
#                              check does not match are left out
#   im_dump NAME               NAME's last events and log lines as diag
#   leftovers                  processes of this test still running

im_need() {
	[ -x "$SIPTERM" ] || skip_all "$SIPTERM not built"
	need_cmd jq jq
	need_cmd timeout coreutils
	need_cmd pgrep procps
	need_cmd mkfifo coreutils
}

HOME=$TEST_TMP/home
XDG_CONFIG_HOME=$TEST_TMP/home/.config
export HOME XDG_CONFIG_HOME
mkdir -p "$HOME"

_im_v() { printf '%s' "$1" | tr -c 'A-Za-z0-9_' _; }

_im_listening() {
	grep -q 'listening for SIP on port' "$TEST_TMP/$1.err" 2>/dev/null
}

im_start() {
	_n=$1 _s=$2; shift 2
	_v=$(_im_v "$_n")
	rm -f "$TEST_TMP/$_n.in"
	mkfifo "$TEST_TMP/$_n.in" || return 1
	: >"$TEST_TMP/$_n.out"
	: >"$TEST_TMP/$_n.err"
	mkdir -p "$TEST_TMP/$_n.data"
	XDG_DATA_HOME=$TEST_TMP/$_n.data timeout -k 2 "$_s" "$SIPTERM" --headless \
		--events json -l "127.0.0.1:${IM_PORT:-0}" --log-file "$TEST_TMP/$_n.log" "$@" \
		<"$TEST_TMP/$_n.in" >"$TEST_TMP/$_n.out" 2>"$TEST_TMP/$_n.err" &
	eval "im_pid_$_v=\$!"
	test_pids="$test_pids $!"
	# the writing end stays open until im_quit: the FIFO never sees EOF
	eval "exec {im_fd_$_v}>\"\$TEST_TMP/\$_n.in\""
	if ! wait_for 10 _im_listening "$_n"; then
		diag "$_n does not listen"
		im_dump "$_n"
		return 1
	fi
}

im_port() {
	sed -n 's/.*listening for SIP on port \([0-9][0-9]*\).*/\1/p' "$TEST_TMP/$1.err" |
		head -n 1
}

im_pid() {
	eval "printf '%s\n' \"\${im_pid_$(_im_v "$1"):-}\""
}

im_sipterm_pid() {
	pgrep -P "$(im_pid "$1")" -x sipterm
}

im_cmd() {
	_v=$(_im_v "$1"); shift
	eval "_fd=\${im_fd_$_v:-}"
	[ -n "$_fd" ] || return 1
	printf '%s\n' "$@" >&"$_fd"
}

im_close_input() {
	_v=$(_im_v "$1")
	eval "_fd=\${im_fd_$_v:-}"
	[ -n "$_fd" ] || return 0
	eval "exec {im_fd_$_v}>&-"
	eval "im_fd_$_v="
}

im_quit() {
	im_cmd "$1" quit 2>/dev/null
	im_close_input "$1"
	_p=$(im_pid "$1")
	[ -n "$_p" ] || return 255
	wait "$_p"
}

im_ev() {
	# a line cut by kill -9 is not JSON: keep only the lines that parse
	grep '^{"event":' "$TEST_TMP/$1.out" 2>/dev/null |
		jq -c -R "fromjson? | $2" 2>/dev/null
}

im_evr() {
	grep '^{"event":' "$TEST_TMP/$1.out" 2>/dev/null |
		jq -r -R "fromjson? | $2" 2>/dev/null
}

im_count() {
	im_ev "$1" "select($2)" | wc -l | tr -d ' '
}

_im_enough() {
	[ "$(im_count "$1" "$2")" -ge "$3" ]
}

im_wait_count() {
	_t=$1; shift
	wait_for "$_t" _im_enough "$@"
}

im_chats() {
	printf '%s\n' "$TEST_TMP/$1.data/sipterm/chats"
}

# FNV-1a 32 in awk needs exact 32-bit products: gawk's and mawk's doubles
# are not enough, so the check is done by perl.
im_hist() {
	perl -e '
		use strict; use warnings;
		sub fnv { my $h = 2166136261; for my $c (unpack("C*", $_[0])) {
			$h ^= $c; $h = ($h * 16777619) % 4294967296; } return $h; }
		my (%st, @msgs);
		open(my $f, "<", $ARGV[0]) or exit 1;
		binmode $f;
		local $/ = "\n";
		while (my $l = <$f>) {
			next unless $l =~ s/\n\z//;      # a torn last line
			next if $l =~ /^#/;
			my $t = rindex($l, "\t");
			next if $t < 0;
			my ($body, $chk) = (substr($l, 0, $t), substr($l, $t + 1));
			next unless $chk =~ /^[0-9a-f]{8}\z/ && hex($chk) == fnv($body);
			my @f = split(/\t/, $body, 5);
			next unless @f == 5;
			my $txt = $f[4];
			$txt =~ s/\\(.)/$1 eq "t" ? "\t" : $1 eq "r" ? "\r" : $1 eq "n" ? "\\n" : $1/ge;
			if ($f[1] eq "status") { $st{$f[2]} = $f[3]; next; }
			push @msgs, [$f[1], $f[2], $f[3], $txt];
		}
		for my $m (@msgs) {
			my $s = exists $st{$m->[1]} ? $st{$m->[1]} : $m->[2];
			next if defined $ARGV[1] && $m->[0] ne $ARGV[1];
			print "$m->[0]\t$m->[1]\t$s\t$m->[3]\n";
		}' "$@"
}

im_dump() {
	for _f in "$TEST_TMP/$1.out" "$TEST_TMP/$1.err" "$TEST_TMP/$1.log"; do
		[ -s "$_f" ] || continue
		diag "--- $_f"
		tail -n 15 "$_f" | cut -c1-300 | awk '{ print "#   " $0 }'
	done
}

leftovers() {
	pgrep -f -- "$TEST_TMP" 2>/dev/null | grep -v "^$$\$"
}
