using System.Collections.Concurrent;
using System.Net.Http.Headers;
using RebarProvision.Model;
using RebarProvision.Server.Images;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// DESIGN §7: blobs stay content-addressed on each node's disk; a node asked for one it lacks fetches it from a live
/// peer (those the Image object names first) over the peer's API with the <see cref="PeerCredential"/>, streams it
/// through <see cref="ImageStore.ReceiveAsync"/> so only bytes with the right sha256 are kept, and records itself as
/// holding a copy. One fetch per blob at a time; the others wait for it.
/// </summary>
public sealed class PeerBlobs : IDisposable
{
    private readonly ImageStore _store;
    private readonly ImageLibrary _library;
    private readonly ObjectCache _cache;
    private readonly LiveNodes _nodes;
    private readonly PeerCredential _credential;
    private readonly ILogger<PeerBlobs> _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<string?>>> _fetching = new(StringComparer.Ordinal);
    private readonly HttpClient _http;

    public PeerBlobs(ImageStore store, ImageLibrary library, ObjectCache cache, LiveNodes nodes, PeerCredential credential, ILogger<PeerBlobs> logger)
    {
        _store = store;
        _library = library;
        _cache = cache;
        _nodes = nodes;
        _credential = credential;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // Peers' API certificates are self-signed by default; what a peer sends is trusted only once its sha256
            // matches, so the certificate adds nothing to the blob's integrity.
#pragma warning disable CA5359 // Integrity comes from the sha256 check, see above.
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential.Bearer);
    }

    /// <summary>The blob's path on this node, fetched from a peer when missing; null when no live peer has it.</summary>
    public async Task<string?> FindOrFetchAsync(string sha256, CancellationToken cancellationToken)
    {
        if (!ImageStore.IsDigest(sha256))
        {
            return null;
        }
        if (_store.Find(sha256) is { } local)
        {
            return local;
        }
        var sha = sha256.ToLowerInvariant();
        var fetch = _fetching.GetOrAdd(sha, key => new Lazy<Task<string?>>(() => FetchAsync(key)));
        try
        {
            return await fetch.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            if (fetch.Value.IsCompleted)
            {
                _fetching.TryRemove(new KeyValuePair<string, Lazy<Task<string?>>>(sha, fetch));
            }
        }
    }

    /// <summary>Runs to its end whoever stopped waiting: a half-fetched blob is worth finishing for the next request.</summary>
    private async Task<string?> FetchAsync(string sha)
    {
        var image = _cache.Get<Image>(sha);
        var peers = _nodes.Live.Where(n => n.Name != _nodes.Self && n.ApiUrl.Length > 0)
            .OrderBy(n => image?.Nodes.Contains(n.Name) == true ? 0 : 1)
            .ToList();
        foreach (var peer in peers)
        {
            try
            {
                using var response = await _http.GetAsync($"{peer.ApiUrl}/api/v1/images/{sha}/blob", HttpCompletionOption.ResponseHeadersRead);
                if (!response.IsSuccessStatusCode)
                {
                    continue;
                }
                await using var body = await response.Content.ReadAsStreamAsync();
                switch (await _store.ReceiveAsync(body, sha, CancellationToken.None))
                {
                    case ImageReceipt.Received received:
                        await _library.AddAsync(received, image?.Name ?? sha, $"node:{_nodes.Self}", CancellationToken.None);
                        _logger.LogInformation("Fetched image {Sha256} ({Name}) from node {Peer}", sha, image?.Name, peer.Name);
                        return _store.Find(sha);
                    case var refused:
                        _logger.LogWarning("Node {Peer} sent image {Sha256} but it was refused: {Receipt}", peer.Name, sha, refused);
                        break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                _logger.LogWarning("Could not fetch image {Sha256} from node {Peer}: {Message}", sha, peer.Name, e.Message);
            }
        }
        return null;
    }

    public void Dispose() => _http.Dispose();
}
