namespace RebarProvision.Rendering;

/// <summary>
/// The node that answered the request, as templates see it in <c>env</c>: boot URLs point back at this node so a
/// machine keeps talking to the node it booted from.
/// </summary>
/// <param name="ProvisionerUrl">Base of the HTTP boot service, e.g. <c>http://10.0.0.1:8091</c> (no trailing slash).</param>
/// <param name="ApiUrl">Base of the API, e.g. <c>https://10.0.0.1:8092</c>.</param>
/// <param name="Node">The node's name.</param>
public sealed record RenderEnvironment(string ProvisionerUrl, string ApiUrl, string Node = "")
{
    public static RenderEnvironment ForNode(string host, int httpPort, int apiPort, bool apiTls = true, string node = "") =>
        new($"http://{host}:{httpPort}", $"{(apiTls ? "https" : "http")}://{host}:{apiPort}", node);
}
