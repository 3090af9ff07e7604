using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Tests;

/// <summary>
/// Machines for rolling-reimage tests: an <c>installer</c> bootenv whose boot script hands the machine its callback
/// URL and token (as the shipped bootenvs do), a profile, and machines in it that start out installed.
/// </summary>
public sealed class SimulatedFleet
{
    public const string BootEnv = "installer";

    private SimulatedFleet(IReadOnlyList<string> names, Dictionary<string, string> uuids)
    {
        Names = names;
        Uuids = uuids;
    }

    /// <summary>m1, m2, ... in the order a rollout takes them.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Name to uuid.</summary>
    public IReadOnlyDictionary<string, string> Uuids { get; }

    public static async Task<SimulatedFleet> CreateAsync(HttpClient api, int count, string profile = "k8s-workers")
    {
        // The boot script the machine fetches, unless the server has the shipped one (409).
        using var templateBody = new StringContent(
            """{"name":"default-ipxe","contents":"#!ipxe\nkernel {{ boot.kernel.url }} {{ boot.params }}\nboot\n"}""", Encoding.UTF8, "application/json");
        using var template = await api.PostAsync("templates", templateBody);
        Assert.True(template.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"POST templates: {(int)template.StatusCode}");
        await PostAsync(api, "bootenvs", $$$"""
            {"name":"{{{BootEnv}}}","kernel":"vmlinuz","bootParams":"callback={{ env.machine_url }}/callback?token={{ token }}"}
            """);
        await PostAsync(api, "profiles", $$"""{"name":"{{profile}}"}""");
        var names = Enumerable.Range(1, count).Select(i => $"m{i}").ToList();
        var uuids = new Dictionary<string, string>();
        foreach (var name in names)
        {
            var created = await PostAsync(api, "machines", $$"""{"name":"{{name}}","bootEnv":"{{BootEnv}}","profiles":["{{profile}}"]}""");
            uuids[name] = created["uuid"]!.GetValue<string>();
            // Installed before the rollout, as a running cluster's machines are.
            await PostAsync(api, $"machines/{name}/callback", """{"status":"installed"}""", HttpStatusCode.OK);
        }
        return new SimulatedFleet(names, uuids);
    }

    /// <summary>
    /// A <c>local</c> bootenv (installed machines move to it) with a boot script to render, for tests whose machines
    /// still fetch files once installed; a server with shipped content has one already (409).
    /// </summary>
    public static async Task CreateLocalBootEnvAsync(HttpClient api)
    {
        using var body = new StringContent("""{"name":"local","kernel":"vmlinuz-local"}""", Encoding.UTF8, "application/json");
        using var response = await api.PostAsync("bootenvs", body);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"POST bootenvs: {(int)response.StatusCode}");
    }

    private static async Task<JsonNode> PostAsync(HttpClient api, string path, string json, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var body = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await api.PostAsync(path, body);
        Assert.True(response.StatusCode == expected, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }
}
