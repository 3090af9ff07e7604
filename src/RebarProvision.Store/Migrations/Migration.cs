using System.Globalization;
using System.Reflection;

namespace RebarProvision.Store.Migrations;

/// <summary>
/// One numbered schema change, an SQL file embedded from <c>Migrations/{Store}/NNNN_name.sql</c>. Applied in version
/// order, each once, recorded in <c>schema_migrations</c>.
/// </summary>
internal sealed record Migration(int Version, string Name, string Sql)
{
    public static IReadOnlyList<Migration> For(string store)
    {
        var assembly = typeof(Migration).Assembly;
        var prefix = $"{assembly.GetName().Name}.Migrations.{store}.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Load(assembly, n, n[prefix.Length..^".sql".Length]))
            .OrderBy(m => m.Version)
            .ToList();
    }

    private static Migration Load(Assembly assembly, string resource, string name)
    {
        var underscore = name.IndexOf('_', StringComparison.Ordinal);
        var version = int.Parse(underscore < 0 ? name : name[..underscore], NumberStyles.None, CultureInfo.InvariantCulture);
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return new Migration(version, name, reader.ReadToEnd());
    }
}
