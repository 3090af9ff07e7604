using System.Text.Json.Nodes;

namespace RebarProvision.Model;

/// <summary>
/// Resolves a machine's params: the machine's own params, then its profiles in order, then the <c>global</c>
/// profile, then each param's schema default. The first source that has the name wins.
/// </summary>
public static class ParamResolver
{
    /// <param name="machine">The machine being resolved.</param>
    /// <param name="findProfile">Looks a profile up by name; missing profiles are skipped.</param>
    /// <param name="declaredParams">Declared params, for their schema defaults.</param>
    public static Dictionary<string, JsonNode?> Resolve(
        Machine machine,
        Func<string, Profile?> findProfile,
        IEnumerable<Param> declaredParams)
    {
        var resolved = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        AddMissing(resolved, machine.Params);
        foreach (var name in machine.Profiles)
        {
            if (name != Profile.GlobalName && findProfile(name) is { } profile)
            {
                AddMissing(resolved, profile.Params);
            }
        }
        if (findProfile(Profile.GlobalName) is { } global)
        {
            AddMissing(resolved, global.Params);
        }
        foreach (var param in declaredParams)
        {
            if (param.Schema.Default is { } fallback)
            {
                resolved.TryAdd(param.Name, fallback.DeepClone());
            }
        }
        return resolved;
    }

    private static void AddMissing(Dictionary<string, JsonNode?> resolved, Dictionary<string, JsonNode?> source)
    {
        foreach (var (name, value) in source)
        {
            resolved.TryAdd(name, value?.DeepClone());
        }
    }
}
