#!/usr/bin/perl
# A small SMSC built on Net::SMPP (Debian libnet-smpp-perl): an SMPP server no one at Pigeon wrote,
# to check Pigeon's ESME against. One connection at a time; binds accepted; each submit_sm answered
# with an upper-case hex message id and followed by an Appendix B text receipt whose id is the same
# number in decimal (no TLVs). A submit whose text is "MO please" is also answered by a message from
# the phone. Prints "PORT n" once listening and "SUBMIT dcs=.. esm=.. to=.. hex=.. id=.." per submit.
#
# Its ids come from a counter that starts again at --first-id (default 0xA1B2C0) each time it
# starts, as SMPPSim's and many real SMSCs' do: killed and started again on the same --port, it
# gives the ids of its previous life again. --receipt-first sends each receipt before the
# submit_sm_resp it belongs to.
use strict;
use warnings;
use Getopt::Long;
use Net::SMPP;

my ($port, $first_id, $receipt_first) = (0, 0xA1B2C0, 0);
GetOptions('port=i' => \$port, 'first-id=i' => \$first_id, 'receipt-first' => \$receipt_first)
  or die "usage: net-smpp-smsc.pl [--port N] [--first-id N] [--receipt-first]\n";

$| = 1;
my $listener = Net::SMPP->new_listen('127.0.0.1', port => $port, async => 1, timeout => 5)
  or die "cannot listen: $!";
print "PORT " . $listener->sockport() . "\n";
my $next_id = $first_id;

while (1) {
  my $smpp = $listener->accept() or next;
  while (my $pdu = $smpp->read_pdu()) {
    my $cmd = $pdu->{cmd};
    if ($cmd == Net::SMPP::CMD_bind_transceiver) {
      $smpp->bind_transceiver_resp(seq => $pdu->{seq}, system_id => 'net-smpp');
    } elsif ($cmd == Net::SMPP::CMD_enquire_link) {
      $smpp->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($cmd == Net::SMPP::CMD_unbind) {
      $smpp->unbind_resp(seq => $pdu->{seq});
      last;
    } elsif ($cmd == Net::SMPP::CMD_submit_sm) {
      my $id = $next_id++;
      my $text = $pdu->{short_message};
      printf "SUBMIT dcs=%d esm=%d to=%s hex=%s id=%X\n", $pdu->{data_coding}, $pdu->{esm_class},
        $pdu->{destination_addr}, unpack('H*', $text), $id;
      my $receipt = sprintf('id:%d sub:001 dlvrd:001 submit date:2401011200 done date:2401011200 stat:DELIVRD err:000 text:', $id);
      $smpp->submit_sm_resp(seq => $pdu->{seq}, message_id => sprintf('%X', $id)) unless $receipt_first;
      $smpp->deliver_sm(
        source_addr_ton => 1, source_addr_npi => 1, source_addr => $pdu->{destination_addr},
        dest_addr_ton => 1, dest_addr_npi => 1, destination_addr => $pdu->{source_addr},
        esm_class => 0x04, data_coding => 0, short_message => $receipt,
      );
      $smpp->submit_sm_resp(seq => $pdu->{seq}, message_id => sprintf('%X', $id)) if $receipt_first;
      if ($text eq 'MO please') {
        $smpp->deliver_sm(
          source_addr_ton => 1, source_addr_npi => 1, source_addr => $pdu->{destination_addr},
          dest_addr_ton => 1, dest_addr_npi => 1, destination_addr => $pdu->{source_addr},
          esm_class => 0, data_coding => 0, short_message => 'Reply from Net::SMPP',
        );
      }
    } elsif ($cmd == Net::SMPP::CMD_deliver_sm_resp || $cmd == Net::SMPP::CMD_enquire_link_resp) {
      # Nothing to do: receipts and messages are not redelivered by this small SMSC.
    } else {
      $smpp->generic_nack(seq => $pdu->{seq}, status => 0x03);
    }
  }
  $smpp->close();
}
