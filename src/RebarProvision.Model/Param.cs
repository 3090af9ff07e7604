namespace RebarProvision.Model;

/// <summary>A declared param: its schema (type, default, enum, pattern) and whether it is secret.</summary>
public sealed class Param : StoredObject
{
    protected override string KeyValue => Name;

    /// <summary>Param names may contain '/' to group them, e.g. <c>power/password</c>.</summary>
    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public ParamSchema Schema { get; set; } = new();

    /// <summary>Stored encrypted; shown only to callers allowed to read secrets.</summary>
    public bool Secure { get; set; }

    public override IEnumerable<FieldError> Validate()
    {
        if (string.IsNullOrEmpty(Name))
        {
            yield return new FieldError("name", "is required");
        }
        else if (!Name.Split('/').All(Names.IsValid))
        {
            yield return new FieldError("name", "must be names of letters, digits, '.', '_' or '-' separated by '/'");
        }
        foreach (var error in Schema.ValidateSchema("schema"))
        {
            yield return error;
        }
    }
}
