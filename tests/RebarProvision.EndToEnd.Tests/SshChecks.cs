namespace RebarProvision.EndToEnd.Tests;

/// <summary>What rig/ssh-checks.sh saw logging into the guest, read from its sections in the rig's output.</summary>
public sealed record SshChecks(string Hostname, int HostnameExit, string Status, string WrongKey, int WrongKeyExit)
{
    public static SshChecks Read(string output)
    {
        string Section(string name, out int exit)
        {
            var start = output.IndexOf("== " + name, StringComparison.Ordinal);
            Assert.True(start >= 0, $"ssh-checks printed no '{name}' section:\n{output}");
            var header = output[start..output.IndexOf('\n', start)];
            exit = header.Contains("exit=", StringComparison.Ordinal) ? int.Parse(header.Split("exit=")[1]) : 0;
            var body = output[(start + header.Length + 1)..];
            return body[..body.IndexOf("\n== ", StringComparison.Ordinal)].Trim();
        }
        var hostname = Section("hostname", out var hostnameExit);
        var status = Section("status", out _);
        var wrong = Section("wrong key", out var wrongExit);
        return new SshChecks(hostname, hostnameExit, status, wrong, wrongExit);
    }

    public void AssertWrongKeyRefused()
    {
        Assert.Equal(0, HostnameExit);
        Assert.NotEqual(0, WrongKeyExit);
        Assert.Contains("Permission denied", WrongKey);
    }
}
