namespace RebarProvision.Model;

/// <summary>A named Scriban template, referenced by bootenvs and included by other templates.</summary>
public sealed class Template : StoredObject
{
    protected override string KeyValue => Name;

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public string Contents { get; set; } = "";

    public override IEnumerable<FieldError> Validate() => Names.Check("name", Name);
}
