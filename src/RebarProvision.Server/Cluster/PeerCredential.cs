using System.Security.Cryptography;
using System.Text;
using RebarProvision.Server.Auth;
using RebarProvision.Server.Configuration;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// How nodes authenticate to each other's API (fetching image blobs): a bearer derived from the machine-token key,
/// which every node of a cluster shares anyway (a machine booted by one node calls back to another). Nothing to
/// configure, nothing stored; it grants readonly, and a request made with it never makes the node ask a peer in turn.
/// </summary>
public sealed class PeerCredential
{
    public const string PrincipalName = "peer";

    private const string Prefix = "peer.";

    private readonly byte[] _expected;

    public PeerCredential(ServerOptions options)
    {
        var mac = HMACSHA256.HashData(MachineTokens.LoadOrCreateKey(options.DataDir), Encoding.ASCII.GetBytes("rebar-provision peer v1"));
        Bearer = Prefix + Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _expected = Encoding.ASCII.GetBytes(Bearer);
    }

    /// <summary>What this node sends as <c>Authorization: Bearer …</c> to its peers.</summary>
    public string Bearer { get; }

    public bool IsValid(string bearer) =>
        bearer.StartsWith(Prefix, StringComparison.Ordinal)
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(bearer), _expected);
}
