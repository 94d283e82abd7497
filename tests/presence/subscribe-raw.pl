#!/usr/bin/perl
# tests/presence/subscribe-raw.pl: send one hand-made out-of-dialog
# SUBSCRIBE over UDP to 127.0.0.1:PORT and print its final response as
#
#   CODE<TAB>ALLOW-EVENTS
#
# (ALLOW-EVENTS: the value of that header, or "-" when there is none), or
# "timeout" when no final response came within 3 s (retransmitted after
# 0.5, 1 and 2 s like a UDP client transaction).
#
#   subscribe-raw.pl PORT EVENT [EXPIRES]
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);

my ($port, $event, $expires) = @ARGV;
die "usage: subscribe-raw.pl PORT EVENT [EXPIRES]\n" unless defined $event;
$expires = 60 unless defined $expires;

my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1', LocalPort => 0,
			      PeerAddr => "127.0.0.1:$port") or die "socket: $!\n";
my $lport = $s->sockport;
my $sel = IO::Select->new($s);
my $rnd = sub { join('', map { ('a' .. 'z', '0' .. '9')[rand 36] } 1 .. $_[0]) };
my $branch = 'z9hG4bK' . $rnd->(16);
my $callid = $rnd->(20);
my $req = "SUBSCRIBE sip:bob\@127.0.0.1:$port SIP/2.0\r\n"
	. "Via: SIP/2.0/UDP 127.0.0.1:$lport;branch=$branch;rport\r\n"
	. "Max-Forwards: 70\r\n"
	. "From: <sip:raw\@127.0.0.1:$lport>;tag=" . $rnd->(8) . "\r\n"
	. "To: <sip:bob\@127.0.0.1:$port>\r\n"
	. "Call-ID: $callid\r\n"
	. "CSeq: 1 SUBSCRIBE\r\n"
	. "Contact: <sip:raw\@127.0.0.1:$lport>\r\n"
	. "Event: $event\r\n"
	. "Expires: $expires\r\n"
	. "Content-Length: 0\r\n\r\n";

my $start = time;
my @resend = (0.5, 1.5, 3.5);
$s->send($req) or die "send: $!\n";
while (1) {
	my $left = $start + 3 - time;
	last if $left <= 0;
	my $next = @resend ? $start + $resend[0] - time : $left;
	$next = $left if $next > $left;
	$next = 0.01 if $next < 0.01;
	if ($sel->can_read($next)) {
		my $buf;
		$s->recv($buf, 65535);
		next unless $buf =~ m{^SIP/2\.0 (\d{3})};
		my $code = $1;
		next if $code < 200;
		next unless $buf =~ /^Call-ID:\s*\Q$callid\E\s*$/mi;
		my $ae = $buf =~ /^Allow-Events:\s*(.*?)\s*$/mi ? $1 : '-';
		print "$code\t$ae\n";
		exit 0;
	}
	if (@resend && time >= $start + $resend[0]) {
		shift @resend;
		$s->send($req);
	}
}
print "timeout\n";
exit 1;
