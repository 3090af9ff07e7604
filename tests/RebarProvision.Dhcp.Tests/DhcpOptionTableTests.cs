namespace RebarProvision.Dhcp.Tests;

public sealed class DhcpOptionTableTests
{
    [Theory]
    [InlineData(DhcpOptionCode.Router, "10.0.0.1", "0a000001")]
    [InlineData(DhcpOptionCode.DomainNameServer, "10.0.0.2, 10.0.0.3", "0a0000020a000003")]
    [InlineData(DhcpOptionCode.LeaseTime, "600", "00000258")]
    [InlineData(DhcpOptionCode.MaxMessageSize, "1500", "05dc")]
    [InlineData(DhcpOptionCode.DomainName, "lab.example", "6c61622e6578616d706c65")]
    [InlineData(DhcpOptionCode.DomainSearch, "lab.example, example", "036c6162076578616d706c6500076578616d706c6500")]
    [InlineData(DhcpOptionCode.ClasslessStaticRoute, "10.0.0.0/8 10.0.0.1, 0.0.0.0/0 10.0.0.254", "080a0a000001000a0000fe")]
    [InlineData(DhcpOptionCode.VendorSpecific, "01:04:00:00:00:00", "010400000000")]
    public void Operator_text_becomes_the_options_wire_bytes(byte code, string text, string hex)
    {
        Assert.True(DhcpOptionTable.TryEncode(code, text, out var value));
        Assert.Equal(hex, Convert.ToHexString(value).ToLowerInvariant());
        Assert.Equal(text, DhcpOptionTable.Find(code).Format(value));
    }

    [Theory]
    [InlineData(DhcpOptionCode.Router, "10.0.0")]
    [InlineData(DhcpOptionCode.SubnetMask, "255.255.255.0, 255.0.0.0")]
    [InlineData(DhcpOptionCode.LeaseTime, "-1")]
    [InlineData(DhcpOptionCode.ClasslessStaticRoute, "10.0.0.0/33 10.0.0.1")]
    public void Text_that_does_not_fit_the_type_is_refused(byte code, string text)
    {
        Assert.False(DhcpOptionTable.TryEncode(code, text, out _));
    }

    [Fact]
    public void Compressed_domain_search_names_are_read()
    {
        // RFC 3397 §2 example shape: "eng.apple.com", then "marketing" + pointer to "apple.com" at offset 4.
        byte[] value = [3, .. "eng"u8, 5, .. "apple"u8, 3, .. "com"u8, 0, 9, .. "marketing"u8, 0xc0, 4];
        Assert.Equal("eng.apple.com, marketing.apple.com", DhcpOptionTable.Find(DhcpOptionCode.DomainSearch).Format(value));
    }

    [Fact]
    public void Every_option_the_server_uses_is_in_the_table()
    {
        byte[] codes = [1, 3, 6, 12, 15, 28, 43, 50, 51, 53, 54, 55, 57, 58, 59, 60, 61, 66, 67, 77, 82, 93, 94, 97, 119, 121, 255];
        Assert.All(codes, c => Assert.True(DhcpOptionTable.IsKnown(c), $"option {c}"));
        Assert.Equal("option-150", DhcpOptionTable.Find(150).Name);
    }
}
