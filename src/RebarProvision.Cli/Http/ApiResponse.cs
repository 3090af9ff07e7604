using System.Text.Json;
using System.Text.Json.Nodes;

namespace RebarProvision.Cli.Http;

/// <summary>A successful answer, read whole: its body and the ETag that names the object's revision.</summary>
public sealed record ApiResponse(string Body, string? ETag, string? ContentType)
{
    public JsonNode Json()
    {
        try
        {
            return JsonNode.Parse(Body) ?? throw new CommandFailedException(ExitCodes.ApiError, "the server answered JSON null");
        }
        catch (JsonException e)
        {
            throw new CommandFailedException(ExitCodes.ApiError, $"the server's answer is not JSON: {e.Message}");
        }
    }
}
