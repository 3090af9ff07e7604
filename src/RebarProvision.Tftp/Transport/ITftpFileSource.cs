using System.Net;

namespace RebarProvision.Tftp.Transport;

/// <summary>
/// Where the server finds the file a client asked for. The path is exactly what the client sent; the source decides
/// what it means (a directory, loaders, per-machine rendered files looked up by the client's address).
/// </summary>
public interface ITftpFileSource
{
    ValueTask<TftpFileResult> OpenAsync(string path, IPEndPoint client, CancellationToken cancellationToken);
}
