using RebarProvision.Model;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Tests;

public sealed class ObjectCacheTests
{
    private static Machine Machine(string uuid, long revision, params string[] macs) =>
        new() { Uuid = uuid, Name = "m-" + uuid, Revision = revision, HardwareAddrs = [.. macs] };

    [Fact]
    public void A_mac_a_machine_dropped_finds_nothing_and_a_mac_moved_to_another_machine_finds_that_one()
    {
        var cache = new ObjectCache();
        cache.Apply(Machine("a", 1, "52:54:00:00:00:01", "52:54:00:00:00:02"));
        cache.Apply(Machine("b", 2, "52:54:00:00:00:03"));

        cache.Apply(Machine("b", 3, "52:54:00:00:00:03", "52:54:00:00:00:02"));
        cache.Apply(Machine("a", 4, "52:54:00:00:00:01"));

        Assert.Equal("a", cache.MachineByMac("52:54:00:00:00:01")?.Uuid);
        Assert.Equal("b", cache.MachineByMac("52:54:00:00:00:02")?.Uuid);

        cache.Apply(Machine("a", 5, "52:54:00:00:00:04"));
        Assert.Null(cache.MachineByMac("52:54:00:00:00:01"));
        Assert.Equal("a", cache.MachineByMac("52:54:00:00:00:04")?.Uuid);
    }

    [Fact]
    public void An_older_revision_arriving_late_changes_neither_the_machine_nor_its_macs()
    {
        var cache = new ObjectCache();
        cache.Apply(Machine("a", 7, "52:54:00:00:00:07"));
        cache.Apply(Machine("a", 6, "52:54:00:00:00:06"));

        Assert.Equal("a", cache.MachineByMac("52:54:00:00:00:07")?.Uuid);
        Assert.Null(cache.MachineByMac("52:54:00:00:00:06"));
    }
}
