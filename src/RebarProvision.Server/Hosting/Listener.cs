namespace RebarProvision.Server.Hosting;

/// <summary>
/// Endpoint metadata naming the port an endpoint is served on: the API and the HTTP boot service share one
/// Kestrel, but a boot client must not reach the API on port 8091, nor the API serve boot files.
/// </summary>
public sealed record Listener(string Name, int Port)
{
    /// <summary>Answers 404 when a request reached an endpoint through another listener's port.</summary>
    public static async Task EnforceAsync(HttpContext http, Func<Task> next)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<Listener>() is { } listener && listener.Port != http.Connection.LocalPort)
        {
            http.SetEndpoint(null);
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        await next();
    }
}
