using System.Text.Json.Nodes;
using RebarProvision.Server.Content;
using YamlDotNet.Core;

namespace RebarProvision.Cli.Settings;

/// <summary>The config file: <c>endpoint</c>, <c>token</c>, <c>user</c>, <c>password</c>, <c>insecure</c>; every key optional.</summary>
public sealed record ConfigFile(string? Endpoint, string? Token, string? User, string? Password, bool? Insecure)
{
    public static readonly ConfigFile Empty = new(null, null, null, null, null);

    /// <exception cref="CommandFailedException">The file exists but is not a YAML mapping of known keys.</exception>
    public static ConfigFile Load(string path)
    {
        if (!File.Exists(path))
        {
            return Empty;
        }
        JsonNode? document;
        try
        {
            document = YamlJson.Read(File.ReadAllText(path)).FirstOrDefault();
        }
        catch (YamlException e)
        {
            throw CommandFailedException.Usage($"{path}: line {e.Start.Line}: {e.Message}");
        }
        if (document is null)
        {
            return Empty;
        }
        if (document is not JsonObject map)
        {
            throw CommandFailedException.Usage($"{path}: expected a mapping of endpoint, token, user, password, insecure");
        }
        var unknown = map.Select(p => p.Key).Where(k => k is not ("endpoint" or "token" or "user" or "password" or "insecure")).ToList();
        if (unknown.Count > 0)
        {
            throw CommandFailedException.Usage($"{path}: unknown key(s) {string.Join(", ", unknown)}; known: endpoint, token, user, password, insecure");
        }
        return new ConfigFile(Text(map, "endpoint"), Text(map, "token"), Text(map, "user"), Text(map, "password"),
            map["insecure"] is JsonValue v && v.TryGetValue<bool>(out var insecure) ? insecure : null);
    }

    private static string? Text(JsonObject map, string key) => map[key]?.ToString();
}
