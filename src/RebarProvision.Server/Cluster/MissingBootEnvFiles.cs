using System.Collections.Concurrent;
using RebarProvision.Model;
using RebarProvision.Server.Images;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// DESIGN §7: installing images into a bootenv on one node makes it bootable from every node. A request for a file
/// of a bootenv's tree this node does not have installs the images the bootenv lists (<c>os.images</c> with a
/// sha256), fetching their blobs from peers when needed, and the request is answered from the fresh tree. The boot
/// port is unauthenticated, so a bootenv revision gets one attempt per <see cref="Cooldown"/>: asking for missing
/// paths over and over cannot make a node install over and over.
/// </summary>
public sealed class MissingBootEnvFiles
{
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(30);

    private readonly ObjectCache _cache;
    private readonly ImageInstaller _installer;
    private readonly TimeProvider _time;
    private readonly ILogger<MissingBootEnvFiles> _logger;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _attempts = new(StringComparer.Ordinal);

    public MissingBootEnvFiles(ObjectCache cache, ImageInstaller installer, TimeProvider time, ILogger<MissingBootEnvFiles> logger)
    {
        _cache = cache;
        _installer = installer;
        _time = time;
        _logger = logger;
    }

    /// <param name="relative">The missing path under <c>files/</c>, e.g. <c>bootenvs/flatcar/flatcar_production_pxe.vmlinuz</c>.</param>
    /// <returns>True when images were installed and the path is worth resolving again.</returns>
    public async Task<bool> TryInstallAsync(string relative, CancellationToken cancellationToken)
    {
        var segments = relative.Split('/');
        if (segments is not ["bootenvs", var name, _, ..] || _cache.Get<BootEnv>(name) is not { } bootEnv
            || !bootEnv.Os.Images.Any(i => i.Sha256 is not null))
        {
            return false;
        }
        var attempt = $"{bootEnv.Name}|{bootEnv.Revision}";
        var now = _time.GetUtcNow();
        if (_attempts.TryGetValue(attempt, out var last) && now - last < Cooldown)
        {
            return false;
        }
        _attempts[attempt] = now;
        try
        {
            var installation = await _installer.InstallAsync(bootEnv, sha256: null, kind: null, cancellationToken);
            _logger.LogInformation("Installed {Count} images of bootenv {BootEnv} on first request ({Missing} not on any live node)",
                installation.Installed.Count, bootEnv.Name, installation.Missing.Count);
            return installation.Installed.Count > 0;
        }
        catch (Exception e) when (e is ImageInstallException or Api.ValidationFailedException or Store.StoreNotFoundException or IOException)
        {
            _logger.LogWarning("Could not install the images of bootenv {BootEnv} on request: {Message}", bootEnv.Name, e.Message);
            return false;
        }
    }
}
