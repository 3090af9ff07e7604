using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Tests;

public static class ApiJsonExtensions
{
    public static async Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json)
    {
        using var body = new StringContent(json, Encoding.UTF8, "application/json");
        return await client.PostAsync(path, body);
    }

    public static async Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string path, string json, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        return await client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string path, string json, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = new StringContent(json, Encoding.UTF8, "application/json-patch+json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        return await client.SendAsync(request);
    }

    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonNode>())!;

    /// <summary>Asserts the status, showing the body when it is not the expected one.</summary>
    public static async Task<HttpResponseMessage> Expect(this HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        if (response.StatusCode != status)
        {
            Assert.Fail($"expected {(int)status} {status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        return response;
    }
}
