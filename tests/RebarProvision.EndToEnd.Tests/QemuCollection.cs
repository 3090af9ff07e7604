namespace RebarProvision.EndToEnd.Tests;

/// <summary>One qemu VM at a time: under TCG each takes a whole core, and the machine has two.</summary>
[CollectionDefinition(Name)]
public sealed class QemuCollection
{
    public const string Name = "qemu";
}
