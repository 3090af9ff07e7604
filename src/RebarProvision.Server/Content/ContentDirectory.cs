using RebarProvision.Model;
using RebarProvision.Server.Api;
using YamlDotNet.Core;

namespace RebarProvision.Server.Content;

/// <summary>
/// Reads a content folder: <c>templates/NAME.tmpl</c> (one template each, named after the file),
/// <c>bootenvs/NAME.yaml</c> (one bootenv each) and <c>samples/*.yaml</c> (bundles of any kinds).
/// </summary>
public static class ContentDirectory
{
    public static ContentBundle Read(string root)
    {
        var bundle = new ContentBundle();
        foreach (var file in Files(root, "templates", "*.tmpl"))
        {
            bundle.Objects.Add(new Template { Name = Path.GetFileNameWithoutExtension(file), Contents = File.ReadAllText(file) });
        }
        foreach (var file in Files(root, "bootenvs", "*.yaml"))
        {
            foreach (var document in ReadYaml(file))
            {
                bundle.Objects.Add(ContentBundle.ReadObject(ObjectKind.BootEnvs, document, Path.GetFileName(file)));
            }
        }
        foreach (var file in Files(root, "samples", "*.yaml"))
        {
            foreach (var document in ReadYaml(file))
            {
                bundle.Objects.AddRange(ContentBundle.FromJson(document, Path.GetFileName(file)).Objects);
            }
        }
        return bundle;
    }

    private static IEnumerable<string> Files(string root, string folder, string pattern)
    {
        var path = Path.Combine(root, folder);
        return Directory.Exists(path) ? Directory.GetFiles(path, pattern).Order(StringComparer.Ordinal) : [];
    }

    private static List<System.Text.Json.Nodes.JsonNode?> ReadYaml(string file)
    {
        try
        {
            return YamlJson.Read(File.ReadAllText(file));
        }
        catch (YamlException e)
        {
            throw new ValidationFailedException($"{Path.GetFileName(file)} line {e.Start.Line}", e.Message);
        }
    }
}
