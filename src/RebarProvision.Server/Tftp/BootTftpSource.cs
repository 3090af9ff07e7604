using System.Net;
using System.Net.Sockets;
using System.Text;
using RebarProvision.Rendering;
using RebarProvision.Server.Boot;
using RebarProvision.Tftp;
using RebarProvision.Tftp.Transport;

namespace RebarProvision.Server.Tftp;

/// <summary>TFTP reads of the boot file namespace (<see cref="BootFiles"/>): loaders, bootenv files, per-machine documents.</summary>
public sealed class BootTftpSource : ITftpFileSource
{
    private readonly BootFiles _files;
    private readonly ILogger<BootTftpSource> _logger;

    public BootTftpSource(BootFiles files, ILogger<BootTftpSource> logger)
    {
        _files = files;
        _logger = logger;
    }

    public async ValueTask<TftpFileResult> OpenAsync(string path, IPEndPoint client, CancellationToken cancellationToken)
    {
        if (!SafePath.TryClean(path, out _))
        {
            return TftpFileResult.AccessViolation();
        }
        try
        {
            return await _files.ResolveAsync(path, client.Address, LocalAddressFor(client.Address), cancellationToken) switch
            {
                BootFile.Rendered rendered => TftpFileResult.FromBytes(Encoding.UTF8.GetBytes(rendered.File.Contents)),
                BootFile.OnDisk disk => TftpFileResult.FromFile(disk.FullPath, FileOptions.Asynchronous),
                _ => TftpFileResult.NotFound(),
            };
        }
        catch (RenderException e)
        {
            // The log names template and line; the client, who sent no credentials, learns nothing from the answer.
            _logger.LogWarning("TFTP {Path} for {Client}: {Error}", path, client, e.Message);
            return TftpFileResult.Error(TftpErrorCode.NotDefined, "the file could not be rendered");
        }
    }

    /// <summary>
    /// The address of ours the client reaches us by, so URLs in rendered files point at it. Asking the kernel for the
    /// route (a connected UDP socket sends nothing) works with one wildcard-bound listener on many interfaces.
    /// </summary>
    private static IPAddress? LocalAddressFor(IPAddress client)
    {
        try
        {
            using var probe = new Socket(client.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(client, 9);
            return ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
