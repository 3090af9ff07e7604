using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Tests;

/// <summary>Secure params: sealed at rest, plain only for templates and admins, redacted everywhere else.</summary>
public sealed class SecureParamTests
{
    private const string MachineSecret = "machine-s3cret-value-7f3a";
    private const string ProfileSecret = "profile-s3cret-value-91bc";

    [Fact]
    public async Task A_secure_value_never_appears_in_plain_text_in_the_database_events_logs_or_readonly_output()
    {
        var dataDir = Directory.CreateTempSubdirectory("rebar-secure-").FullName;
        var env = new Dictionary<string, string> { ["REBAR_ADMIN_PASSWORD"] = TestServer.AdminPassword };
        string[] args = ["--data-dir", dataDir, "--content", TestServer.EmptyContent(), "--log-level", "Debug", "--log-file", Path.Combine(dataDir, "server.log")];
        string uuid;
        var seen = new StringBuilder();
        await using (var server = ServerProcess.Start(args, env))
        {
            await server.WaitReadyAsync(TimeSpan.FromSeconds(60));
            var baseUri = new Uri($"http://127.0.0.1:{server.ApiPort}/api/v1/");
            using var admin = AuthClients.Basic("admin", TestServer.AdminPassword, baseUri);

            await (await admin.PostJsonAsync("params", """{"name":"power/password","secure":true,"schema":{"type":"string"}}""")).Expect(HttpStatusCode.Created);
            await (await admin.PostJsonAsync("templates", """{"name":"ud","contents":"#cloud-config\npassword: {{ param 'power/password' }}\nother: {{ params.plain }}\n"}""")).Expect(HttpStatusCode.Created);
            await (await admin.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"k","templates":[{"name":"user-data","path":"machines/{{ machine.uuid }}/user-data","template":"ud"}]}""")).Expect(HttpStatusCode.Created);
            await (await admin.PostJsonAsync("profiles", $$$"""{"name":"rack","params":{"power/password":"{{{ProfileSecret}}}"}}""")).Expect(HttpStatusCode.Created);
            var created = await (await (await admin.PostJsonAsync("machines", $$$"""{"name":"m1","bootEnv":"tiny","profiles":["rack"],"params":{"power/password":"{{{MachineSecret}}}","plain":"visible"}}""")).Expect(HttpStatusCode.Created)).JsonAsync();
            uuid = created["uuid"]!.GetValue<string>();
            Assert.Equal(MachineSecret, created["params"]!["power/password"]!.GetValue<string>());

            // Templates see the plain value.
            var rendered = await (await (await admin.GetAsync($"machines/m1/render/user-data")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
            Assert.Contains($"password: {MachineSecret}", rendered);

            // An operator sees the value redacted, and sending the redacted form back keeps the secret.
            await (await admin.PostJsonAsync("users", """{"name":"olga","role":"operator","password":"olga-password-1"}""")).Expect(HttpStatusCode.Created);
            using var olga = AuthClients.Basic("olga", "olga-password-1", baseUri);
            var asOperator = await (await (await olga.GetAsync("machines/m1")).Expect(HttpStatusCode.OK)).JsonAsync();
            Assert.Equal("********", asOperator["params"]!["power/password"]!.GetValue<string>());
            asOperator["description"] = "edited by olga";
            await (await olga.PutJsonAsync("machines/m1", asOperator.ToJsonString())).Expect(HttpStatusCode.OK);
            var afterEdit = await (await admin.GetAsync("machines/m1")).JsonAsync();
            Assert.Equal(MachineSecret, afterEdit["params"]!["power/password"]!.GetValue<string>());
            Assert.Equal("edited by olga", afterEdit["description"]!.GetValue<string>());

            var readonlyToken = await AuthClients.MintAsync(admin, """{"role":"readonly"}""");
            using var reader = new HttpClient { BaseAddress = baseUri };
            reader.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", readonlyToken);
            foreach (var path in new[] { "machines", "machines/m1", $"machines/{uuid}", "profiles", "profiles/rack", "events", "content", "params" })
            {
                var body = await (await (await reader.GetAsync(path)).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
                seen.Append(body);
            }
            Assert.Contains("********", seen.ToString());
            Assert.Contains("visible", seen.ToString());
            seen.Append(await (await admin.GetAsync("events")).Content.ReadAsStringAsync());
            seen.Append(await (await admin.GetAsync("content")).Content.ReadAsStringAsync());
            AssertNoSecret(seen.ToString(), "API output to readonly callers and the event log");
            await Task.Delay(500);
            AssertNoSecret(server.Output, "the server's console log");
        }

        foreach (var file in Directory.EnumerateFiles(dataDir, "*", SearchOption.AllDirectories))
        {
            AssertNoSecret(Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file)), file);
        }
        Assert.True(File.Exists(Path.Combine(dataDir, "server.log")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir, "keys", "params.key")));
        }

        // Sealed at rest, and still opened after a restart with the key from the data directory.
        await using var again = ServerProcess.Start(args, env);
        await again.WaitReadyAsync(TimeSpan.FromSeconds(60));
        using var admin2 = AuthClients.Basic("admin", TestServer.AdminPassword, new Uri($"http://127.0.0.1:{again.ApiPort}/api/v1/"));
        var reloaded = await (await admin2.GetAsync($"machines/{uuid}")).JsonAsync();
        Assert.Equal(MachineSecret, reloaded["params"]!["power/password"]!.GetValue<string>());
        var profile = await (await admin2.GetAsync("profiles/rack")).JsonAsync();
        Assert.Equal(ProfileSecret, profile["params"]!["power/password"]!.GetValue<string>());
    }

    [Fact]
    public async Task Declaring_a_param_secure_seals_the_values_already_stored()
    {
        await using var server = await TestServer.StartAsync();
        await (await server.Api.PostJsonAsync("profiles", """{"name":"late","params":{"bmc/password":"late-secret"}}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("params", """{"name":"bmc/password","secure":true}""")).Expect(HttpStatusCode.Created);

        var token = await AuthClients.MintAsync(server.Api, """{"role":"readonly"}""");
        using var reader = AuthClients.Bearer(server, token);
        var profile = await (await (await reader.GetAsync("profiles/late")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal("********", profile["params"]!["bmc/password"]!.GetValue<string>());
        var stored = server.Service<Objects.ObjectCache>().Get<Model.Profile>("late")!.Params["bmc/password"]!.ToJsonString();
        Assert.DoesNotContain("late-secret", stored);
        Assert.Contains("$secure", stored);
    }

    [Fact]
    public async Task A_value_sealed_with_another_key_is_refused()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.Api.PostJsonAsync("machines", """{"name":"m1","params":{"x":{"$secure":"v1:AAAAAAAAAAAAAAAA:AAAA:AAAAAAAAAAAAAAAAAAAAAA=="}}}""");
        var problem = await (await response.Expect(HttpStatusCode.BadRequest)).JsonAsync();
        Assert.NotNull(problem["errors"]!["params.x"]);
    }

    [Fact]
    public async Task An_operator_who_makes_a_template_print_secrets_sees_them_masked_in_the_render_preview()
    {
        await using var server = await TestServer.StartAsync();
        await (await server.Api.PostJsonAsync("params", """{"name":"power/password","secure":true}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("templates", """{"name":"ud","contents":"#cloud-config\n"}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"k","templates":[{"name":"user-data","path":"machines/{{ machine.uuid }}/user-data","template":"ud"}]}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("profiles", $$$"""{"name":"rack","params":{"power/password":"{{{ProfileSecret}}}"}}""")).Expect(HttpStatusCode.Created);
        var machine = await (await (await server.Api.PostJsonAsync("machines", $$$"""{"name":"m1","bootEnv":"tiny","profiles":["rack"],"params":{"power/password":"{{{MachineSecret}}}","plain":"visible"}}""")).Expect(HttpStatusCode.Created)).JsonAsync();
        var machineToken = server.Service<Auth.MachineTokens>().Issue(server.Service<Objects.ObjectCache>().Get<Model.Machine>(machine["uuid"]!.GetValue<string>())!);

        // The operator may edit templates, so it writes one that prints the secret every way a template can.
        await AuthClients.CreateUserAsync(server, "olga", "operator", "olga-password-1");
        using var olga = AuthClients.Basic(server, "olga", "olga-password-1");
        const string Printing = """
            #cloud-config
            param: {{ param 'power/password' }}
            index: {{ params['power/password'] }}
            json: {{ params | to_json }}
            yaml: {{ params | to_yaml }}
            crypt: {{ sha512crypt (param 'power/password') 'saltsalt' }}
            rack: {{ machine.profiles | array.join ',' }}
            token: {{ token }}
            plain: {{ params.plain }}
            """;
        await (await olga.PutJsonAsync("templates/ud", new JsonObject { ["name"] = "ud", ["contents"] = Printing }.ToJsonString())).Expect(HttpStatusCode.OK);

        // The admin's preview is exact (and fills the render cache first, which must not serve the operator).
        var asAdmin = await (await (await server.Api.GetAsync("machines/m1/render/user-data")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        Assert.Contains($"param: {MachineSecret}", asAdmin);
        var adminToken = asAdmin[(asAdmin.IndexOf("token: ", StringComparison.Ordinal) + 7)..].Split('\n')[0];
        Assert.True(server.Service<Auth.MachineTokens>().IsValidFor(adminToken, server.Service<Objects.ObjectCache>().Get<Model.Machine>(machine["uuid"]!.GetValue<string>())!), asAdmin);

        using var ownToken = AuthClients.Bearer(server, machineToken);
        foreach (var (who, client) in new[] { ("an operator", olga), ("the machine's token", ownToken) })
        {
            var preview = await (await (await client.GetAsync("machines/m1/render/user-data")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
            AssertNoSecret(preview, $"the render preview for {who}");
            Assert.DoesNotContain(adminToken, preview);
            Assert.Contains("param: ********", preview);
            Assert.Contains("index: ********", preview);
            Assert.Contains("\"power/password\":\"********\"", preview);
            Assert.Contains("token: ********", preview);
            Assert.Contains("plain: visible", preview);
            Assert.DoesNotContain(asAdmin[asAdmin.IndexOf("crypt: ", StringComparison.Ordinal)..].Split('\n')[0], preview);
        }
        var again = await (await server.Api.GetAsync("machines/m1/render/user-data")).Content.ReadAsStringAsync();
        Assert.Equal(asAdmin, again);

        // A template error shows the masked value too.
        await (await olga.PutJsonAsync("templates/ud", """{"name":"ud","contents":"{{ param 'power/password' | math.format 'x' }}"}""")).Expect(HttpStatusCode.OK);
        var problem = await (await olga.GetAsync("machines/m1/render/user-data")).Content.ReadAsStringAsync();
        AssertNoSecret(problem, "a template error shown to an operator");
    }

    [Fact]
    public async Task A_secure_params_default_is_sealed_in_the_database_file_and_shown_only_to_admins_and_the_machine()
    {
        const string DefaultSecret = "default-s3cret-value-5d2e";
        await using var server = await TestServer.StartAsync();
        await (await server.Api.PostJsonAsync("params", $$$"""{"name":"root/password","secure":true,"schema":{"type":"string","default":"{{{DefaultSecret}}}"}}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("params", """{"name":"late/password","schema":{"type":"string","default":"late-default-s3cret"}}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PutJsonAsync("params/late/password", """{"name":"late/password","secure":true,"schema":{"type":"string","default":"late-default-s3cret"}}""")).Expect(HttpStatusCode.OK);
        await (await server.Api.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"k","templates":[{"name":"user-data","path":"machines/{{ machine.uuid }}/user-data","contents":"root: {{ param 'root/password' }} late: {{ param 'late/password' }}"}]}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("machines", """{"name":"m1","bootEnv":"tiny"}""")).Expect(HttpStatusCode.Created);

        var asAdmin = await (await (await server.Api.GetAsync("params/root/password")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal(DefaultSecret, asAdmin["schema"]!["default"]!.GetValue<string>());
        var rendered = await (await (await server.Api.GetAsync("machines/m1/render/user-data")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        Assert.Equal($"root: {DefaultSecret} late: late-default-s3cret", rendered);

        var token = await AuthClients.MintAsync(server.Api, """{"role":"readonly"}""");
        using var reader = AuthClients.Bearer(server, token);
        var seen = new StringBuilder();
        foreach (var path in new[] { "params", "params/root/password", "events", "content" })
        {
            seen.Append(await (await (await reader.GetAsync(path)).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync());
        }
        var asReader = await (await reader.GetAsync("params/root/password")).JsonAsync();
        Assert.Equal("********", asReader["schema"]!["default"]!.GetValue<string>());
        Assert.DoesNotContain(DefaultSecret, seen.ToString());
        // The late one was public until declared secure (its first event shows it); from then on it is redacted.
        var late = await (await reader.GetAsync("params/late/password")).JsonAsync();
        Assert.Equal("********", late["schema"]!["default"]!.GetValue<string>());

        // An operator's edit that sends the placeholder back keeps the secret, and a wrong type is still refused.
        await AuthClients.CreateUserAsync(server, "olga", "operator", "olga-password-1");
        using var olga = AuthClients.Basic(server, "olga", "olga-password-1");
        var edited = await (await olga.GetAsync("params/root/password")).JsonAsync();
        edited["description"] = "root's password";
        await (await olga.PutJsonAsync("params/root/password", edited.ToJsonString())).Expect(HttpStatusCode.OK);
        var kept = await (await server.Api.GetAsync("params/root/password")).JsonAsync();
        Assert.Equal(DefaultSecret, kept["schema"]!["default"]!.GetValue<string>());
        await (await olga.PutJsonAsync("params/root/password", """{"name":"root/password","secure":true,"schema":{"type":"string","default":7}}""")).Expect(HttpStatusCode.BadRequest);

        var dataDir = server.Options.DataDir;
        await server.StopAsync();
        foreach (var file in Directory.EnumerateFiles(dataDir, "*", SearchOption.AllDirectories))
        {
            var bytes = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file));
            Assert.False(bytes.Contains(DefaultSecret, StringComparison.Ordinal), $"the secure default is in plain text in {file}");
        }
    }

    private static void AssertNoSecret(string text, string where)
    {
        Assert.False(text.Contains(MachineSecret, StringComparison.Ordinal), $"the machine's secret is in plain text in {where}");
        Assert.False(text.Contains(ProfileSecret, StringComparison.Ordinal), $"the profile's secret is in plain text in {where}");
    }
}
