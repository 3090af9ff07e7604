namespace RebarProvision.Model;

/// <summary>
/// The kinds of stored object, named as the API path segment (<c>/api/v1/{name}</c>) and the store's kind column.
/// </summary>
public sealed record ObjectKind(string Name, Type ClrType)
{
    public static readonly ObjectKind Machines = new("machines", typeof(Machine));
    public static readonly ObjectKind Profiles = new("profiles", typeof(Profile));
    public static readonly ObjectKind Params = new("params", typeof(Param));
    public static readonly ObjectKind BootEnvs = new("bootenvs", typeof(BootEnv));
    public static readonly ObjectKind Templates = new("templates", typeof(Template));
    public static readonly ObjectKind Subnets = new("subnets", typeof(Subnet));
    public static readonly ObjectKind Reservations = new("reservations", typeof(Reservation));
    public static readonly ObjectKind Images = new("images", typeof(Image));
    public static readonly ObjectKind Users = new("users", typeof(User));
    public static readonly ObjectKind Tokens = new("tokens", typeof(ApiToken));
    public static readonly ObjectKind Rollouts = new("rollouts", typeof(Rollout));

    /// <summary>Kinds kept as JSON documents. Leases and events have tables of their own.</summary>
    public static IReadOnlyList<ObjectKind> Documents { get; } =
        [Machines, Profiles, Params, BootEnvs, Templates, Subnets, Reservations, Images, Users, Tokens, Rollouts];

    public static ObjectKind? Find(string name) =>
        Documents.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase));

    public static ObjectKind Of<T>() where T : StoredObject =>
        Documents.First(k => k.ClrType == typeof(T));

    public override string ToString() => Name;
}
