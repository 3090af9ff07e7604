namespace RebarProvision.Tftp.Tests;

/// <summary>The test classes that share one namespace pair and server.</summary>
[CollectionDefinition(Name)]
public sealed class TftpNamespaceCollection : ICollectionFixture<TftpNamespaceFixture>
{
    public const string Name = "tftp namespaces";
}
