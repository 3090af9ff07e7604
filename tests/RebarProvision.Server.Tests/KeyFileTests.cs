using RebarProvision.Server.Configuration;
using RebarProvision.Server.Hosting;
using RebarProvision.Server.Secrets;

namespace RebarProvision.Server.Tests;

/// <summary>Keys and the TLS certificate on disk: owner-only from the moment they exist, and refused when they are not.</summary>
public sealed class KeyFileTests : IDisposable
{
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("rebar-keys-");

    public void Dispose() => _dataDir.Delete(recursive: true);

    [Fact]
    public void The_keys_folder_is_created_for_its_owner_only()
    {
        KeyFile.LoadOrCreate(_dataDir.FullName, "test.key", 32);

        Assert.Equal(KeyFile.OwnerOnlyFolder, File.GetUnixFileMode(Path.Combine(_dataDir.FullName, "keys")));
        Assert.Equal(KeyFile.OwnerOnlyFile, File.GetUnixFileMode(Path.Combine(_dataDir.FullName, "keys", "test.key")));
    }

    [Fact]
    public void A_key_file_others_may_read_is_refused_with_its_path_and_the_fix()
    {
        var key = KeyFile.LoadOrCreate(_dataDir.FullName, "test.key", 32);
        var path = Path.Combine(_dataDir.FullName, "keys", "test.key");
        File.SetUnixFileMode(path, KeyFile.OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var error = Assert.Throws<ConfigurationException>(() => KeyFile.LoadOrCreate(_dataDir.FullName, "test.key", 32));

        Assert.Contains(path, error.Message);
        Assert.Contains("chmod 600", error.Message);
        File.SetUnixFileMode(path, KeyFile.OwnerOnlyFile);
        Assert.Equal(key, KeyFile.LoadOrCreate(_dataDir.FullName, "test.key", 32));
    }

    [Fact]
    public void The_self_signed_certificate_and_its_folder_are_for_their_owner_only()
    {
        using var certificate = ServerCertificate.LoadOrCreate(_dataDir.FullName);

        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(KeyFile.OwnerOnlyFolder, File.GetUnixFileMode(Path.Combine(_dataDir.FullName, "tls")));
        Assert.Equal(KeyFile.OwnerOnlyFile, File.GetUnixFileMode(Path.Combine(_dataDir.FullName, "tls", "server.pfx")));
    }
}
