namespace RebarProvision.Cli.Http;

/// <summary>Builds API paths from operator input, escaping each part.</summary>
public static class ApiPath
{
    /// <summary>
    /// <c>kind/key</c>; a key's '/' (param names like <c>power/password</c>) stays a separator because the API's
    /// catch-all route takes it as part of the key, and an escaped %2F would reach the server undecoded.
    /// </summary>
    public static string Object(string kind, string key) =>
        $"{kind}/{string.Join('/', key.Split('/').Select(Uri.EscapeDataString))}";

    public static string Query(string path, IEnumerable<(string Name, string Value)> parameters)
    {
        var query = string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value)}"));
        return query.Length == 0 ? path : $"{path}?{query}";
    }
}
