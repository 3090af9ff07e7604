namespace RebarProvision.Cli.Settings;

/// <summary>Where the server is and how we prove who we are, resolved from flags, then environment, then the config file.</summary>
public sealed record ConnectionSettings(Uri Endpoint, string? Token, string? User, string? Password, bool Insecure)
{
    public const string DefaultEndpoint = "https://127.0.0.1:8092";

    public static ConnectionSettings Resolve(string? endpointFlag, string? tokenFlag, string? userFlag, string? passwordFlag, bool insecureFlag, CliEnvironment environment)
    {
        var file = ConfigFile.Load(environment.ConfigPath);
        var endpoint = First(endpointFlag, environment.Variable("REBAR_ENDPOINT"), file.Endpoint) ?? DefaultEndpoint;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw CommandFailedException.Usage($"endpoint '{endpoint}' is not an http(s) URL");
        }
        var insecure = insecureFlag
            || environment.Variable("REBAR_INSECURE") is "1" or "true"
            || file.Insecure == true;
        var user = First(userFlag, environment.Variable("REBAR_USER"), file.User);
        var password = First(passwordFlag, environment.Variable("REBAR_PASSWORD"), file.Password);
        if (user is not null && password is null)
        {
            throw CommandFailedException.Usage($"user '{user}' has no password; pass --password or set REBAR_PASSWORD");
        }
        return new ConnectionSettings(uri, First(tokenFlag, environment.Variable("REBAR_TOKEN"), file.Token), user, password, insecure);
    }

    private static string? First(params string?[] candidates) => candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c));
}
