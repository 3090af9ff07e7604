using System.Net;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Tests;

/// <summary>What the REST API promises, run against each store (the derived classes choose it).</summary>
public abstract class ApiContract : IAsyncLifetime
{
    private TestServer? _server;
    private Exception? _skip;

    /// <summary>The running server; a missing prerequisite found while starting it skips (or, in CI, fails) the test here.</summary>
    protected TestServer Server => _server ?? throw _skip!;

    protected abstract Task<TestServer> StartServerAsync();

    public async Task InitializeAsync()
    {
        try
        {
            _server = await StartServerAsync();
        }
        catch (SkipException e)
        {
            _skip = e;
        }
    }

    public virtual async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private const string MachineJson = """{"name":"m-42","hardwareAddrs":["52:54:00:AA:BB:01"],"profiles":["rack1"],"params":{"ntp":"10.0.0.1"}}""";

    [SkippableFact]
    public async Task A_machine_a_profile_and_a_subnet_created_through_the_API_survive_a_restart()
    {
        var machine = await (await (await Server.Api.PostJsonAsync("machines", MachineJson)).Expect(HttpStatusCode.Created)).JsonAsync();
        await (await Server.Api.PostJsonAsync("profiles", """{"name":"rack1","params":{"console":"ttyS0"}}""")).Expect(HttpStatusCode.Created);
        await (await Server.Api.PostJsonAsync("subnets", """{"name":"lab","cidr":"10.1.0.0/24","activeStart":"10.1.0.100","activeEnd":"10.1.0.200"}""")).Expect(HttpStatusCode.Created);
        var uuid = machine["uuid"]!.GetValue<string>();

        await Server.StartAgainAsync();

        var again = await (await (await Server.Api.GetAsync($"machines/{uuid}")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal("m-42", again["name"]!.GetValue<string>());
        Assert.Equal("52:54:00:aa:bb:01", again["hardwareAddrs"]![0]!.GetValue<string>());
        Assert.Equal("10.0.0.1", again["params"]!["ntp"]!.GetValue<string>());
        var profile = await (await (await Server.Api.GetAsync("profiles/rack1")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal("ttyS0", profile["params"]!["console"]!.GetValue<string>());
        var subnet = await (await (await Server.Api.GetAsync("subnets/lab")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal("10.1.0.100", subnet["activeStart"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task A_machine_is_found_by_its_name_as_well_as_its_uuid()
    {
        await (await Server.Api.PostJsonAsync("machines", MachineJson)).Expect(HttpStatusCode.Created);
        var byName = await (await (await Server.Api.GetAsync("machines/m-42")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.True(Guid.TryParse(byName["uuid"]!.GetValue<string>(), out _));
    }

    [SkippableFact]
    public async Task A_write_with_a_stale_If_Match_gets_412_and_changes_nothing()
    {
        var created = await (await Server.Api.PostJsonAsync("profiles", """{"name":"p1","params":{"a":1}}""")).Expect(HttpStatusCode.Created);
        var firstTag = created.Headers.ETag!.Tag;
        var updated = await (await Server.Api.PutJsonAsync("profiles/p1", """{"name":"p1","params":{"a":2}}""", firstTag)).Expect(HttpStatusCode.OK);
        Assert.NotEqual(firstTag, updated.Headers.ETag!.Tag);

        var stale = await Server.Api.PutJsonAsync("profiles/p1", """{"name":"p1","params":{"a":3}}""", firstTag);
        await stale.Expect(HttpStatusCode.PreconditionFailed);
        Assert.Equal("application/problem+json", stale.Content.Headers.ContentType!.MediaType);
        var stalePatch = await Server.Api.PatchJsonAsync("profiles/p1", """[{"op":"replace","path":"/params/a","value":4}]""", firstTag);
        await stalePatch.Expect(HttpStatusCode.PreconditionFailed);
        using var staleDelete = new HttpRequestMessage(HttpMethod.Delete, "profiles/p1");
        staleDelete.Headers.TryAddWithoutValidation("If-Match", firstTag);
        await (await Server.Api.SendAsync(staleDelete)).Expect(HttpStatusCode.PreconditionFailed);

        var now = await (await Server.Api.GetAsync("profiles/p1")).JsonAsync();
        Assert.Equal(2, now["params"]!["a"]!.GetValue<int>());
    }

    [SkippableFact]
    public async Task Invalid_input_gets_a_400_problem_naming_each_bad_field()
    {
        var response = await Server.Api.PostJsonAsync("subnets", """{"name":"bad name","cidr":"10.1.0.0/24","activeStart":"10.2.0.1","activeEnd":"nope","leaseTime":5}""");
        await response.Expect(HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var errors = (await response.JsonAsync())["errors"]!.AsObject();
        Assert.Contains("name", errors.Select(e => e.Key));
        Assert.Contains("activeStart", errors.Select(e => e.Key));
        Assert.Contains("activeEnd", errors.Select(e => e.Key));
        Assert.Contains("leaseTime", errors.Select(e => e.Key));

        var badMac = await Server.Api.PostJsonAsync("machines", """{"name":"m1","hardwareAddrs":["zz:zz"]}""");
        await badMac.Expect(HttpStatusCode.BadRequest);
        Assert.Contains("hardwareAddrs[0]", (await badMac.JsonAsync())["errors"]!.AsObject().Select(e => e.Key));

        var wrongType = await Server.Api.PostJsonAsync("subnets", """{"name":"s","cidr":"10.1.0.0/24","leaseTime":"long"}""");
        await wrongType.Expect(HttpStatusCode.BadRequest);
        Assert.Contains("leaseTime", (await wrongType.JsonAsync())["errors"]!.AsObject().Select(e => e.Key));

        var unknownField = await Server.Api.PostJsonAsync("profiles", """{"name":"p","parms":{}}""");
        await unknownField.Expect(HttpStatusCode.BadRequest);
        Assert.Contains("parms", (await unknownField.Content.ReadAsStringAsync()));

        Assert.Empty(await (await Server.Api.GetAsync("subnets")).JsonAsync() as JsonArray ?? []);
    }

    [SkippableFact]
    public async Task Unknown_keys_get_404_problems()
    {
        foreach (var path in new[] { "machines/nope", "profiles/nope", "subnets/nope", "leases/10.9.9.9", "bootenvs/nope" })
        {
            var response = await Server.Api.GetAsync(path);
            await response.Expect(HttpStatusCode.NotFound);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }
        await (await Server.Api.PutJsonAsync("profiles/nope", """{"name":"nope"}""")).Expect(HttpStatusCode.NotFound);
        await (await Server.Api.DeleteAsync("profiles/nope")).Expect(HttpStatusCode.NotFound);
    }

    [SkippableFact]
    public async Task A_MAC_address_belongs_to_one_machine_only()
    {
        await (await Server.Api.PostJsonAsync("machines", MachineJson)).Expect(HttpStatusCode.Created);
        var clash = await Server.Api.PostJsonAsync("machines", """{"name":"m-43","hardwareAddrs":["52-54-00-aa-bb-01"]}""");
        await clash.Expect(HttpStatusCode.Conflict);
        Assert.Single((await (await Server.Api.GetAsync("machines")).JsonAsync()).AsArray());
    }

    [SkippableFact]
    public async Task JSON_Patch_changes_only_what_it_names_and_bumps_the_revision()
    {
        var created = await (await Server.Api.PostJsonAsync("machines", MachineJson)).Expect(HttpStatusCode.Created);
        var tag = created.Headers.ETag!.Tag;
        var patched = await (await Server.Api.PatchJsonAsync("machines/m-42",
            """[{"op":"add","path":"/params/disk","value":"/dev/sda"},{"op":"replace","path":"/name","value":"m-42b"},{"op":"test","path":"/arch","value":"amd64"}]""", tag))
            .Expect(HttpStatusCode.OK);
        var body = await patched.JsonAsync();
        Assert.Equal("m-42b", body["name"]!.GetValue<string>());
        Assert.Equal("/dev/sda", body["params"]!["disk"]!.GetValue<string>());
        Assert.Equal("10.0.0.1", body["params"]!["ntp"]!.GetValue<string>());
        Assert.NotEqual(tag, patched.Headers.ETag!.Tag);

        var failedTest = await Server.Api.PatchJsonAsync("machines/m-42b", """[{"op":"test","path":"/arch","value":"arm64"},{"op":"replace","path":"/name","value":"x"}]""");
        await failedTest.Expect(HttpStatusCode.BadRequest);
        await (await Server.Api.GetAsync("machines/m-42b")).Expect(HttpStatusCode.OK);
    }

    [SkippableFact]
    public async Task Lists_filter_sort_and_page()
    {
        foreach (var (name, arch, last) in new[] { ("c", "amd64", 12), ("a", "arm64", 10), ("b", "amd64", 11), ("d", "amd64", 13) })
        {
            await (await Server.Api.PostJsonAsync("machines", $$"""{"name":"{{name}}","arch":"{{arch}}","hardwareAddrs":["52:54:00:00:07:{{last}}"]}""")).Expect(HttpStatusCode.Created);
        }
        // Field names are read case-insensitively; an array field matches when one element does.
        var byMac = (await (await Server.Api.GetAsync("machines?HardwareAddrs=52:54:00:00:07:11&ARCH=amd64")).JsonAsync()).AsArray();
        Assert.Equal(["b"], byMac.Select(m => m!["name"]!.GetValue<string>()));
        var page = (await (await Server.Api.GetAsync("machines?arch=amd64&sort=name&limit=2&offset=1")).JsonAsync()).AsArray();
        Assert.Equal(["c", "d"], page.Select(m => m!["name"]!.GetValue<string>()));
        var descending = (await (await Server.Api.GetAsync("machines?sort=-name")).JsonAsync()).AsArray();
        Assert.Equal(["d", "c", "b", "a"], descending.Select(m => m!["name"]!.GetValue<string>()));
        await (await Server.Api.GetAsync("machines?limit=0")).Expect(HttpStatusCode.BadRequest);
    }

    [SkippableFact]
    public async Task Every_write_is_an_event()
    {
        await (await Server.Api.PostJsonAsync("profiles", """{"name":"p1"}""")).Expect(HttpStatusCode.Created);
        await (await Server.Api.PutJsonAsync("profiles/p1", """{"name":"p1","params":{"x":true}}""")).Expect(HttpStatusCode.OK);
        await (await Server.Api.DeleteAsync("profiles/p1")).Expect(HttpStatusCode.OK);
        var events = (await (await Server.Api.GetAsync("events?key=p1")).JsonAsync()).AsArray();
        Assert.Equal(["profile.created", "profile.updated", "profile.deleted"], events.Select(e => e!["kind"]!.GetValue<string>()));
    }

    [SkippableFact]
    public async Task Content_exported_as_YAML_imports_back_into_an_empty_server()
    {
        await (await Server.Api.PostJsonAsync("templates", """{"name":"t1","contents":"line one\nline {{ machine.name }}\n"}""")).Expect(HttpStatusCode.Created);
        await (await Server.Api.PostJsonAsync("profiles", """{"name":"global","params":{"ntp":["10.0.0.1","10.0.0.2"],"port":"8080"}}""")).Expect(HttpStatusCode.Created);
        using var export = new HttpRequestMessage(HttpMethod.Get, "content");
        export.Headers.Accept.ParseAdd("application/yaml");
        var yaml = await (await (await Server.Api.SendAsync(export)).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        Assert.Contains("profiles:", yaml);

        await using var other = await TestServer.StartAsync();
        using var body = new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml");
        var import = await other.Api.PostAsync("content", body);
        await import.Expect(HttpStatusCode.OK);
        var template = await (await other.Api.GetAsync("templates/t1")).JsonAsync();
        Assert.Equal("line one\nline {{ machine.name }}\n", template["contents"]!.GetValue<string>());
        var global = await (await other.Api.GetAsync("profiles/global")).JsonAsync();
        Assert.Equal("8080", global["params"]!["port"]!.GetValue<string>());
        Assert.Equal(2, global["params"]!["ntp"]!.AsArray().Count);
    }

    [SkippableFact]
    public async Task Health_readiness_and_the_OpenAPI_document_are_served()
    {
        await (await Server.Api.GetAsync("/healthz")).Expect(HttpStatusCode.OK);
        await (await Server.Api.GetAsync("/readyz")).Expect(HttpStatusCode.OK);
        var openapi = await (await (await Server.Api.GetAsync("openapi.json")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.NotNull(openapi["paths"]!["/api/v1/machines/"] ?? openapi["paths"]!["/api/v1/machines"]);
    }

    [SkippableFact]
    public async Task The_API_is_not_reachable_through_the_boot_port()
    {
        await (await Server.Boot.GetAsync("api/v1/machines")).Expect(HttpStatusCode.NotFound);
    }

    [SkippableFact]
    public async Task A_secure_params_default_is_stored_sealed_and_shown_in_clear_only_to_admins()
    {
        const string Secret = "stored-default-s3cret-0c4f";
        await (await Server.Api.PostJsonAsync("params", $$$"""{"name":"root/password","secure":true,"schema":{"type":"string","default":"{{{Secret}}}"}}""")).Expect(HttpStatusCode.Created);

        // The row as the store holds it (read from the database, not the server's cache).
        var row = await Server.Service<RebarProvision.Store.IStore>().Objects.GetAsync(Model.ObjectKind.Params, "root/password");
        var stored = System.Text.Json.JsonSerializer.Serialize(row, row!.GetType(), Model.ModelJson.Options);
        Assert.DoesNotContain(Secret, stored);
        Assert.Contains("$secure", stored);

        var token = await AuthClients.MintAsync(Server.Api, """{"role":"readonly"}""");
        using var reader = AuthClients.Bearer(Server, token);
        var asReader = await (await (await reader.GetAsync("params/root/password")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal("********", asReader["schema"]!["default"]!.GetValue<string>());
        var asAdmin = await (await (await Server.Api.GetAsync("params/root/password")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal(Secret, asAdmin["schema"]!["default"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task A_machine_token_survives_a_restart_but_not_a_reimage_by_a_bootenv_change_and_one_minted_after_works()
    {
        await SimulatedFleet.CreateLocalBootEnvAsync(Server.Api);
        await SimulatedFleet.CreateAsync(Server.Api, 1);
        await (await Server.Api.PostJsonAsync("bootenvs", """{"name":"installer-b","kernel":"vmlinuz-b"}""")).Expect(HttpStatusCode.Created);
        var before = await AuthClients.MintAsync(Server.Api, """{"role":"machine","machine":"m1"}""");
        await Server.StartAgainAsync();
        await (await AsMachineAsync(before, "m1")).Expect(HttpStatusCode.OK);

        await (await Server.Api.PatchJsonAsync("machines/m1", """[{"op":"replace","path":"/bootEnv","value":"installer-b"}]""")).Expect(HttpStatusCode.OK);

        await ExpectReimagedRefusalAsync(before, "m1");
        var after = await AuthClients.MintAsync(Server.Api, """{"role":"machine","machine":"m1"}""");
        var script = await (await AsMachineAsync(after, "m1")).Expect(HttpStatusCode.OK);
        Assert.Contains("vmlinuz-b", await script.Content.ReadAsStringAsync());
    }

    [SkippableFact]
    public async Task A_machine_token_is_refused_once_a_rollout_reimages_its_machine_while_a_token_for_a_machine_left_out_still_works()
    {
        await SimulatedFleet.CreateLocalBootEnvAsync(Server.Api);
        await SimulatedFleet.CreateAsync(Server.Api, 2);
        var m1Token = await AuthClients.MintAsync(Server.Api, """{"role":"machine","machine":"m1"}""");
        var m2Token = await AuthClients.MintAsync(Server.Api, """{"role":"machine","machine":"m2"}""");
        await (await AsMachineAsync(m1Token, "m1")).Expect(HttpStatusCode.OK);

        await (await Server.Api.PostJsonAsync("machines/reimage", """{"selector":{"names":["m1"]},"bootEnv":"installer"}""")).Expect(HttpStatusCode.Created);
        // The rollout driver reimages in the background: wait until m1 is put into provisioning.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await (await Server.Api.GetAsync("machines/m1")).JsonAsync())["state"]!.GetValue<string>() != "provisioning")
        {
            Assert.True(DateTime.UtcNow < deadline, "the rollout did not put m1 into provisioning within 30 s");
            await Task.Delay(100);
        }

        await ExpectReimagedRefusalAsync(m1Token, "m1");
        await (await AsMachineAsync(m2Token, "m2")).Expect(HttpStatusCode.OK);
        var after = await AuthClients.MintAsync(Server.Api, """{"role":"machine","machine":"m1"}""");
        await (await AsMachineAsync(after, "m1")).Expect(HttpStatusCode.OK);
    }

    [SkippableFact]
    public async Task A_machine_token_is_refused_once_the_machines_boot_secret_is_rotated()
    {
        await SimulatedFleet.CreateLocalBootEnvAsync(Server.Api);
        await SimulatedFleet.CreateAsync(Server.Api, 1);
        var before = await AuthClients.MintAsync(Server.Api, """{"role":"machine","machine":"m1"}""");
        await (await AsMachineAsync(before, "m1")).Expect(HttpStatusCode.OK);

        await (await Server.Api.PostJsonAsync("machines/m1/rotate-secret", "{}")).Expect(HttpStatusCode.OK);

        await ExpectReimagedRefusalAsync(before, "m1");
        using var machine = AuthClients.Bearer(Server, before);
        await (await machine.PostJsonAsync("machines/m1/callback", """{"status":"failed","message":"from the old OS"}""")).Expect(HttpStatusCode.Unauthorized);
        Assert.Equal("installed", (await (await Server.Api.GetAsync("machines/m1")).JsonAsync())["state"]!.GetValue<string>());
        var after = await AuthClients.MintAsync(Server.Api, """{"role":"machine","machine":"m1"}""");
        await (await AsMachineAsync(after, "m1")).Expect(HttpStatusCode.OK);
    }

    [SkippableFact]
    public async Task A_machine_token_dies_with_its_machine_and_stays_dead_when_the_same_uuid_is_created_again()
    {
        await SimulatedFleet.CreateLocalBootEnvAsync(Server.Api);
        var fleet = await SimulatedFleet.CreateAsync(Server.Api, 1);
        var uuid = fleet.Uuids["m1"];
        var token = await AuthClients.MintAsync(Server.Api, """{"role":"machine","machine":"m1"}""");
        await (await AsMachineAsync(token, "m1")).Expect(HttpStatusCode.OK);

        await (await Server.Api.DeleteAsync("machines/m1")).Expect(HttpStatusCode.OK);
        var gone = await (await AsMachineAsync(token, "m1")).Expect(HttpStatusCode.Unauthorized);
        Assert.Contains("no longer exists", (await gone.JsonAsync())["detail"]!.GetValue<string>());

        // The same hardware found again: a new machine with the old uuid is a new install, not the token's.
        await (await Server.Api.PostJsonAsync("machines", $$"""{"uuid":"{{uuid}}","name":"m1","bootEnv":"installer"}""")).Expect(HttpStatusCode.Created);
        await ExpectReimagedRefusalAsync(token, "m1");
    }

    private Task<HttpResponseMessage> AsMachineAsync(string token, string machine) => AuthClients.AsMachineAsync(Server.Api.BaseAddress!, token, machine);

    private async Task ExpectReimagedRefusalAsync(string token, string machine)
    {
        var refused = await (await AsMachineAsync(token, machine)).Expect(HttpStatusCode.Unauthorized);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var detail = (await refused.JsonAsync())["detail"]!.GetValue<string>();
        Assert.Contains($"earlier install of machine {machine}", detail);
        Assert.Contains("mint a new one", detail);
    }
}
