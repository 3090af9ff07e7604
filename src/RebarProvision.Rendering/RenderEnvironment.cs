namespace RebarProvision.Rendering;

/// <summary>
/// The node that answered the request, as templates see it in <c>env</c>: boot URLs point back at this node so a
/// machine keeps talking to the node it booted from.
/// </summary>
/// <param name="ProvisionerUrl">Base of the HTTP boot service, e.g. <c>http://10.0.0.1:8091</c> (no trailing slash).</param>
/// <param name="ApiUrl">Base of the API, e.g. <c>https://10.0.0.1:8092</c>.</param>
/// <param name="Node">The node's name.</param>
/// <param name="NodeUrls">
/// The HTTP boot bases of every live node, this one first (DESIGN §7: iPXE scripts fall back to the next); just
/// <paramref name="ProvisionerUrl"/> when null.
/// </param>
public sealed record RenderEnvironment(string ProvisionerUrl, string ApiUrl, string Node = "", IReadOnlyList<string>? NodeUrls = null)
{
    /// <summary>What templates see as <c>env.node_urls</c>.</summary>
    public IReadOnlyList<string> AllNodeUrls => NodeUrls is { Count: > 0 } urls ? urls : [ProvisionerUrl];

    public static RenderEnvironment ForNode(string host, int httpPort, int apiPort, bool apiTls = true, string node = "") =>
        new($"http://{host}:{httpPort}", $"{(apiTls ? "https" : "http")}://{host}:{apiPort}", node);
}
