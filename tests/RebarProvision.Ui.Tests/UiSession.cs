using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using RebarProvision.Server.Tests;
using RebarProvision.Testing;

namespace RebarProvision.Ui.Tests;

/// <summary>
/// The real server in process with the shipped content, and Debian's chromium driven by Playwright (its node driver
/// comes with the NuGet package; no browser is downloaded). One per test class; each test opens its own page.
/// </summary>
public sealed class UiSession : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public TestServer Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string BaseUrl => $"http://127.0.0.1:{Server.Options.ApiPort}/";

    public async Task InitializeAsync()
    {
        Prerequisite.Require(File.Exists(ChromiumPath), "needs Debian's chromium at /usr/bin/chromium (tests/run.sh installs it)");
        Server = await TestServer.StartAsync(o => o.Content = TestServer.ShippedContent());
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // As root (we run as root in CI) chromium refuses its sandbox; the pages are our own on loopback.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A new browser context logged in through the login form as <paramref name="user"/>.</summary>
    public async Task<IPage> LogInAsync(string user = "admin", string password = TestServer.AdminPassword)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync("(");
        return page;
    }

    public async Task<JsonObject> CreateMachineAsync(string name, string mac, string? bootEnv = null)
    {
        var body = new JsonObject { ["name"] = name, ["hardwareAddrs"] = new JsonArray(mac), ["bootEnv"] = bootEnv };
        var response = await Server.Api.PostAsJsonAsync("machines", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task CreateUserAsync(string name, string role, string password)
    {
        var response = await Server.Api.PostAsJsonAsync("users", new JsonObject { ["name"] = name, ["role"] = role, ["password"] = password });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
