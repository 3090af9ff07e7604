using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Auth;
using RebarProvision.Server.Content;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Secrets;
using YamlDotNet.Core;

namespace RebarProvision.Server.Api;

/// <summary>Import and export of content bundles, in YAML (what operators keep in git) or JSON.</summary>
public static class ContentEndpoints
{
    public static void MapContentEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/content").WithTags("content");

        group.MapGet("/", async (HttpContext http, ContentImporter importer, CancellationToken ct) =>
        {
            var bundle = (await importer.ExportAsync(ct)).ToJson();
            // Admins get secure values sealed (safe to keep in git, opened only by this server's key); others, redacted.
            if (!RebarClaims.MayReadSecrets(http.User))
            {
                bundle = (JsonObject)Redaction.RedactSealed(bundle)!;
            }
            return WantsYaml(http.Request)
                ? Results.Text(YamlJson.Write(bundle), "application/yaml")
                : Results.Json(bundle, ModelJson.Options);
        });

        group.MapPost("/", async (HttpContext http, ContentImporter importer, CancellationToken ct) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var text = await reader.ReadToEndAsync(ct);
            JsonNode? document;
            var contentType = http.Request.ContentType ?? "";
            if (contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                document = JsonNode.Parse(text);
            }
            else
            {
                try
                {
                    document = YamlJson.Read(text).FirstOrDefault();
                }
                catch (YamlException e)
                {
                    throw new ValidationFailedException($"line {e.Start.Line}", e.Message);
                }
            }
            var bundle = ContentBundle.FromJson(document, "body");
            var count = await importer.ImportAsync(bundle, Actor.Of(http), ct);
            return Results.Json(new { imported = count }, ModelJson.Options);
        }).Accepts<JsonObject>("application/yaml", "application/json").ProducesValidationProblem();
    }

    private static bool WantsYaml(HttpRequest request) =>
        request.Query["format"] == "yaml" || request.Headers.Accept.ToString().Contains("yaml", StringComparison.OrdinalIgnoreCase);
}
