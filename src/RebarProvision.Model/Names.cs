using System.Text.RegularExpressions;

namespace RebarProvision.Model;

/// <summary>Object names: they appear in URLs, file paths and templates, so they stay plain.</summary>
public static partial class Names
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex NamePattern();

    public static bool IsValid(string? name) => name is not null && NamePattern().IsMatch(name);

    public static IEnumerable<FieldError> Check(string field, string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            yield return new FieldError(field, "is required");
        }
        else if (!IsValid(name))
        {
            yield return new FieldError(field, "must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }
}
