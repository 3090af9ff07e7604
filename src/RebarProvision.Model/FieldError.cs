namespace RebarProvision.Model;

/// <summary>One invalid field: its JSON path (camelCase, as the API names it) and what is wrong with it.</summary>
public sealed record FieldError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}
