namespace RebarProvision.Cli.Settings;

/// <summary>
/// What the CLI reads from its surroundings besides its arguments: environment variables, the config file and
/// stdin. Tests pass their own so they never see the developer's settings.
/// </summary>
public sealed record CliEnvironment(Func<string, string?> Variable, string ConfigPath, TextReader Stdin)
{
    public static CliEnvironment Process() => new(Environment.GetEnvironmentVariable, DefaultConfigPath(), Console.In);

    /// <summary>$XDG_CONFIG_HOME/rebarctl/config.yaml, which is ~/.config/rebarctl/config.yaml unless set otherwise.</summary>
    public static string DefaultConfigPath()
    {
        var configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(configHome))
        {
            configHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        }
        return Path.Combine(configHome, "rebarctl", "config.yaml");
    }
}
