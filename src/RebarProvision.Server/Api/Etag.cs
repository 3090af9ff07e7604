using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace RebarProvision.Server.Api;

/// <summary>An object's revision as an HTTP entity tag, and the If-Match precondition a write carries.</summary>
public static class Etag
{
    public static string Of(long revision) => $"\"{revision.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The revision If-Match asks for; null when absent or '*'.</summary>
    /// <exception cref="ValidationFailedException">The header is not an entity tag we issued.</exception>
    public static long? ExpectedRevision(HttpRequest request)
    {
        var header = request.Headers[HeaderNames.IfMatch].ToString().Trim();
        if (header.Length == 0 || header == "*")
        {
            return null;
        }
        var tag = header.StartsWith("W/", StringComparison.Ordinal) ? header[2..] : header;
        return long.TryParse(tag.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var revision)
            ? revision
            : throw new ValidationFailedException("If-Match", $"'{header}' is not an entity tag of this API");
    }
}
