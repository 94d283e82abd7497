# tests/im/im.sh: helpers for the instant message tests (sourced after
# tests/lib.sh).  The sipterm of each NAME is driven through a FIFO:
# tests/tools/fifo.sh (fifo_need, fifo_cmd, fifo_quit, fifo_ev,
# fifo_wait_count, fifo_dump...).
#
#   im_start NAME SECS [ARGS...]
#                              fifo_start on port $IM_PORT (0 unless set),
#                              its data directory $TEST_TMP/NAME.data (the
#                              chats)
#   im_chats NAME              NAME's chats directory
#   im_hist FILE [DIR]         the messages of a history file as
#                              "dir<TAB>id<TAB>status<TAB>text" with the text
#                              unescaped ("\n" stays two characters); status
#                              records fold into their message; records whose
#                              check does not match are left out

# shellcheck disable=SC1091
. "$top_srcdir/tests/tools/fifo.sh"

im_start() {
	_n=$1 _s=$2; shift 2
	fifo_start "$_n" "${IM_PORT:-0}" "$_s" "$TEST_TMP/$_n.data" "$@"
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
