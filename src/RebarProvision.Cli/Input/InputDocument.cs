using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Server.Content;
using YamlDotNet.Core;

namespace RebarProvision.Cli.Input;

/// <summary>An object given with <c>-f file</c> (or <c>-f -</c> for stdin), in YAML or JSON.</summary>
public sealed record InputDocument(string Text, bool IsJson, string Source)
{
    public static InputDocument Read(string path, TextReader stdin)
    {
        string text;
        if (path == "-")
        {
            text = stdin.ReadToEnd();
        }
        else
        {
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CommandFailedException.Usage($"cannot read {path}: {e.Message}");
            }
        }
        var extension = Path.GetExtension(path).ToLowerInvariant();
        var isJson = extension == ".json" || (extension is not (".yaml" or ".yml") && text.TrimStart().StartsWith('{'));
        return new InputDocument(text, isJson, path == "-" ? "stdin" : path);
    }

    /// <summary>The document as one JSON object.</summary>
    /// <exception cref="CommandFailedException">Not JSON/YAML, or not a single object; names the line.</exception>
    public JsonObject Object()
    {
        JsonNode? node;
        try
        {
            node = IsJson ? JsonNode.Parse(Text) : YamlJson.Read(Text).FirstOrDefault();
        }
        catch (JsonException e)
        {
            throw CommandFailedException.Usage($"{Source}: line {e.LineNumber + 1}: {e.Message}");
        }
        catch (YamlException e)
        {
            throw CommandFailedException.Usage($"{Source}: line {e.Start.Line}: {e.Message}");
        }
        return node as JsonObject ?? throw CommandFailedException.Usage($"{Source}: expected one object (a mapping of fields)");
    }
}
