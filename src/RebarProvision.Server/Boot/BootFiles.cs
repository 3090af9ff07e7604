using System.Net;
using System.Text.RegularExpressions;
using RebarProvision.Model;
using RebarProvision.Rendering;
using RebarProvision.Server.Cluster;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Images;
using RebarProvision.Server.Machines;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Secrets;
using RebarProvision.Store;

namespace RebarProvision.Server.Boot;

/// <summary>
/// The one namespace of boot files that TFTP and HTTP both serve:
/// <list type="bullet">
/// <item><c>boot/&lt;mac&gt;.ipxe</c>, <c>pxelinux.cfg/01-&lt;mac&gt;</c>, <c>grub.cfg-01-&lt;mac&gt;</c>: the machine's boot-loader document;</item>
/// <item><c>machines/&lt;uuid&gt;/…</c> and any other path a bootenv template declares: rendered per machine (a path
/// without a uuid is matched for the machine that holds the client's lease);</item>
/// <item><c>machines/&lt;uuid&gt;/&lt;boot secret&gt;/…</c> (<c>env.machine_url</c>): the same files, for whoever holds the secret;</item>
/// <item>the iPXE loaders (<c>undionly.kpxe</c>, <c>ipxe.efi</c>, <c>snponly.efi</c>, …) from Debian's ipxe package;</item>
/// <item><c>files/…</c>: bootenv trees and images under the data directory.</item>
/// </list>
/// A machine's own documents go only to that machine (DESIGN §9): to the address of its current bound, unexpired
/// lease, or to a request that carries its current boot secret. Boot-loader documents carry the secret for the next
/// stage, so they go only to the lease address; anyone else is told the file does not exist, as for a file that
/// does not.
/// </summary>
public sealed partial class BootFiles
{
    private readonly ObjectCache _cache;
    private readonly BootRenderer _renderer;
    private readonly ServerOptions _options;
    private readonly Discovery _discovery;
    private readonly LiveNodes _nodes;
    private readonly MissingBootEnvFiles _missing;
    private readonly MachineLifecycle _lifecycle;
    private readonly RecentLeases _leases;
    private readonly SecureParams _secrets;
    private readonly BootSecrets _bootSecrets;
    private readonly TimeProvider _time;
    private readonly ILogger<BootFiles> _logger;

    public BootFiles(ObjectCache cache, IStore store, BootRenderer renderer, ServerOptions options, Discovery discovery, MachineLifecycle lifecycle,
        SecureParams secrets, BootSecrets bootSecrets, LiveNodes nodes, MissingBootEnvFiles missing, TimeProvider time, ILogger<BootFiles> logger)
    {
        _nodes = nodes;
        _missing = missing;
        _secrets = secrets;
        _bootSecrets = bootSecrets;
        _cache = cache;
        _renderer = renderer;
        _options = options;
        _discovery = discovery;
        _lifecycle = lifecycle;
        _time = time;
        _logger = logger;
        _leases = new RecentLeases(store, time);
    }

    public string FilesRoot => Path.Combine(_options.DataDir, "files");

    private BootEnvReadiness Readiness => field ??= new BootEnvReadiness(_options);

    [GeneratedRegex("^boot/(?<mac>[0-9a-fA-F:-]{12,17})\\.ipxe$")]
    private static partial Regex IpxePath();

    [GeneratedRegex("^pxelinux\\.cfg/01-(?<mac>[0-9a-fA-F-]{17})$")]
    private static partial Regex PxelinuxPath();

    [GeneratedRegex("^(grub/)?grub\\.cfg-01-(?<mac>[0-9a-fA-F-]{17})$")]
    private static partial Regex GrubPath();

    [GeneratedRegex("^machines/(?<uuid>[0-9a-fA-F-]{36})/((?<secret>[0-9a-f]{32})/)?(?<rest>.+)$")]
    private static partial Regex MachinePath();

    /// <param name="path">The requested path, with or without a leading '/'.</param>
    /// <param name="client">The requesting client's address: a machine's files go to the address of its lease.</param>
    /// <param name="local">The local address the request arrived on, advertised in URLs unless configured otherwise.</param>
    /// <exception cref="RenderException">The file exists but its template failed.</exception>
    public async Task<BootFile?> ResolveAsync(string path, IPAddress? client, IPAddress? local, CancellationToken cancellationToken = default)
    {
        if (!SafePath.TryClean(path, out var clean))
        {
            return null;
        }
        foreach (var (pattern, loader) in LoaderDocuments)
        {
            if (Loader(pattern, clean) is { } mac)
            {
                return await LeaseHolderIsAsync(mac, client, cancellationToken)
                    ? await BootScriptAsync(mac, loader, local, recordBoot: true, cancellationToken)
                    : Refused(clean, client);
            }
        }
        if (clean.StartsWith("files/", StringComparison.Ordinal))
        {
            var relative = clean["files/".Length..];
            var file = SafePath.Resolve(FilesRoot, relative);
            if (file is null && await _missing.TryInstallAsync(relative, cancellationToken))
            {
                file = SafePath.Resolve(FilesRoot, relative);
            }
            return file is null ? null : new BootFile.OnDisk(file);
        }
        if (MachinePath().Match(clean) is { Success: true } m)
        {
            return await MachineFileAsync(m, clean, client, local, cancellationToken);
        }
        if (await MachineByClientAsync(client, cancellationToken) is { } holder
            && await ContextAsync(holder, local, cancellationToken) is { } context
            && _renderer.RenderMachineFile(context, clean) is { } rendered)
        {
            return new BootFile.Rendered(rendered);
        }
        return LoaderFile(clean) is { } loaderFile ? new BootFile.OnDisk(loaderFile) : null;
    }

    private static readonly (Regex Pattern, BootLoader Loader)[] LoaderDocuments =
        [(IpxePath(), BootLoader.Ipxe), (PxelinuxPath(), BootLoader.Pxelinux), (GrubPath(), BootLoader.Grub)];

    /// <summary><c>machines/&lt;uuid&gt;/…</c>: with the machine's boot secret from anywhere, without it only from its lease address.</summary>
    private async Task<BootFile?> MachineFileAsync(Match match, string clean, IPAddress? client, IPAddress? local, CancellationToken cancellationToken)
    {
        var uuid = match.Groups["uuid"].Value.ToLowerInvariant();
        if (_cache.Get<Machine>(uuid) is not { } machine)
        {
            return null;
        }
        var secret = match.Groups["secret"];
        string declared;
        if (secret.Success && _bootSecrets.Matches(machine, secret.Value))
        {
            declared = $"machines/{uuid}/{match.Groups["rest"].Value}";
        }
        else if ((await MachineByClientAsync(client, cancellationToken))?.Uuid == machine.Uuid)
        {
            declared = clean;
        }
        else
        {
            return Refused(clean, client);
        }
        return await ContextAsync(machine, local, cancellationToken) is { } context && _renderer.RenderMachineFile(context, declared) is { } rendered
            ? new BootFile.Rendered(rendered)
            : null;
    }

    private BootFile? Refused(string path, IPAddress? client)
    {
        // Debug, not warning: anyone on the network can ask, and the log must not be theirs to fill.
        _logger.LogDebug("Refused {Path} to {Client}: not the address of its machine's bound lease, and no boot secret", path, client);
        return null;
    }
    /// <summary>The boot loaders we hand out by name (DESIGN §4 step 3).</summary>
    public static readonly IReadOnlySet<string> LoaderNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "undionly.kpxe", "undionly.kkpxe", "ipxe.pxe", "ipxe.efi", "snponly.efi", "ipxe-arm64.efi", "snponly-arm64.efi",
    };

    /// <summary>
    /// A loader: the operator's copy under <c>&lt;dataDir&gt;/loaders</c> (confined like any data file), else the
    /// packaged one. Only the fixed names are served from the package folder, and its symlinks are followed, because
    /// Debian links <c>/usr/lib/ipxe/ipxe.efi</c> to <c>/boot/ipxe.efi</c>.
    /// </summary>
    private string? LoaderFile(string name)
    {
        if (!LoaderNames.Contains(name))
        {
            return null;
        }
        if (SafePath.Resolve(Path.Combine(_options.DataDir, "loaders"), name) is { } own)
        {
            return own;
        }
        var packaged = Path.Combine(_options.LoaderDir, name);
        return File.Exists(packaged) ? packaged : null;
    }

    /// <summary>The machine's boot-loader document; unknown MACs follow the unknown-machine policy.</summary>
    public async Task<BootFile?> BootScriptAsync(string mac, BootLoader loader, IPAddress? local, bool recordBoot, CancellationToken cancellationToken)
    {
        var machine = await _discovery.FindOrDiscoverAsync(mac, cancellationToken: cancellationToken);
        if (machine is not null && loader == BootLoader.Ipxe
            && BootCheck.Why(machine, _cache.Get<BootEnv>(machine.BootEnv ?? MachineLifecycle.LocalBootEnv), Readiness) is { } reason)
        {
            return new BootFile.Rendered(UnbootableScript.Render(mac, reason, Environment(local)));
        }
        var context = machine is null
            ? await UnknownContextAsync(mac, local, cancellationToken)
            : await ContextAsync(machine, local, cancellationToken);
        if (context is null)
        {
            return null;
        }
        var file = _renderer.RenderBootScript(context, loader, mac);
        if (machine is not null && recordBoot)
        {
            await _lifecycle.RecordBootAsync(machine.CloneAs<Machine>(), cancellationToken);
        }
        return new BootFile.Rendered(file);
    }

    /// <summary>Everything a render of this machine's files sees, or null when its bootenv is missing.</summary>
    public async Task<MachineRenderContext?> ContextAsync(Machine machine, IPAddress? local, CancellationToken cancellationToken)
    {
        var bootEnv = _cache.Get<BootEnv>(machine.BootEnv ?? MachineLifecycle.LocalBootEnv);
        if (bootEnv is null)
        {
            return null;
        }
        // Stored and cached params hold secure values sealed; this is the one place they are opened, for templates.
        var resolved = _secrets.RevealAll(ParamResolver.Resolve(machine, _cache.Get<Profile>, _cache.All<Param>()));
        var lease = machine.HardwareAddrs.Count > 0 ? await _leases.FindAsync(machine.HardwareAddrs[0], cancellationToken) : null;
        var subnet = lease is null ? null : _cache.Get<Subnet>(lease.Subnet);
        var environment = Environment(local);
        return new MachineRenderContext(machine, bootEnv, resolved, environment)
        {
            MachineUrl = _bootSecrets.Open(machine) is { } secret ? $"{environment.ProvisionerUrl}/machines/{machine.Uuid}/{secret}" : null,
            Lease = lease,
            Subnet = subnet,
            ParamsStamp = _cache.ParamsStamp(machine),
        };
    }

    private async Task<MachineRenderContext?> UnknownContextAsync(string mac, IPAddress? local, CancellationToken cancellationToken)
    {
        // Not stored, so revision 0: the renderer does not cache documents for machines that do not exist.
        var placeholder = new Machine
        {
            Uuid = Guid.Empty.ToString(),
            Name = "unknown",
            HardwareAddrs = [mac],
            BootEnv = _discovery.Enabled ? MachineLifecycle.DiscoveryBootEnv : "ignore",
        };
        return await ContextAsync(placeholder, local, cancellationToken);
    }

    /// <summary>The machine whose current bound, unexpired lease has the client's address.</summary>
    private async Task<Machine?> MachineByClientAsync(IPAddress? client, CancellationToken cancellationToken) =>
        await BoundLeaseAtAsync(client, cancellationToken) is { } lease && HardwareAddress.TryNormalize(lease.Token, out var mac)
            ? _cache.MachineByMac(mac)
            : null;

    /// <summary>
    /// Whether the client's address is the bound lease of <paramref name="mac"/>, or of another MAC of the same
    /// machine (a second NIC), so a boot-loader document goes to the machine that just got its address from us.
    /// </summary>
    private async Task<bool> LeaseHolderIsAsync(string mac, IPAddress? client, CancellationToken cancellationToken)
    {
        if (await BoundLeaseAtAsync(client, cancellationToken) is not { } lease || !HardwareAddress.TryNormalize(lease.Token, out var holder))
        {
            return false;
        }
        return holder == mac || (_cache.MachineByMac(holder) is { } a && _cache.MachineByMac(mac) is { } b && a.Uuid == b.Uuid);
    }

    private async Task<Lease?> BoundLeaseAtAsync(IPAddress? client, CancellationToken cancellationToken)
    {
        if (client is null || client.IsIPv4MappedToIPv6 is false && client.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return null;
        }
        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        var lease = await _leases.AtAsync(address.ToString(), cancellationToken);
        return lease is { State: LeaseState.Bound } && lease.ExpiresAt > _time.GetUtcNow() ? lease : null;
    }

    public RenderEnvironment Environment(IPAddress? local)
    {
        var host = _options.Advertise
            ?? (local is null ? "127.0.0.1" : (local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local).ToString());
        var here = RenderEnvironment.ForNode(host, _options.HttpPort, _options.ApiPort, _options.ApiTls, _options.Node);
        return here with { NodeUrls = _nodes.BootUrls(here.ProvisionerUrl) };
    }

    private static string? Loader(Regex pattern, string path)
    {
        var match = pattern.Match(path);
        return match.Success && HardwareAddress.TryNormalize(match.Groups["mac"].Value, out var mac) ? mac : null;
    }
}
