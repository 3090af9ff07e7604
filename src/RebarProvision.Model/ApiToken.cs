namespace RebarProvision.Model;

/// <summary>An API bearer token. Only a hash of the secret is stored; the secret is shown once, at creation.</summary>
public sealed class ApiToken : StoredObject
{
    protected override string KeyValue => Id;

    public string Id { get; set; } = "";

    public string? User { get; set; }

    public Role Role { get; set; } = Role.Readonly;

    /// <summary>For <see cref="Role.Machine"/> tokens: the machine uuid the token is bound to.</summary>
    public string? Machine { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public string? SecretHash { get; set; }

    /// <summary>
    /// A digest of the user's password hash when the token was made: a token dies when its user's password changes,
    /// as a stolen token must not outlive the password reset that answers the theft.
    /// </summary>
    public string? PasswordStamp { get; set; }

    /// <summary>
    /// For <see cref="Role.Machine"/> tokens: a digest of the machine's boot secret when the token was made. A reimage
    /// or an explicit rotation gives the machine a new secret, and the token dies with the OS it was handed to.
    /// </summary>
    public string? MachineStamp { get; set; }

    public override IEnumerable<FieldError> Validate()
    {
        foreach (var error in Names.Check("id", Id))
        {
            yield return error;
        }
        if (Role == Role.Machine && string.IsNullOrEmpty(Machine))
        {
            yield return new FieldError("machine", "is required for a machine token");
        }
    }
}
