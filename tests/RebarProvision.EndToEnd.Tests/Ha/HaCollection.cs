namespace RebarProvision.EndToEnd.Tests.Ha;

/// <summary>One HA run at a time: each runs two servers, PostgreSQL and a load generator on a two-core machine.</summary>
[CollectionDefinition(Name)]
public sealed class HaCollection
{
    public const string Name = "ha";
}
