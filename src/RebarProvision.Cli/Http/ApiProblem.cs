using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RebarProvision.Cli.Http;

/// <summary>An error answer from the API: RFC 7807 problem details when the server sent them, else the status and body.</summary>
public sealed record ApiProblem(int Status, string Title, string? Detail, IReadOnlyList<(string Field, string Message)> FieldErrors, IReadOnlyList<(string Name, string Value)> Extensions)
{
    /// <summary>RFC 7807 §3.1 members, and the ones ASP.NET Core adds, which are not worth showing an operator.</summary>
    private static readonly HashSet<string> Standard = ["type", "title", "status", "detail", "instance", "errors", "traceId"];

    public static ApiProblem From(HttpStatusCode status, string body)
    {
        JsonObject? problem = null;
        try
        {
            problem = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
        }
        var code = (int)status;
        if (problem is null)
        {
            var text = body.Trim();
            return new ApiProblem(code, $"{code} {status}", text.Length == 0 ? null : text.Length > 500 ? text[..500] + "…" : text, [], []);
        }
        var fields = new List<(string, string)>();
        if (problem["errors"] is JsonObject errors)
        {
            foreach (var (field, messages) in errors)
            {
                var list = messages is JsonArray array ? array.Select(m => m?.ToString() ?? "") : [messages?.ToString() ?? ""];
                fields.AddRange(list.Select(m => (field, m)));
            }
        }
        var extensions = problem
            .Where(p => !Standard.Contains(p.Key) && p.Value is not null)
            .Select(p => (p.Key, p.Value is JsonValue v ? v.ToString() : p.Value!.ToJsonString()))
            .ToList();
        return new ApiProblem(code, problem["title"]?.ToString() ?? $"{code} {status}", problem["detail"]?.ToString(), fields, extensions);
    }

    /// <summary>"error: title (status)", the detail, then one line per invalid field, written for a person.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("error: ").Append(Title).Append(" (").Append(Status).Append(')').AppendLine();
        // A validation problem's detail is its field errors joined; show it only when it says something more.
        if (!string.IsNullOrEmpty(Detail) && !(FieldErrors.Count > 0 && FieldErrors.All(f => Detail.Contains(f.Message, StringComparison.Ordinal))))
        {
            text.Append("  ").AppendLine(Detail);
        }
        foreach (var (field, message) in FieldErrors)
        {
            text.Append("  field ").Append(field).Append(": ").AppendLine(message);
        }
        foreach (var (name, value) in Extensions)
        {
            text.Append("  ").Append(name).Append(": ").AppendLine(value);
        }
        if (Status == 401)
        {
            text.AppendLine("  hint: pass --token (or REBAR_TOKEN), or --user and --password (REBAR_USER, REBAR_PASSWORD)");
        }
        return text.ToString().TrimEnd();
    }
}
