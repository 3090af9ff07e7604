using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace RebarProvision.Ui.Tests;

/// <summary>The web UI in Debian's chromium against the real server: what an operator sees and may press.</summary>
public sealed class WebUiTests : IClassFixture<UiSession>
{
    private readonly UiSession _ui;

    public WebUiTests(UiSession ui) => _ui = ui;

    [SkippableFact]
    public async Task Logging_in_shows_the_user_and_the_machines_table()
    {
        var page = await _ui.LogInAsync();

        await Expect(page.Locator("#who")).ToHaveTextAsync("admin (admin)");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Machines" })).ToBeVisibleAsync();
        await Expect(page.Locator("table#machines")).ToBeVisibleAsync();
    }

    [SkippableFact]
    public async Task A_wrong_password_is_refused_on_the_login_form()
    {
        var context = await _ui.Browser.NewContextAsync(new() { BaseURL = _ui.BaseUrl });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByLabel("User name").FillAsync("admin");
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong user name or password.");
        await Expect(page.Locator("#nav")).ToBeHiddenAsync();
    }

    [SkippableFact]
    public async Task A_machine_created_through_the_API_appears_in_the_table_without_a_reload()
    {
        var page = await _ui.LogInAsync();
        await Expect(page.Locator(".live")).ToBeVisibleAsync();
        // Marks this document: a reload would make a new one without the mark.
        await page.EvaluateAsync("window.__sameDocument = true");

        await _ui.CreateMachineAsync("live-1", "52:54:00:aa:00:01", "local");

        var row = page.Locator("tr[data-machine='live-1']");
        await Expect(row).ToBeVisibleAsync();
        await Expect(row).ToContainTextAsync("local");
        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"));
    }

    [SkippableFact]
    public async Task The_machines_table_filters_by_what_the_operator_types()
    {
        await _ui.CreateMachineAsync("filter-alpha", "52:54:00:aa:00:11", "local");
        await _ui.CreateMachineAsync("filter-beta", "52:54:00:aa:00:12", "local");
        var page = await _ui.LogInAsync();
        await Expect(page.Locator("tr[data-machine='filter-beta']")).ToBeVisibleAsync();

        await page.GetByLabel("Filter").FillAsync("alpha");

        await Expect(page.Locator("tr[data-machine='filter-alpha']")).ToBeVisibleAsync();
        await Expect(page.Locator("tr[data-machine='filter-beta']")).ToHaveCountAsync(0);
    }

    [SkippableFact]
    public async Task A_reimage_started_from_the_UI_shows_the_machine_going_to_provisioning()
    {
        var machine = await _ui.CreateMachineAsync("reimage-1", "52:54:00:aa:00:02", "local");
        var page = await _ui.LogInAsync();
        await page.GotoAsync($"/#/machines/{machine["uuid"]}");
        await Expect(page.Locator("#machine-state")).ToHaveTextAsync("discovered");
        await Expect(page.Locator(".live")).ToBeVisibleAsync();

        await page.GetByLabel("Boot environment").SelectOptionAsync("debian-netboot");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reimage" }).ClickAsync();

        await Expect(page.Locator("#machine-state")).ToHaveTextAsync("provisioning");
        await Expect(page.Locator("#reimage-progress")).ToContainTextAsync("provisioning");
        var stored = await _ui.Server.Api.GetFromJsonAsync<JsonObject>($"machines/{machine["uuid"]}");
        Assert.Equal("debian-netboot", stored!["bootEnv"]!.GetValue<string>());
        Assert.Equal("provisioning", stored["state"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task A_readonly_user_sees_no_action_buttons_and_no_secret_values()
    {
        await _ui.CreateUserAsync("viewer", "readonly", "viewer-password");
        var secret = await _ui.Server.Api.PostAsJsonAsync("params", new JsonObject { ["name"] = "ui-test/secret", ["secure"] = true });
        Assert.True(secret.IsSuccessStatusCode, await secret.Content.ReadAsStringAsync());
        var machine = await _ui.CreateMachineAsync("readonly-1", "52:54:00:aa:00:03", "local");
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"machines/{machine["uuid"]}")
        {
            Content = new StringContent("""[{"op":"add","path":"/params/ui-test~1secret","value":"hunter2-plain"}]""", System.Text.Encoding.UTF8, "application/json-patch+json"),
        };
        Assert.True((await _ui.Server.Api.SendAsync(patch)).IsSuccessStatusCode);

        var page = await _ui.LogInAsync("viewer", "viewer-password");
        await Expect(page.Locator("#who")).ToContainTextAsync("(readonly)");
        await page.GotoAsync($"/#/machines/{machine["uuid"]}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Params" })).ToBeVisibleAsync();

        await Expect(page.GetByText("secret (masked)")).ToBeVisibleAsync();
        Assert.DoesNotContain("hunter2-plain", await page.ContentAsync());
        foreach (var action in new[] { "Reimage", "Power cycle", "Delete", "Set boot environment" })
        {
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = action })).ToHaveCountAsync(0);
        }
    }

    [SkippableFact]
    public async Task A_template_with_an_error_shows_its_line_and_column()
    {
        var created = await _ui.Server.Api.PostAsJsonAsync("templates", new JsonObject { ["name"] = "ui-broken", ["contents"] = "hello\n" });
        Assert.True(created.IsSuccessStatusCode);
        var page = await _ui.LogInAsync();
        await page.GotoAsync("/#/templates/ui-broken");

        await page.GetByLabel("Contents").FillAsync("line one\nline two\nthree {{ if }}\n");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(page.Locator("#template-errors")).ToContainTextAsync("line 3, column");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "go to line 3" })).ToBeVisibleAsync();
        var stored = await _ui.Server.Api.GetFromJsonAsync<JsonObject>("templates/ui-broken");
        Assert.False(stored!["validated"]!.GetValue<bool>());
    }

    [SkippableFact]
    public async Task A_machine_that_cannot_boot_says_which_file_is_missing_on_which_node()
    {
        var bootenv = await _ui.Server.Api.PostAsJsonAsync("bootenvs", new JsonObject { ["name"] = "ui-missing", ["kernel"] = "vmlinuz-absent" });
        Assert.True(bootenv.IsSuccessStatusCode, await bootenv.Content.ReadAsStringAsync());
        var machine = await _ui.CreateMachineAsync("stuck-1", "52:54:00:aa:00:04", "ui-missing");
        var page = await _ui.LogInAsync();

        await page.GotoAsync($"/#/machines/{machine["uuid"]}");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Why it cannot boot" })).ToBeVisibleAsync();
        await Expect(page.Locator("#machine-errors")).ToContainTextAsync("missing kernel vmlinuz-absent on node test-node");
    }
}
