using System.Net;
using RebarProvision.Tftp.Transport;

namespace RebarProvision.Tftp.Tests;

public sealed class DirectoryFileSourceTests : IDisposable
{
    private static readonly IPEndPoint Client = new(IPAddress.Loopback, 1234);
    private readonly string _root = Directory.CreateTempSubdirectory("rebar-tftp-src-").FullName;

    public DirectoryFileSourceTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "boot"));
        File.WriteAllText(Path.Combine(_root, "boot", "ipxe.efi"), "loader");
    }

    [Theory]
    [InlineData("boot/ipxe.efi", "boot/ipxe.efi")]
    [InlineData("/boot/ipxe.efi", "boot/ipxe.efi")]
    [InlineData("boot//./ipxe.efi", "boot/ipxe.efi")]
    public void Accepted_names_are_relative_to_the_root(string requested, string expected)
    {
        Assert.True(TftpPathSanitizer.TrySanitize(requested, out var relative));
        Assert.Equal(expected, relative);
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("boot/../../etc/passwd")]
    [InlineData("//etc/passwd")]
    [InlineData("boot\\ipxe.efi")]
    [InlineData("boot/ipxe.efi\0.txt")]
    [InlineData("/")]
    [InlineData("")]
    public void Dangerous_names_are_refused(string requested)
    {
        Assert.False(TftpPathSanitizer.TrySanitize(requested, out _));
    }

    [Fact]
    public void Over_long_names_are_refused()
    {
        Assert.False(TftpPathSanitizer.TrySanitize(new string('a', 256), out _));
    }

    [Fact]
    public async Task A_file_under_the_root_is_opened_with_its_length()
    {
        using var file = await new DirectoryFileSource(_root).OpenAsync("/boot/ipxe.efi", Client, default);
        Assert.False(file.IsError);
        var read = new byte[file.Length];
        Assert.Equal(6, file.Read(0, read));
        Assert.Equal("loader"u8.ToArray(), read);
    }

    [Theory]
    [InlineData("boot", TftpErrorCode.FileNotFound)]
    [InlineData("nothing", TftpErrorCode.FileNotFound)]
    [InlineData("x\0y", TftpErrorCode.AccessViolation)]
    public async Task Directories_missing_files_and_nul_get_errors(string requested, TftpErrorCode code)
    {
        using var file = await new DirectoryFileSource(_root).OpenAsync(requested, Client, default);
        Assert.True(file.IsError);
        Assert.Equal(code, file.ErrorCode);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
