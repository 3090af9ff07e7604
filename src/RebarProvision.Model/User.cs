namespace RebarProvision.Model;

/// <summary>A local user. The password is only ever stored as a slow-KDF hash.</summary>
public sealed class User : StoredObject
{
    protected override string KeyValue => Name;

    public string Name { get; set; } = "";

    public Role Role { get; set; } = Role.Readonly;

    public string? PasswordHash { get; set; }

    public override IEnumerable<FieldError> Validate()
    {
        foreach (var error in Names.Check("name", Name))
        {
            yield return error;
        }
        if (Role == Role.Machine)
        {
            yield return new FieldError("role", "a user cannot have the machine role");
        }
    }
}
