using System.Globalization;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using YamlDotNet.RepresentationModel;

namespace RebarProvision.Rendering.Tests;

/// <summary>
/// Reads the shipped content the way the server's loader does: <c>templates/&lt;name&gt;.tmpl</c> and
/// <c>bootenvs/&lt;name&gt;.yaml</c> (YAML → JSON → BootEnv through ModelJson, so field names match the API).
/// </summary>
public static class ContentFolder
{
    public static string Root { get; } = FindRoot();

    public static InMemoryTemplates LoadTemplates()
    {
        var templates = new InMemoryTemplates();
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "templates"), "*.tmpl").Order(StringComparer.Ordinal))
        {
            templates.Add(Path.GetFileNameWithoutExtension(file), File.ReadAllText(file));
        }
        return templates;
    }

    public static IReadOnlyList<BootEnv> LoadBootEnvs() =>
        Directory.GetFiles(Path.Combine(Root, "bootenvs"), "*.yaml").Order(StringComparer.Ordinal).Select(LoadBootEnv).ToList();

    public static BootEnv LoadBootEnv(string file)
    {
        var yaml = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(file)))
        {
            yaml.Load(reader);
        }
        var json = ToJson(yaml.Documents[0].RootNode);
        var bootEnv = ModelJson.Deserialize<BootEnv>(json!.ToJsonString());
        bootEnv.Revision = 1;
        return bootEnv;
    }

    /// <summary>YAML 1.2 core schema: plain scalars may be null, booleans or numbers; quoted ones are strings.</summary>
    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar => Plain(scalar.Value ?? ""),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidDataException($"unsupported YAML node {node.NodeType}"),
    };

    private static JsonNode? Plain(string value) => value switch
    {
        "" or "~" or "null" => null,
        "true" => JsonValue.Create(true),
        "false" => JsonValue.Create(false),
        _ when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        _ when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
        _ => JsonValue.Create(value),
    };

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "bootenvs")) && Directory.Exists(Path.Combine(dir.FullName, "templates")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("no bootenvs/ and templates/ above the test binaries");
    }
}
