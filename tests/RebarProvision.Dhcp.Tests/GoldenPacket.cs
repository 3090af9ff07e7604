namespace RebarProvision.Dhcp.Tests;

/// <summary>Packets kept as hex files under Packets/ ('#' lines are comments saying where they come from).</summary>
internal static class GoldenPacket
{
    public static byte[] Load(string name)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Packets", name + ".hex"))
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Trim());
        return Convert.FromHexString(string.Concat(lines));
    }

    public static DhcpMessage Parse(string name)
    {
        Assert.True(DhcpMessage.TryParse(Load(name), out var message, out var error), $"{name}: {error}");
        return message;
    }
}
