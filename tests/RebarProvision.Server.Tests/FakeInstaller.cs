using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RebarProvision.Server.Tests;

/// <summary>
/// The installers of simulated machines. It watches the machines through the API; each time one enters
/// provisioning (a new <c>provisioningSince</c>) it reads that machine's iPXE script (the one the machine boots,
/// holding its callback URL and the token of this reimage), waits a short random time and posts the outcome to the
/// callback on the boot port as an installer does. <see cref="Outcome"/> picks it per machine name: <c>installed</c>,
/// <c>failed</c>, or null for a machine that never calls back.
/// </summary>
public sealed partial class FakeInstaller : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly HttpClient _api;
    private readonly HttpClient _boot;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<string> _seen = [];
    private readonly List<Task> _answers = [];
    private readonly Task _watch;

    public FakeInstaller(HttpClient api, HttpClient boot, Func<string, string?>? outcome = null)
    {
        _api = api;
        _boot = boot;
        Outcome = outcome ?? (_ => "installed");
        _watch = Task.Run(WatchAsync);
    }

    public static FakeInstaller For(TestServer server, Func<string, string?>? outcome = null) => new(server.Api, server.Boot, outcome);

    public Func<string, string?> Outcome { get; set; }

    /// <summary>Machine names in the order their installers called back, with what they said.</summary>
    public List<(string Machine, string Status)> Answered { get; } = [];

    private async Task WatchAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var machines = (await _api.GetFromJsonAsync<JsonArray>("machines", _stop.Token))!;
                foreach (var machine in machines.OfType<JsonObject>())
                {
                    if (machine["state"]?.GetValue<string>() == "provisioning"
                        && _seen.Add($"{machine["uuid"]}@{machine["provisioningSince"]}"))
                    {
                        lock (_answers)
                        {
                            _answers.Add(AnswerAsync(machine["uuid"]!.GetValue<string>(), machine["name"]!.GetValue<string>()));
                        }
                    }
                }
                await Task.Delay(PollInterval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task AnswerAsync(string uuid, string name)
    {
        // Decided when the install starts, as a real installer's fate is.
        var outcome = Outcome(name);
        var script = await (await _api.GetAsync($"machines/{uuid}/render/ipxe", _stop.Token)).EnsureSuccessStatusCode().Content.ReadAsStringAsync(_stop.Token);
        var callback = CallbackUrl().Match(script);
        Assert.True(callback.Success, $"machine {name}'s boot script holds no callback URL:\n{script}");
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(100, 400)), _stop.Token);
        if (outcome is not { } status)
        {
            return;
        }
        using var form = new FormUrlEncodedContent([new("status", status), new("message", $"the fake installer of {name} says {status}")]);
        (await _boot.PostAsync(new Uri(callback.Groups[1].Value).PathAndQuery, form, _stop.Token)).EnsureSuccessStatusCode();
        lock (Answered)
        {
            Answered.Add((name, status));
        }
    }

    [GeneratedRegex(@"callback=(\S+)")]
    private static partial Regex CallbackUrl();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watch;
        Task[] answers;
        lock (_answers)
        {
            answers = [.. _answers];
        }
        try
        {
            await Task.WhenAll(answers);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
