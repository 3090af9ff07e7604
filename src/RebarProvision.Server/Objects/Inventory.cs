using RebarProvision.Model;
using RebarProvision.Rendering;
using RebarProvision.Server.Api;
using RebarProvision.Server.Boot;
using RebarProvision.Server.Events;
using RebarProvision.Server.Machines;
using RebarProvision.Server.Secrets;
using RebarProvision.Store;

namespace RebarProvision.Server.Objects;

/// <summary>
/// The one write path for inventory objects, used by the API, content import, discovery and callbacks alike:
/// normalise, validate (refuse structural errors), check references (store the object but mark it invalid and
/// say why), write with the expected revision, and publish the change as an event.
/// </summary>
public sealed class Inventory
{
    private readonly IStore _store;
    private readonly EventBus _events;
    private readonly ObjectCache _cache;
    private readonly SecureParams _secrets;
    private readonly TimeProvider _time;
    private readonly BootSecrets _bootSecrets;
    private readonly TemplateSandbox _syntax;

    public Inventory(IStore store, EventBus events, ObjectCache cache, SecureParams secrets, BootSecrets bootSecrets, TimeProvider time)
    {
        _bootSecrets = bootSecrets;
        _store = store;
        _events = events;
        _cache = cache;
        _secrets = secrets;
        _time = time;
        _syntax = new TemplateSandbox(cache, issueToken: null, RenderLimits.Default);
    }

    public ObjectCache Cache => _cache;

    public IObjectStore Objects => _store.Objects;

    public async Task<StoredObject> CreateAsync(StoredObject value, string actor, CancellationToken cancellationToken = default)
    {
        await PrepareAsync(value, cancellationToken);
        if (value is Machine { State: MachineState.Discovered } machine && !MachineLifecycle.IsPassive(machine.BootEnv))
        {
            machine.State = MachineState.Provisioning;
        }
        if (value is Machine created)
        {
            TrackProvisioning(created, null);
            created.BootSecret = _bootSecrets.NewSealed(created.Uuid);
        }
        var stored = await _store.Objects.CreateAsync(value, cancellationToken);
        _cache.Apply(stored);
        await _events.PublishAsync(KindOf(stored), "created", stored, actor, cancellationToken);
        await SealExistingValuesAsync(stored, actor, cancellationToken);
        return stored;
    }

    public Task<StoredObject> UpdateAsync(StoredObject value, long? expectedRevision, string actor, CancellationToken cancellationToken = default) =>
        WriteAsync(value, expectedRevision, actor, rotateBootSecret: false, cancellationToken);

    /// <summary>Updates the machine with a new boot secret: the URLs and callback tokens it was handed stop working.</summary>
    public async Task<Machine> RotateBootSecretAsync(Machine machine, string actor, CancellationToken cancellationToken = default) =>
        (Machine)await WriteAsync(machine, machine.Revision, actor, rotateBootSecret: true, cancellationToken);

    private async Task<StoredObject> WriteAsync(StoredObject value, long? expectedRevision, string actor, bool rotateBootSecret, CancellationToken cancellationToken)
    {
        await PrepareAsync(value, cancellationToken);
        if (value is Machine machine && await _store.Objects.GetAsync(ObjectKind.Machines, machine.Key, cancellationToken) is Machine current)
        {
            // DESIGN §4: choosing a bootenv that installs something puts the machine into provisioning.
            if (machine.BootEnv != current.BootEnv && !MachineLifecycle.IsPassive(machine.BootEnv) && machine.State == current.State)
            {
                machine.State = MachineState.Provisioning;
            }
            TrackProvisioning(machine, current);
            machine.BootSecret = rotateBootSecret || Reimaged(machine, current) || current.BootSecret is null
                ? _bootSecrets.NewSealed(machine.Uuid)
                : current.BootSecret;
        }
        var stored = await _store.Objects.UpdateAsync(value, expectedRevision, cancellationToken);
        _cache.Apply(stored);
        await _events.PublishAsync(KindOf(stored), "updated", stored, actor, cancellationToken);
        await SealExistingValuesAsync(stored, actor, cancellationToken);
        return stored;
    }

    /// <summary>Creates the object, or replaces the one with its key (content import).</summary>
    public async Task<StoredObject> UpsertAsync(StoredObject value, string actor, CancellationToken cancellationToken = default)
    {
        var existing = await _store.Objects.GetAsync(KindOf(value), value.Key, cancellationToken);
        return existing is null
            ? await CreateAsync(value, actor, cancellationToken)
            : await UpdateAsync(value, null, actor, cancellationToken);
    }

    public async Task<StoredObject> DeleteAsync(ObjectKind kind, string key, long? expectedRevision, string actor, CancellationToken cancellationToken = default)
    {
        var deleted = await _store.Objects.DeleteAsync(kind, key, expectedRevision, cancellationToken);
        _cache.Remove(deleted);
        await _events.PublishAsync(kind, "deleted", deleted, actor, cancellationToken);
        return deleted;
    }

    /// <summary>
    /// Keeps <see cref="Machine.ProvisioningSince"/>: set on entering provisioning, kept while it stays (a caller
    /// that omits it does not restart the stuck-machine clock), cleared in every other state.
    /// </summary>
    private void TrackProvisioning(Machine machine, Machine? current)
    {
        if (machine.State != MachineState.Provisioning)
        {
            machine.ProvisioningSince = null;
        }
        else if (current?.State != MachineState.Provisioning)
        {
            machine.ProvisioningSince = _time.GetUtcNow();
        }
        else
        {
            machine.ProvisioningSince ??= current.ProvisioningSince ?? _time.GetUtcNow();
        }
    }

    /// <summary>A reimage (entering provisioning, or a reimage restarting it) hands the machine a new boot secret.</summary>
    private static bool Reimaged(Machine machine, Machine current) =>
        machine.State == MachineState.Provisioning && machine.ProvisioningSince != current.ProvisioningSince;

    public static ObjectKind KindOf(StoredObject value) =>
        ObjectKind.Documents.First(k => k.ClrType == value.GetType());

    private async Task PrepareAsync(StoredObject value, CancellationToken cancellationToken)
    {
        switch (value)
        {
            case Machine machine:
                machine.Normalize();
                break;
            case Reservation reservation:
                reservation.Normalize();
                break;
        }
        SealSecureParams(value);
        var errors = (value is Param param ? _secrets.WithDefaultOpened(param) : value).Validate().ToList();
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
        value.Errors = await CheckReferencesAsync(value, cancellationToken);
        value.Validated = value.Errors.Count == 0;
    }

    /// <summary>Values of params declared secure are stored sealed (<see cref="SecureParams"/>), in machines and profiles alike, and so are their defaults.</summary>
    private void SealSecureParams(StoredObject value)
    {
        var (parameters, previous) = value switch
        {
            Machine m => (m.Params, _cache.Get<Machine>(m.Key)?.Params),
            Profile p => (p.Params, _cache.Get<Profile>(p.Key)?.Params),
            _ => (null, null),
        };
        if (value is Param param && !_secrets.SealDefault(param, _cache.Get<Param>(param.Key)))
        {
            throw new ValidationFailedException("schema.default", "is sealed with another server's key or was altered; send the plain value");
        }
        if (parameters is null)
        {
            return;
        }
        var foreign = _secrets.SealDeclared(parameters, name => _cache.Get<Param>(name)?.Secure == true, previous);
        if (foreign.Count > 0)
        {
            throw new ValidationFailedException(foreign.Select(name => new FieldError($"params.{name}", "is sealed with another server's key or was altered; send the plain value")).ToList());
        }
    }

    /// <summary>A param declared secure after values were set: seal the values machines and profiles already hold.</summary>
    private async Task SealExistingValuesAsync(StoredObject stored, string actor, CancellationToken cancellationToken)
    {
        if (stored is not Param { Secure: true } param)
        {
            return;
        }
        bool HoldsPlain(Dictionary<string, System.Text.Json.Nodes.JsonNode?> parameters) =>
            parameters.TryGetValue(param.Name, out var value) && !SecureParams.IsSealed(value);
        var holders = _cache.All<Machine>().Where(m => HoldsPlain(m.Params)).Cast<StoredObject>()
            .Concat(_cache.All<Profile>().Where(p => HoldsPlain(p.Params)))
            .ToList();
        foreach (var holder in holders)
        {
            var copy = holder.CloneAs<StoredObject>();
            await UpdateAsync(copy, copy.Revision, actor, cancellationToken);
        }
    }

    /// <summary>References to other objects; a missing one does not refuse the write, it marks the object invalid.</summary>
    private async Task<List<string>> CheckReferencesAsync(StoredObject value, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        async Task Require(ObjectKind kind, string? key, string field)
        {
            if (!string.IsNullOrEmpty(key) && await _store.Objects.GetAsync(kind, key, cancellationToken) is null)
            {
                problems.Add($"{field}: {kind.Name.TrimEnd('s')} '{key}' does not exist");
            }
        }
        switch (value)
        {
            case Machine machine:
                await Require(ObjectKind.BootEnvs, machine.BootEnv, "bootEnv");
                for (var i = 0; i < machine.Profiles.Count; i++)
                {
                    await Require(ObjectKind.Profiles, machine.Profiles[i], $"profiles[{i}]");
                }
                break;
            case BootEnv bootEnv:
                for (var i = 0; i < bootEnv.Templates.Count; i++)
                {
                    await Require(ObjectKind.Templates, bootEnv.Templates[i].Template, $"templates[{i}].template");
                }
                break;
            case Reservation reservation:
                await Require(ObjectKind.Subnets, reservation.Subnet, "subnet");
                break;
            case Template template when _syntax.CheckSyntax(template.Name, template.Contents) is { } error:
                // Stored anyway, like a dangling reference: an operator mid-edit keeps the text and sees where it breaks.
                problems.Add($"contents: line {error.Line}, column {error.Column}: {error.Reason}");
                break;
        }
        return problems;
    }
}
