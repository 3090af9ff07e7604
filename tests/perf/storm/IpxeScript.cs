using System.Text.RegularExpressions;

namespace RebarProvision.Storm.Perf;

/// <summary>
/// What a booting machine takes from its iPXE script: the kernel and initrd URLs, and from the kernel command line
/// the cloud-init NoCloud seed (<c>ds=nocloud-net;s=URL</c>, or <c>ds=nocloud;s=</c>). Whatever URLs the server
/// writes (by lease address or per-boot secret) are followed as given.
/// </summary>
internal sealed partial record IpxeScript(Uri Kernel, IReadOnlyList<Uri> Initrds, Uri? Seed)
{
    [GeneratedRegex(@"ds=nocloud(-net)?;s=(?<seed>\S+)")]
    private static partial Regex SeedArgument();

    public static IpxeScript Parse(string script, Uri scriptUrl)
    {
        if (!script.StartsWith("#!ipxe", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"not an iPXE script: {script[..Math.Min(script.Length, 120)]}");
        }
        Uri? kernel = null;
        var arguments = "";
        List<Uri> initrds = [];
        foreach (var line in script.Split('\n'))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (words.Length < 2)
            {
                continue;
            }
            // iPXE image commands: "kernel [--name n] [--autofree] url args...", "initrd [--name n] url".
            var at = 1;
            while (at < words.Length && words[at].StartsWith("--", StringComparison.Ordinal))
            {
                at += words[at] is "--name" or "-n" ? 2 : 1;
            }
            if (at >= words.Length)
            {
                continue;
            }
            switch (words[0])
            {
                case "kernel" or "imgexec" or "chain":
                    kernel = new Uri(scriptUrl, words[at]);
                    arguments = string.Join(' ', words[(at + 1)..]);
                    break;
                case "initrd" or "module" or "imgfetch":
                    initrds.Add(new Uri(scriptUrl, words[at]));
                    break;
            }
        }
        if (kernel is null)
        {
            throw new InvalidDataException($"iPXE script without a kernel line: {script[..Math.Min(script.Length, 200)]}");
        }
        var seed = SeedArgument().Match(arguments);
        return new IpxeScript(kernel, initrds, seed.Success ? new Uri(scriptUrl, seed.Groups["seed"].Value.TrimEnd('/') + "/") : null);
    }
}
