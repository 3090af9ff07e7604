using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace RebarProvision.Server.Configuration;

/// <summary>
/// Builds <see cref="ServerOptions"/> from the YAML file, REBAR_* variables and flags, in that order of precedence
/// (later wins), and fails with the offending setting's name when something is wrong.
/// </summary>
public static class ServerConfiguration
{
    public static ServerOptions Load(string[] args, IDictionary<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);

        var fromFlags = ParseFlags(args);
        var fromEnvironment = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in Settings.All)
        {
            if (environment.TryGetValue(setting.Environment, out var value) && value is not null)
            {
                fromEnvironment[setting.Key] = value;
            }
        }

        var configFile = fromFlags.GetValueOrDefault("config") ?? fromEnvironment.GetValueOrDefault("config");
        var fromFile = configFile is null ? new Dictionary<string, string?>() : ReadYaml(configFile);

        var merged = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var source in new[] { fromFile, fromEnvironment, fromFlags })
        {
            foreach (var (key, value) in source)
            {
                if (key.StartsWith(nameof(ServerOptions.DhcpInterfaces), StringComparison.OrdinalIgnoreCase))
                {
                    // A list replaces, never merges with, the one from an earlier source.
                    foreach (var stale in merged.Keys.Where(k => k.StartsWith(nameof(ServerOptions.DhcpInterfaces), StringComparison.OrdinalIgnoreCase)).ToList())
                    {
                        merged.Remove(stale);
                    }
                }
                merged[key] = value;
            }
        }
        ExpandList(merged, nameof(ServerOptions.DhcpInterfaces));

        var options = new ServerOptions();
        try
        {
            new ConfigurationBuilder().AddInMemoryCollection(merged).Build().Bind(options, o => o.ErrorOnUnknownConfiguration = false);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException($"configuration: {e.Message}", e);
        }
        ApplyDefaults(options);
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new ConfigurationException("configuration: " + string.Join("; ", errors));
        }
        return options;
    }

    private static void ApplyDefaults(ServerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DataDir))
        {
            options.DataDir = Environment.UserName == "root" ? "/var/lib/rebar-provision" : Path.GetFullPath("data");
        }
        options.DataDir = Path.GetFullPath(options.DataDir);
        if (string.IsNullOrWhiteSpace(options.Node))
        {
            options.Node = Environment.MachineName;
        }
        options.DhcpInterfaces = options.DhcpInterfaces.Select(i => i.Trim()).Where(i => i.Length > 0).ToList();
    }

    /// <summary>"--flag value" and "--flag=value"; a switch such as --api-tls may stand alone for true.</summary>
    private static Dictionary<string, string?> ParseFlags(string[] args)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var flag = eq > 0 ? arg[..eq] : arg;
            var setting = Settings.FindFlag(flag)
                ?? throw new ConfigurationException($"unknown flag '{flag}'; known flags: {string.Join(", ", Settings.All.Select(s => s.Flag))}");
            string? value;
            if (eq > 0)
            {
                value = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else if (setting.Key == nameof(ServerOptions.ApiTls))
            {
                value = "true";
            }
            else
            {
                throw new ConfigurationException($"flag {flag} needs a value");
            }
            values[setting.Key] = value;
        }
        return values;
    }

    private static void ExpandList(Dictionary<string, string?> values, string key)
    {
        if (values.TryGetValue(key, out var list))
        {
            values.Remove(key);
            var items = (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (var i = 0; i < items.Length; i++)
            {
                values[$"{key}:{i}"] = items[i];
            }
        }
    }

    /// <summary>Flattens a YAML mapping into configuration keys (nested keys joined by ':', lists indexed).</summary>
    private static Dictionary<string, string?> ReadYaml(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigurationException($"config: file '{path}' does not exist");
        }
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ConfigurationException($"config: {path} line {e.Start.Line}: {e.Message}", e);
        }
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (stream.Documents.Count > 0)
        {
            Flatten(stream.Documents[0].RootNode, "", values);
        }
        foreach (var key in values.Keys.Where(k => Settings.All.All(s => !k.Split(':')[0].Equals(s.Key, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            throw new ConfigurationException($"config: {path}: unknown key '{key}'");
        }
        return values;
    }

    private static void Flatten(YamlNode node, string prefix, Dictionary<string, string?> values)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, child) in mapping.Children)
                {
                    var name = ((YamlScalarNode)key).Value ?? "";
                    Flatten(child, prefix.Length == 0 ? name : $"{prefix}:{name}", values);
                }
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Flatten(sequence.Children[i], $"{prefix}:{i}", values);
                }
                break;
            case YamlScalarNode scalar:
                values[prefix] = scalar.Value;
                break;
        }
    }
}
