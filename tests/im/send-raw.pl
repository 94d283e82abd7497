#!/usr/bin/perl
# tests/im/send-raw.pl: send hand-made MESSAGE requests over UDP and print
# the status code of each final response (or "timeout"), one a line.
#
#   send-raw.pl PORT CALL-ID CSEQ TIMES CONTENT-TYPE BODY-FILE [GAP]
#
# The request goes to 127.0.0.1:PORT from an ephemeral port; it is sent
# TIMES times, each a new transaction (new branch) with the same From tag,
# Call-ID and CSeq: what an application resending a MESSAGE does.  The
# body is taken byte for byte from BODY-FILE.  Each wait is bounded (2 s);
# GAP seconds pass between two sends (default 0).  From is always
# sip:raw@raw.test;tag=rawtag1.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($port, $callid, $cseq, $times, $ctype, $bodyfile, $gap) = @ARGV;
die "usage: send-raw.pl PORT CALL-ID CSEQ TIMES CONTENT-TYPE BODY-FILE [GAP]\n"
	unless defined $bodyfile;
open(my $f, '<', $bodyfile) or die "$bodyfile: $!\n";
binmode $f;
my $body = do { local $/; <$f> };
close $f;

my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1', LocalPort => 0,
			      PeerAddr => "127.0.0.1:$port") or die "socket: $!\n";
my $lport = $s->sockport;
my $sel = IO::Select->new($s);

for my $i (1 .. $times) {
	select(undef, undef, undef, $gap) if $i > 1 && $gap;
	my $branch = 'z9hG4bK' . join('', map { ('a' .. 'z')[rand 26] } 1 .. 16);
	my $req = "MESSAGE sip:bob\@127.0.0.1:$port SIP/2.0\r\n"
		. "Via: SIP/2.0/UDP 127.0.0.1:$lport;branch=$branch;rport\r\n"
		. "Max-Forwards: 70\r\n"
		. "From: \"Raw Tester\" <sip:raw\@raw.test>;tag=rawtag1\r\n"
		. "To: <sip:bob\@127.0.0.1:$port>\r\n"
		. "Call-ID: $callid\r\n"
		. "CSeq: $cseq MESSAGE\r\n"
		. "Content-Type: $ctype\r\n"
		. "Content-Length: " . length($body) . "\r\n\r\n" . $body;
	$s->send($req) or die "send: $!\n";
	my $code = 'timeout';
	my $deadline = time + 2;
	while (time <= $deadline) {
		last unless $sel->can_read(0.5);
		my $resp;
		$s->recv($resp, 65535);
		next unless defined $resp && $resp =~ m{^SIP/2\.0 (\d{3})};
		my $c = $1;
		next if $c < 200 || $resp !~ /branch=$branch/;
		$code = $c;
		last;
	}
	print "$code\n";
}
