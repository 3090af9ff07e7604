using System.Net;
using System.Text.RegularExpressions;
using RebarProvision.Model;
using RebarProvision.Rendering;
using RebarProvision.Server.Cluster;
using RebarProvision.Server.Configuration;
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
/// <item>the iPXE loaders (<c>undionly.kpxe</c>, <c>ipxe.efi</c>, <c>snponly.efi</c>, …) from Debian's ipxe package;</item>
/// <item><c>files/…</c>: bootenv trees and images under the data directory.</item>
/// </list>
/// </summary>
public sealed partial class BootFiles
{
    private readonly ObjectCache _cache;
    private readonly IStore _store;
    private readonly BootRenderer _renderer;
    private readonly ServerOptions _options;
    private readonly Discovery _discovery;
    private readonly LiveNodes _nodes;
    private readonly MissingBootEnvFiles _missing;
    private readonly MachineLifecycle _lifecycle;
    private readonly RecentLeases _leases;
    private readonly SecureParams _secrets;

    public BootFiles(ObjectCache cache, IStore store, BootRenderer renderer, ServerOptions options, Discovery discovery, MachineLifecycle lifecycle, SecureParams secrets, LiveNodes nodes, MissingBootEnvFiles missing)
    {
        _nodes = nodes;
        _missing = missing;
        _secrets = secrets;
        _cache = cache;
        _store = store;
        _renderer = renderer;
        _options = options;
        _discovery = discovery;
        _lifecycle = lifecycle;
        _leases = new RecentLeases(store, TimeProvider.System);
    }

    public string FilesRoot => Path.Combine(_options.DataDir, "files");

    [GeneratedRegex("^boot/(?<mac>[0-9a-fA-F:-]{12,17})\\.ipxe$")]
    private static partial Regex IpxePath();

    [GeneratedRegex("^pxelinux\\.cfg/01-(?<mac>[0-9a-fA-F-]{17})$")]
    private static partial Regex PxelinuxPath();

    [GeneratedRegex("^(grub/)?grub\\.cfg-01-(?<mac>[0-9a-fA-F-]{17})$")]
    private static partial Regex GrubPath();

    [GeneratedRegex("^machines/(?<uuid>[0-9a-fA-F-]{36})/")]
    private static partial Regex MachinePath();

    /// <param name="path">The requested path, with or without a leading '/'.</param>
    /// <param name="client">The requesting client's address, to find its machine through its lease.</param>
    /// <param name="local">The local address the request arrived on, advertised in URLs unless configured otherwise.</param>
    /// <exception cref="RenderException">The file exists but its template failed.</exception>
    public async Task<BootFile?> ResolveAsync(string path, IPAddress? client, IPAddress? local, CancellationToken cancellationToken = default)
    {
        if (!SafePath.TryClean(path, out var clean))
        {
            return null;
        }
        if (Loader(IpxePath(), clean) is { } ipxeMac)
        {
            return await BootScriptAsync(ipxeMac, BootLoader.Ipxe, local, recordBoot: true, cancellationToken);
        }
        if (Loader(PxelinuxPath(), clean) is { } pxeMac)
        {
            return await BootScriptAsync(pxeMac, BootLoader.Pxelinux, local, recordBoot: true, cancellationToken);
        }
        if (Loader(GrubPath(), clean) is { } grubMac)
        {
            return await BootScriptAsync(grubMac, BootLoader.Grub, local, recordBoot: true, cancellationToken);
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
        var machine = MachinePath().Match(clean) is { Success: true } m
            ? _cache.Get<Machine>(m.Groups["uuid"].Value.ToLowerInvariant())
            : await MachineByClientAsync(client, cancellationToken);
        if (machine is not null && await ContextAsync(machine, local, cancellationToken) is { } context
            && _renderer.RenderMachineFile(context, clean) is { } rendered)
        {
            return new BootFile.Rendered(rendered);
        }
        return LoaderFile(clean) is { } loader ? new BootFile.OnDisk(loader) : null;
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
        return new MachineRenderContext(machine, bootEnv, resolved, Environment(local))
        {
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

    private async Task<Machine?> MachineByClientAsync(IPAddress? client, CancellationToken cancellationToken)
    {
        if (client is null || client.IsIPv4MappedToIPv6 is false && client.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return null;
        }
        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        var lease = await _store.Leases.GetAsync(address.ToString(), cancellationToken);
        return lease is not null && HardwareAddress.TryNormalize(lease.Token, out var mac) ? _cache.MachineByMac(mac) : null;
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
