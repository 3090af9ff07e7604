using System.Text.Json;
using System.Text.Json.Serialization;
using RebarProvision.Model;

namespace RebarProvision.Server.Api;

/// <summary>How the API reads request bodies: the model's JSON shape, but a field the model does not know is an error.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Strict { get; } = new(ModelJson.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static async Task<StoredObject> ReadObjectAsync(HttpRequest request, ObjectKind kind, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0)
        {
            throw new ValidationFailedException("$", "a JSON body is required");
        }
        var value = await JsonSerializer.DeserializeAsync(request.Body, kind.ClrType, Strict, cancellationToken);
        return value as StoredObject ?? throw new ValidationFailedException("$", "a JSON object is required");
    }
}
