using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace RebarProvision.Testing;

/// <summary>
/// A fleet's recorded transitions, read back from the <c>machine.updated</c> event rows in the order they were
/// written: what a rollout did, judged from the database rather than from the rollout's own account. Shared by the
/// rollout tests with simulated machines and the one with real VMs.
/// </summary>
/// <param name="uuids">The fleet: machine name → uuid, every machine installed before the rollout.</param>
public sealed class RolloutHistory(IReadOnlyDictionary<string, string> uuids, List<(string Uuid, string State)> transitions)
{
    public static async Task<long> LastEventIdAsync(HttpClient api) =>
        (await EventsAsync(api, "events?limit=10000")).Select(e => e!["id"]!.GetValue<long>()).DefaultIfEmpty(0).Max();

    /// <summary>The fleet's machine.updated rows after event <paramref name="after"/>.</summary>
    public static async Task<RolloutHistory> ReadAsync(HttpClient api, IReadOnlyDictionary<string, string> uuids, long after) =>
        new(uuids, [.. (await EventsAsync(api, $"events?kind=machine.updated&after={after}&limit=10000"))
            .Select(e => (e!["key"]!.GetValue<string>(), e["object"]!["state"]!.GetValue<string>()))
            .Where(e => uuids.Values.Contains(e.Item1))]);

    /// <summary>Machine names in the order they entered provisioning, once per entry (a machine reimaged twice is listed twice).</summary>
    public List<string> Reimaged()
    {
        var state = uuids.Values.ToDictionary(u => u, _ => "installed");
        var entered = new List<string>();
        foreach (var (uuid, now) in transitions)
        {
            if (now == "provisioning" && state[uuid] != "provisioning")
            {
                entered.Add(uuids.Single(u => u.Value == uuid).Key);
            }
            state[uuid] = now;
        }
        return entered;
    }

    /// <summary>Replays the transitions from all installed: the most machines out of installed at once.</summary>
    public int MostOutOfInstalled(bool countFailedAsOut = true)
    {
        var state = uuids.Values.ToDictionary(u => u, _ => "installed");
        var most = 0;
        foreach (var (uuid, now) in transitions)
        {
            state[uuid] = now;
            most = Math.Max(most, state.Values.Count(s => s != "installed" && (countFailedAsOut || s != "failed")));
        }
        return most;
    }

    public static async Task<JsonArray> EventsAsync(HttpClient api, string path)
    {
        using var response = await api.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!.AsArray();
    }
}
