using System.Net;
using System.Text.Json.Nodes;
using RebarProvision.Server.Auth;

namespace RebarProvision.Server.Tests;

/// <summary>Who may do what through the API: users, tokens, roles, machine tokens and the login lock-out.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_request_without_credentials_gets_401_with_a_challenge_while_probes_stay_open()
    {
        using var anonymous = AuthClients.Anonymous(_server);

        var response = await (await anonymous.GetAsync("machines")).Expect(HttpStatusCode.Unauthorized);
        var challenges = response.Headers.WwwAuthenticate.Select(h => h.Scheme).ToList();
        Assert.Contains("Basic", challenges);
        Assert.Contains("Bearer", challenges);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await (await anonymous.PostJsonAsync("profiles", """{"name":"sneaky"}""")).Expect(HttpStatusCode.Unauthorized);
        await (await anonymous.GetAsync("/metrics")).Expect(HttpStatusCode.Unauthorized);
        await (await anonymous.GetAsync("/healthz")).Expect(HttpStatusCode.OK);
        await (await anonymous.GetAsync("/readyz")).Expect(HttpStatusCode.OK);
        using var forged = AuthClients.Bearer(_server, "tok-000000000000.not-the-secret");
        await (await forged.GetAsync("machines")).Expect(HttpStatusCode.Unauthorized);
        await (await _server.Api.GetAsync("profiles/sneaky")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_readonly_token_can_read_but_not_write()
    {
        await (await _server.Api.PostJsonAsync("profiles", """{"name":"rack1"}""")).Expect(HttpStatusCode.Created);
        var token = await AuthClients.MintAsync(_server.Api, """{"role":"readonly"}""");
        using var reader = AuthClients.Bearer(_server, token);

        await (await reader.GetAsync("profiles/rack1")).Expect(HttpStatusCode.OK);
        await (await reader.GetAsync("machines")).Expect(HttpStatusCode.OK);
        await (await reader.GetAsync("events")).Expect(HttpStatusCode.OK);
        var refused = await (await reader.PostJsonAsync("profiles", """{"name":"rack2"}""")).Expect(HttpStatusCode.Forbidden);
        Assert.Equal(403, (await refused.JsonAsync())["status"]!.GetValue<int>());
        await (await reader.PutJsonAsync("profiles/rack1", """{"name":"rack1","params":{"x":1}}""")).Expect(HttpStatusCode.Forbidden);
        await (await reader.DeleteAsync("profiles/rack1")).Expect(HttpStatusCode.Forbidden);
        await (await reader.GetAsync("users")).Expect(HttpStatusCode.Forbidden);
        await (await reader.GetAsync("tokens")).Expect(HttpStatusCode.Forbidden);
        await (await reader.PostJsonAsync("tokens", """{"role":"operator"}""")).Expect(HttpStatusCode.Forbidden);
        await (await _server.Api.GetAsync("profiles/rack2")).Expect(HttpStatusCode.NotFound);

        var stored = await (await (await _server.Api.GetAsync($"tokens/{token.Split('.')[0]}")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Null(stored["secretHash"]);
        Assert.Equal("admin", stored["user"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_operator_can_write_machines_and_is_the_actor_of_their_events_but_cannot_manage_users()
    {
        await AuthClients.CreateUserAsync(_server, "olga", "operator", "olga-password-1");
        using var olga = AuthClients.Basic(_server, "olga", "olga-password-1");

        var machine = await (await (await olga.PostJsonAsync("machines", """{"name":"m1","hardwareAddrs":["52:54:00:00:00:01"]}""")).Expect(HttpStatusCode.Created)).JsonAsync();
        await (await olga.PatchJsonAsync("machines/m1", """[{"op":"add","path":"/description","value":"rack 4"}]""")).Expect(HttpStatusCode.OK);
        await (await olga.PostJsonAsync("users", """{"name":"mallory","role":"admin","password":"mallory-password"}""")).Expect(HttpStatusCode.Forbidden);
        await (await olga.PostJsonAsync("tokens", """{"role":"admin"}""")).Expect(HttpStatusCode.Forbidden);
        var own = await AuthClients.MintAsync(olga, """{"role":"operator"}""");
        using var ownClient = AuthClients.Bearer(_server, own);
        await (await ownClient.PostJsonAsync("profiles", """{"name":"by-token"}""")).Expect(HttpStatusCode.Created);

        var events = await (await (await _server.Api.GetAsync($"events?key={machine["uuid"]!.GetValue<string>()}")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.All(events.AsArray(), e => Assert.Equal("olga", e!["actor"]!.GetValue<string>()));
        var byToken = await (await _server.Api.GetAsync("events?key=by-token")).JsonAsync();
        Assert.StartsWith("token:", byToken[0]!["actor"]!.GetValue<string>());
    }

    [Fact]
    public async Task Passwords_are_write_only_and_stored_only_as_slow_hashes()
    {
        await AuthClients.CreateUserAsync(_server, "rita", "readonly", "rita-password-1");
        var user = await (await (await _server.Api.GetAsync("users/rita")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Null(user["passwordHash"]);
        Assert.Null(user["password"]);
        var events = (await (await _server.Api.GetAsync("events?key=rita")).Content.ReadAsStringAsync());
        Assert.DoesNotContain("pbkdf2", events);
        Assert.DoesNotContain("rita-password-1", events);

        // A replace without a password keeps the old one; a client cannot set the hash itself.
        await (await _server.Api.PutJsonAsync("users/rita", """{"name":"rita","role":"operator"}""")).Expect(HttpStatusCode.OK);
        using var rita = AuthClients.Basic(_server, "rita", "rita-password-1");
        await (await rita.PostJsonAsync("profiles", """{"name":"rita-was-here"}""")).Expect(HttpStatusCode.Created);
        await (await _server.Api.PutJsonAsync("users/rita", """{"name":"rita","role":"operator","passwordHash":"pbkdf2-sha256$1$AA==$AA=="}""")).Expect(HttpStatusCode.BadRequest);
        await (await _server.Api.PatchJsonAsync("users/rita", """[{"op":"add","path":"/password","value":"rita-password-2"}]""")).Expect(HttpStatusCode.OK);
        await (await rita.GetAsync("profiles")).Expect(HttpStatusCode.Unauthorized);
        using var rita2 = AuthClients.Basic(_server, "rita", "rita-password-2");
        await (await rita2.GetAsync("profiles")).Expect(HttpStatusCode.OK);

        var stored = _server.Service<Objects.ObjectCache>().Get<Model.User>("rita")!.PasswordHash!;
        Assert.StartsWith($"pbkdf2-sha256${PasswordHasher.Iterations}$", stored);
    }

    [Fact]
    public async Task A_token_expiry_beyond_a_year_is_refused_naming_expiresAt()
    {
        var expiresAt = DateTimeOffset.UtcNow.AddYears(50).ToString("O");
        var response = await _server.Api.PostJsonAsync("tokens", $$"""{"role":"readonly","expiresAt":"{{expiresAt}}"}""");
        await response.Expect(HttpStatusCode.BadRequest);
        Assert.Contains("expiresAt", (await response.JsonAsync())["errors"]!.AsObject().Select(e => e.Key));
    }

    [Fact]
    public async Task A_token_dies_when_its_users_password_changes()
    {
        await AuthClients.CreateUserAsync(_server, "pat", "operator", "pat-password-1");
        using var pat = AuthClients.Basic(_server, "pat", "pat-password-1");
        var token = await AuthClients.MintAsync(pat, """{"role":"operator"}""");
        using var withToken = AuthClients.Bearer(_server, token);
        await (await withToken.GetAsync("machines")).Expect(HttpStatusCode.OK);

        var user = await (await _server.Api.GetAsync("users/pat")).JsonAsync();
        user["password"] = "pat-password-2";
        await (await _server.Api.PutJsonAsync("users/pat", user.ToJsonString())).Expect(HttpStatusCode.OK);

        await (await withToken.GetAsync("machines")).Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_machine_token_reaches_only_its_own_rendered_files_and_callback()
    {
        await (await _server.Api.PostJsonAsync("templates", """{"name":"ud","contents":"#cloud-config\nhostname: {{ machine.name }}\n"}""")).Expect(HttpStatusCode.Created);
        await (await _server.Api.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"k","templates":[{"name":"user-data","path":"machines/{{ machine.uuid }}/user-data","template":"ud"}]}""")).Expect(HttpStatusCode.Created);
        var m1 = await (await (await _server.Api.PostJsonAsync("machines", """{"name":"m1","hardwareAddrs":["52:54:00:00:00:01"],"bootEnv":"tiny"}""")).Expect(HttpStatusCode.Created)).JsonAsync();
        await (await _server.Api.PostJsonAsync("machines", """{"name":"m2","hardwareAddrs":["52:54:00:00:00:02"],"bootEnv":"tiny"}""")).Expect(HttpStatusCode.Created);
        var token = await AuthClients.MintAsync(_server.Api, """{"role":"machine","machine":"m1"}""");
        var hmac = _server.Service<MachineTokens>().Issue(_server.Service<Objects.ObjectCache>().Get<Model.Machine>(m1["uuid"]!.GetValue<string>())!);

        foreach (var credential in new[] { token, hmac })
        {
#pragma warning disable CA2000 // False positive: `using` disposes it on every path; CA2000 misreads it inside this loop of awaits.
            using var machine = AuthClients.Bearer(_server, credential);
#pragma warning restore CA2000
            var own = await (await (await machine.GetAsync("machines/m1/render/user-data")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
            Assert.Contains("hostname: m1", own);
            var other = await machine.GetAsync("machines/m2/render/user-data");
            Assert.Contains(other.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized });
            Assert.DoesNotContain("hostname: m2", await other.Content.ReadAsStringAsync());
            var otherCallback = await machine.PostJsonAsync("machines/m2/callback", """{"status":"failed","message":"not mine"}""");
            Assert.Contains(otherCallback.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized });
            Assert.Contains((await machine.GetAsync("machines")).StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized });
            Assert.Contains((await machine.GetAsync("machines/m1")).StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized });
        }
        var m2 = await (await _server.Api.GetAsync("machines/m2")).JsonAsync();
        Assert.NotEqual("failed", m2["state"]!.GetValue<string>());

        using var m1Client = AuthClients.Bearer(_server, token);
        var reported = await (await (await m1Client.PostJsonAsync("machines/m1/callback", """{"status":"installed"}""")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal("installed", reported["state"]!.GetValue<string>());
        var events = await (await _server.Api.GetAsync($"events?kind=machine.updated&key={m1["uuid"]!.GetValue<string>()}")).JsonAsync();
        Assert.Contains(events.AsArray(), e => e!["actor"]!.GetValue<string>().StartsWith("token:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tokens_stamps_are_kept_across_an_edit_and_cannot_be_rewritten_to_revive_it()
    {
        await SimulatedFleet.CreateLocalBootEnvAsync(_server.Api);
        await SimulatedFleet.CreateAsync(_server.Api, 1);
        var token = await AuthClients.MintAsync(_server.Api, """{"id":"m1-token","role":"machine","machine":"m1"}""");
        using var machine = AuthClients.Bearer(_server, token);
        var stored = await (await (await _server.Api.GetAsync("tokens/m1-token")).Expect(HttpStatusCode.OK)).JsonAsync();

        var forged = stored.DeepClone();
        forged["passwordStamp"] = "00000000000000000000000000000000";
        var refused = await (await _server.Api.PutJsonAsync("tokens/m1-token", forged.ToJsonString())).Expect(HttpStatusCode.BadRequest);
        Assert.Contains("passwordStamp", (await refused.JsonAsync())["errors"]!.AsObject().Select(e => e.Key));

        // An edit that leaves the stamps out keeps them: the token still works, and still dies with the boot secret.
        var edited = stored.DeepClone().AsObject();
        edited.Remove("passwordStamp");
        edited.Remove("machineStamp");
        edited["meta"] = new JsonObject { ["rack"] = "r4" };
        await (await _server.Api.PutJsonAsync("tokens/m1-token", edited.ToJsonString())).Expect(HttpStatusCode.OK);
        await (await machine.GetAsync("machines/m1/render/ipxe")).Expect(HttpStatusCode.OK);
        await (await _server.Api.PostJsonAsync("machines/m1/rotate-secret", "{}")).Expect(HttpStatusCode.OK);
        await (await machine.GetAsync("machines/m1/render/ipxe")).Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_machine_token_without_a_stamp_from_before_the_binding_is_refused_as_no_install_can_be_told()
    {
        await SimulatedFleet.CreateLocalBootEnvAsync(_server.Api);
        await SimulatedFleet.CreateAsync(_server.Api, 1);
        var token = await AuthClients.MintAsync(_server.Api, """{"id":"old-m1","role":"machine","machine":"m1"}""");
        await (await AuthClients.AsMachineAsync(_server.Api.BaseAddress!, token, "m1")).Expect(HttpStatusCode.OK);

        // As a token minted by an older server reads back from the store: the same row without the stamp.
        var inventory = _server.Service<Objects.Inventory>();
        var stored = inventory.Cache.Get<Model.ApiToken>("old-m1")!.CloneAs<Model.ApiToken>();
        stored.MachineStamp = null;
        await inventory.UpdateAsync(stored, stored.Revision, "test");

        var refused = await (await AuthClients.AsMachineAsync(_server.Api.BaseAddress!, token, "m1")).Expect(HttpStatusCode.Unauthorized);
        Assert.Contains("mint a new one", (await refused.JsonAsync())["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tokens_stop_working_when_they_expire_or_are_deleted()
    {
        // A wide window: on a loaded machine the mint itself can take seconds, and an expiry already past is refused.
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(20);
        var token = await AuthClients.MintAsync(_server.Api, $$"""{"id":"short","role":"readonly","expiresAt":"{{expiresAt:O}}"}""");
        using var client = AuthClients.Bearer(_server, token);
        await (await client.GetAsync("machines")).Expect(HttpStatusCode.OK);
        await Task.Delay(expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(0.5));
        await (await client.GetAsync("machines")).Expect(HttpStatusCode.Unauthorized);

        var other = await AuthClients.MintAsync(_server.Api, """{"id":"revoked","role":"readonly"}""");
        using var revoked = AuthClients.Bearer(_server, other);
        await (await revoked.GetAsync("machines")).Expect(HttpStatusCode.OK);
        await (await _server.Api.DeleteAsync("tokens/revoked")).Expect(HttpStatusCode.OK);
        await (await revoked.GetAsync("machines")).Expect(HttpStatusCode.Unauthorized);
        await (await _server.Api.PostJsonAsync("tokens", """{"expiresAt":"2001-01-01T00:00:00Z"}""")).Expect(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Wrong_passwords_are_rate_limited_and_the_right_one_works_after_the_lock_out()
    {
        await AuthClients.CreateUserAsync(_server, "alice", "readonly", "alice-password-1");
        using var wrong = AuthClients.Basic(_server, "alice", "guess");
        for (var i = 0; i < LoginThrottle.FreeFailures; i++)
        {
            await (await wrong.GetAsync("machines")).Expect(HttpStatusCode.Unauthorized);
        }

        using var right = AuthClients.Basic(_server, "alice", "alice-password-1");
        var locked = await (await right.GetAsync("machines")).Expect(HttpStatusCode.TooManyRequests);
        var wait = locked.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("429 without Retry-After");
        Assert.InRange(wait, TimeSpan.FromSeconds(1), LoginThrottle.Replenishment);
        await (await wrong.GetAsync("machines")).Expect(HttpStatusCode.TooManyRequests);

        await Task.Delay(wait + TimeSpan.FromMilliseconds(200));
        await (await right.GetAsync("machines")).Expect(HttpStatusCode.OK);
        // A successful login is not slowed down afterwards.
        var started = DateTime.UtcNow;
        for (var i = 0; i < 5; i++)
        {
            await (await right.GetAsync("machines")).Expect(HttpStatusCode.OK);
        }
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Guessing_admins_password_from_one_address_does_not_lock_admin_out_from_another()
    {
        using var attacker = AuthClients.BasicFrom(IPAddress.Parse("127.0.0.66"), _server, "admin", "guess");
        for (var i = 0; i < LoginThrottle.FreeFailures; i++)
        {
            await (await attacker.GetAsync("machines")).Expect(HttpStatusCode.Unauthorized);
        }
        await (await attacker.GetAsync("machines")).Expect(HttpStatusCode.TooManyRequests);
        using var attackerWithThePassword = AuthClients.BasicFrom(IPAddress.Parse("127.0.0.66"), _server, "admin", TestServer.AdminPassword);
        await (await attackerWithThePassword.GetAsync("machines")).Expect(HttpStatusCode.TooManyRequests);

        using var admin = AuthClients.BasicFrom(IPAddress.Parse("127.0.0.1"), _server, "admin", TestServer.AdminPassword);
        await (await admin.GetAsync("machines")).Expect(HttpStatusCode.OK);
        using var adminElsewhere = AuthClients.BasicFrom(IPAddress.Parse("127.0.0.77"), _server, "admin", TestServer.AdminPassword);
        await (await adminElsewhere.GetAsync("machines")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public void Failures_spread_over_many_names_and_addresses_reach_a_global_ceiling_that_known_good_credentials_pass()
    {
        using var throttle = new LoginThrottle();
        for (var i = 0; i < LoginThrottle.CeilingBurst; i++)
        {
            Assert.Equal(TimeSpan.Zero, throttle.RetryAfter($"10.0.{i / 250}.{i % 250}", $"user{i}", knownGood: false));
            throttle.Failed($"10.0.{i / 250}.{i % 250}", $"user{i}");
        }
        Assert.True(throttle.RetryAfter("10.9.9.9", "someone-new", knownGood: false) > TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter("10.9.9.9", "admin", knownGood: true));
    }

    [Fact]
    public async Task A_login_as_a_user_that_does_not_exist_costs_the_same_key_derivation_as_a_wrong_password()
    {
        var dataDir = Directory.CreateTempSubdirectory("rebar-auth-").FullName;
        await using var server = ServerProcess.Start(["--data-dir", dataDir, "--content", TestServer.EmptyContent()],
            new Dictionary<string, string> { ["REBAR_ADMIN_PASSWORD"] = TestServer.AdminPassword });
        await server.WaitReadyAsync(TimeSpan.FromSeconds(60));
        var api = new Uri($"http://127.0.0.1:{server.ApiPort}/api/v1/");
        using var admin = AuthClients.Basic("admin", TestServer.AdminPassword, api);
        await (await admin.GetAsync("machines")).Expect(HttpStatusCode.OK);

        async Task<double> Derivations()
        {
            var metrics = await (await (await admin.GetAsync("/metrics")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
            return new RebarProvision.Testing.PrometheusScrape(metrics).Sum("rebar_password_derivations_total");
        }

        var before = await Derivations();
        using var wrongPassword = AuthClients.Basic("admin", "not-the-password", api);
        await (await wrongPassword.GetAsync("machines")).Expect(HttpStatusCode.Unauthorized);
        var afterWrongPassword = await Derivations();
        using var noSuchUser = AuthClients.Basic("nobody-by-this-name", "not-the-password", api);
        await (await noSuchUser.GetAsync("machines")).Expect(HttpStatusCode.Unauthorized);
        var afterNoSuchUser = await Derivations();

        Assert.Equal(1, afterWrongPassword - before);
        Assert.Equal(1, afterNoSuchUser - afterWrongPassword);
    }

    [Fact]
    public async Task First_start_without_a_configured_password_prints_a_generated_one_once()
    {
        var dataDir = Directory.CreateTempSubdirectory("rebar-auth-").FullName;
        string[] args = ["--data-dir", dataDir, "--content", TestServer.EmptyContent()];
        string password;
        await using (var first = ServerProcess.Start(args))
        {
            await first.WaitReadyAsync(TimeSpan.FromSeconds(60));
            var match = System.Text.RegularExpressions.Regex.Match(first.Output, @"created user 'admin' with password\s+(\S+)");
            Assert.True(match.Success, first.Output);
            password = match.Groups[1].Value;
            using var admin = AuthClients.Basic("admin", password, new Uri($"http://127.0.0.1:{first.ApiPort}/api/v1/"));
            await (await admin.GetAsync("users/admin")).Expect(HttpStatusCode.OK);
            Assert.Equal(1, System.Text.RegularExpressions.Regex.Count(first.Output, System.Text.RegularExpressions.Regex.Escape(password)));
        }
        await using var second = ServerProcess.Start(args);
        await second.WaitReadyAsync(TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(password, second.Output);
        Assert.DoesNotContain("with password", second.Output);
        using var again = AuthClients.Basic("admin", password, new Uri($"http://127.0.0.1:{second.ApiPort}/api/v1/"));
        await (await again.GetAsync("machines")).Expect(HttpStatusCode.OK);
    }
}
