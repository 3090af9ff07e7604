using System.Security.Cryptography;
using System.Text;
using RebarProvision.Rendering;

namespace RebarProvision.Server.Boot;

/// <summary>
/// The iPXE script a known machine gets when it cannot boot (<see cref="Machines.BootCheck"/>): it prints the reason
/// on the console, where the operator at the crash cart or serial console looks, waits and asks again, so the
/// machine boots by itself once the bootenv or its images are fixed. A bare 404 would only show iPXE's error code.
/// </summary>
public static class UnbootableScript
{
    /// <summary>Long enough not to hammer the server from a rack of broken machines; short enough to notice a fix.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);

    public static RenderedFile Render(string mac, string reason, RenderEnvironment environment)
    {
        var script = new StringBuilder()
            .Append("#!ipxe\n")
            .Append("echo\n")
            .Append("echo RebarProvision: this machine (").Append(Printable(mac)).Append(") cannot boot from node ").Append(Printable(environment.Node)).Append(":\n")
            .Append("echo ").Append(Printable(reason)).Append('\n')
            .Append("echo Retrying in ").Append((int)RetryDelay.TotalSeconds).Append(" seconds.\n")
            .Append(":retry\n")
            .Append("sleep ").Append((int)RetryDelay.TotalSeconds).Append('\n')
            .Append("chain --replace --autofree ").Append(environment.ProvisionerUrl).Append("/boot/").Append(mac).Append(".ipxe || goto retry\n")
            .ToString();
        var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(script)).AsSpan(0, 16))}\"";
        return new RenderedFile($"boot/{mac}.ipxe", "unbootable", script, "text/plain; charset=utf-8", etag);
    }

    /// <summary>
    /// iPXE expands <c>${...}</c> and splits on spaces and quotes in a command line; a bootenv or file name is the
    /// operator's text, so keep only characters that echo prints as they are.
    /// </summary>
    private static string Printable(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '\'' or '"')
            {
                continue;
            }
            builder.Append(char.IsAsciiLetterOrDigit(c) || " .,:/_()=+@-<>!?*".Contains(c) ? c : '?');
        }
        return builder.ToString();
    }
}
