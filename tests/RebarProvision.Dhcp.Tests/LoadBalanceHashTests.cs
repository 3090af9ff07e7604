using RebarProvision.Dhcp;

namespace RebarProvision.Dhcp.Tests;

public sealed class LoadBalanceHashTests
{
    [Fact]
    public void The_hash_is_rfc_3074s_pearson_hash_seeded_with_the_length_and_read_from_the_last_byte()
    {
        // By hand from RFC 3074 §6: the seed is the length; each step looks up (hash XOR byte) in the mixing table.
        Assert.Equal(175, LoadBalanceHash.Of([0x00]));        // table[1 ^ 0] = table[1]
        Assert.Equal(251, LoadBalanceHash.Of([0x01]));        // table[1 ^ 1] = table[0]
        Assert.Equal(68, LoadBalanceHash.Of([0x00, 0x02]));  // table[2 ^ 2] = 251, then table[251 ^ 0] = 68
        Assert.Equal(0, LoadBalanceHash.Of([]));
    }

    [Fact]
    public void A_client_identifier_is_hashed_when_sent_else_the_hardware_address()
    {
        var message = new DhcpMessage { HardwareLength = 6 };
        byte[] mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
        mac.CopyTo(message.ClientHardwareAddress, 0);
        Assert.Equal(LoadBalanceHash.Of(mac), LoadBalanceHash.Of(message));

        byte[] clientId = [0xff, 0x01, 0x02, 0x03];
        message.Options.Set(DhcpOptionCode.ClientIdentifier, clientId);
        Assert.Equal(LoadBalanceHash.Of(clientId), LoadBalanceHash.Of(message));
    }

    [Fact]
    public void Hashes_spread_over_both_halves_for_a_rack_of_sequential_macs()
    {
        var hashes = Enumerable.Range(0, 64).Select(i => LoadBalanceHash.Of([0x52, 0x54, 0x00, 0x00, 0x00, (byte)i])).ToList();

        var odd = hashes.Count(h => h % 2 == 1);
        Assert.InRange(odd, 20, 44);
    }
}
