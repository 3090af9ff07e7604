using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using RebarProvision.Model;

namespace RebarProvision.Server.Power;

/// <summary>
/// Redfish (DMTF DSP0266) over HTTPS with basic auth: the first member of <c>/redfish/v1/Systems</c> gets a
/// <c>ComputerSystem.Reset</c>. BMCs ship self-signed certificates, so the machine's <c>power/insecure</c> param
/// switches certificate validation off for that machine only.
/// </summary>
public sealed class RedfishPowerDriver : IPowerDriver
{
    private readonly TimeSpan _timeout;

    public RedfishPowerDriver(TimeSpan timeout) => _timeout = timeout;

    public string Kind => "redfish";

    /// <summary>The Redfish ResetType for an action (DSP0268 ResetType enum).</summary>
    public static string ResetType(PowerAction action) => action switch
    {
        PowerAction.Cycle => "ForceRestart",
        PowerAction.On => "On",
        PowerAction.Off => "ForceOff",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    public async Task PowerAsync(Machine machine, PowerAction action, PowerCredentials credentials, bool insecure, CancellationToken cancellationToken)
    {
        var address = machine.Power!.Address;
        using var handler = new HttpClientHandler();
        if (insecure)
        {
            handler.ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;
        }
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://{address}/"), Timeout = _timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        try
        {
            var system = await FirstSystemAsync(client, address, cancellationToken);
            using var reset = await client.PostAsJsonAsync($"{system.TrimStart('/')}/Actions/ComputerSystem.Reset",
                new JsonObject { ["ResetType"] = ResetType(action) }, cancellationToken);
            await EnsureSuccessAsync(reset, $"POST {system}/Actions/ComputerSystem.Reset", cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new PowerControlException($"redfish: {address}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PowerControlException($"redfish: the BMC at {address} did not answer within {_timeout.TotalSeconds:0} s", e);
        }
    }

    private static async Task<string> FirstSystemAsync(HttpClient client, string address, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync("redfish/v1/Systems", cancellationToken);
        await EnsureSuccessAsync(response, "GET /redfish/v1/Systems", cancellationToken);
        JsonNode? collection;
        try
        {
            collection = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new PowerControlException($"redfish: {address}: /redfish/v1/Systems is not JSON", e);
        }
        return collection?["Members"] is JsonArray { Count: > 0 } members && members[0]?["@odata.id"] is JsonValue id && id.TryGetValue<string>(out var path)
            ? path
            : throw new PowerControlException($"redfish: {address}: /redfish/v1/Systems lists no system");
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new PowerControlException($"redfish: {what} answered {(int)response.StatusCode} {response.ReasonPhrase}{(body.Length > 0 ? ": " + body[..Math.Min(body.Length, 300)] : "")}");
        }
    }
}
